"""The silence modal's submission (alert_silence_modal): its answers are checked before
the ack, which shows what is wrong in the modal; the silence is made after it."""

from __future__ import annotations

import json
from typing import cast

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks.modals import SILENCE_MODAL, submitted
from bot import alert_actions
from bot.config import parse_duration
from bot.models import SilenceScope
from bot.silences import SCOPE_WORDS
from handlers.slack.clicks import Click, carry_out, parse_ref
from handlers.slack.wiring import Core, Payload, bound

MAX_SILENCE_S = 30 * 86400


def validated(
    view: Payload,
) -> tuple[tuple[int, str, SilenceScope] | None, dict[str, str]]:
    """The silence modal's (seconds, reason, scope), or the errors to show per field."""
    answers = submitted(view)
    errors = {}
    seconds = 0
    try:
        seconds = parse_duration(answers["duration"])
        if seconds > MAX_SILENCE_S:
            raise ValueError("a silence lasts 30 days at most")
    except ValueError as err:
        errors["duration"] = str(err)
    reason = answers["reason"].strip()
    if not reason:
        errors["reason"] = "Say why, so that others know when it may be lifted."
    scope = answers["scope"] or "alert"
    if scope not in SCOPE_WORDS:
        errors["scope"] = "Pick one of the choices."
    return (None if errors else (seconds, reason, cast(SilenceScope, scope))), errors


def check_silence(ack: Ack, view: Payload) -> None:
    _, errors = validated(view)
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()


def silence_submitted(body: Payload, view: Payload, client: WebClient, *, core: Core) -> None:
    """The silence the modal describes, on the alert and version it was opened from."""
    silence, _ = validated(view)
    if silence is None:
        return  # told in the modal by the ack
    seconds, reason, scope = silence
    meta = json.loads(view.get("private_metadata") or "{}")
    channel = meta.get("channel", "")  # none when the modal was opened from the Home tab
    click = Click(channel, body["user"]["id"], parse_ref(meta.get("ref", "")), home=not channel)
    options = {"seconds": seconds, "reason": reason, "scope": scope}
    carry_out(core, client, click, alert_actions.silence, **options)


def register(app: App, core: Core) -> None:
    app.view(SILENCE_MODAL)(ack=check_silence, lazy=[bound(silence_submitted, core)])
