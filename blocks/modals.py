"""Modals: the custom silence, where a person picks what to silence, for how long and why.

Only the scopes an alert can name are offered (an alert without a resource has no
"this resource"; one that no named route sent has no "its route"). Every string from the
alert is plain_text here, so it is shown as typed, and cut to Block Kit's limits.
"""

from __future__ import annotations

import json
from typing import Any

from blocks.slack_text import OPTION_TEXT, one_line, plain
from bot.models import Alert, SilenceScope
from bot.silences import SCOPE_WORDS, alert_matchers

SILENCE_MODAL = "alert_silence_modal"
MODAL_TITLE = 24  # Slack's cap on a modal title


def _scope_option(scope: SilenceScope, matcher: str, alert: Alert) -> dict[str, Any]:
    detail = {
        "alert": one_line(alert.title) or matcher,
        "resource": matcher,
        "account_source": f"{alert.source or 'any source'} in {alert.account or 'any account'}",
        "route": f"everything the route {matcher} sends",
    }[scope]
    return {
        "text": plain(SCOPE_WORDS[scope].capitalize(), OPTION_TEXT),
        "description": plain(detail, OPTION_TEXT),
        "value": scope,
    }


def silence_modal(alert: Alert, ref: str, channel: str) -> dict[str, Any]:
    """The custom silence: scope, duration and a required reason."""
    options = [_scope_option(s, m, alert) for s, m in alert_matchers(alert).items()]
    return {
        "type": "modal",
        "callback_id": SILENCE_MODAL,
        "private_metadata": json.dumps({"ref": ref, "channel": channel}),
        "title": plain("Silence alert", MODAL_TITLE),
        "submit": plain("Silence", MODAL_TITLE),
        "close": plain("Cancel", MODAL_TITLE),
        "blocks": [
            {
                "type": "input",
                "block_id": "scope",
                "label": plain("What to silence", OPTION_TEXT),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "value",
                    "options": options,
                    "initial_option": options[0],
                },
            },
            {
                "type": "input",
                "block_id": "duration",
                "label": plain("For how long (45m, 2h, 3d; at most 30d)", OPTION_TEXT),
                "element": {"type": "plain_text_input", "action_id": "value"},
            },
            {
                "type": "input",
                "block_id": "reason",
                "label": plain("Why (shown to everyone)", OPTION_TEXT),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 500,
                },
            },
        ],
    }


def submitted(view: dict[str, Any]) -> dict[str, str]:
    """The modal's answers: scope, duration, reason (empty strings when missing)."""
    values = (view.get("state") or {}).get("values") or {}

    def value(block: str) -> str:
        element = (values.get(block) or {}).get("value") or {}
        chosen = element.get("selected_option") or {}
        return str(chosen.get("value") or element.get("value") or "")

    return {"scope": value("scope"), "duration": value("duration"), "reason": value("reason")}
