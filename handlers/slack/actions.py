"""Alert buttons and the silence select: who may act, what the click names, and the note
a person gets when nothing was done.

A button's value, or the silence select's block_id, is `<alert id>:<version>` (the
version the clicked message showed), so a click on an out-of-date message is stale.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import alert_actions
from bot.alert_actions import SILENCE_CHOICES, Outcome
from bot.config import parse_duration
from bot.services import Services

log = logging.getLogger(__name__)

SILENCE_MODAL = "alert_silence_modal"
NOTES = {
    Outcome.STALE: "This alert changed since that message was drawn; nothing was done. "
    "Use the message as it is now.",
    Outcome.GONE: "This alert no longer exists; nothing was done.",
}
MAX_SILENCE_S = 30 * 86400
FAILED = "Something went wrong, and nothing may have been done; the bot's log says why."
NOT_ALLOWED = "You are not one of the responders (SLACK_RESPONDERS); nothing was done."


def parse_ref(text: str) -> tuple[str, int] | None:
    """`<alert id>:<version>` → (id, version); None for anything else."""
    alert_id, _, version = text.rpartition(":")
    if not alert_id or not version.isdigit():
        return None
    return alert_id.removeprefix("alert:"), int(version)


class Usergroups:
    """Usergroup members, read through usergroups.users.list (Tier 2: about 20 a minute)
    and kept for `ttl` seconds, so that a busy incident's clicks do not exhaust it."""

    def __init__(self, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def members(self, client: WebClient, group: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._members.get(group)
        if cached is not None and cached[0] > now:
            return cached[1]
        users = frozenset(client.usergroups_users_list(usergroup=group).get("users", []))
        with self._lock:
            self._members[group] = (now + self._ttl, users)
        return users


def responder(services: Services, groups: Usergroups, client: WebClient, user: str) -> bool:
    """Everyone, when SLACK_RESPONDERS is empty; else its users and usergroups' members."""
    allowed = services.settings.slack_responders
    if not allowed or user in allowed:
        return True
    for group in (g for g in allowed if g.startswith("S")):
        try:
            if user in groups.members(client, group):
                return True
        except Exception as err:  # a lookup that fails refuses, never allows
            log.warning("could not read usergroup %s: %s", group, err)
    return False


def register(app: App, services: Services, groups: Usergroups | None = None) -> None:
    groups = groups or Usergroups()

    @contextmanager
    def telling(channel: str, user: str) -> Iterator[None]:
        """After the ack nobody hears an exception: log it, and tell the clicker."""
        try:
            yield
        except Exception:
            log.exception("Slack action by %s failed", user)
            with suppress(Exception):
                services.chat.post_ephemeral(channel, user, FAILED)

    def act(run: Callable[[str, int, str], Outcome]) -> Callable[..., None]:
        def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient):
            ack()
            user = body["user"]["id"]
            channel = (body.get("channel") or {}).get("id", "")
            ref = parse_ref(action.get("value") or action.get("block_id") or "")
            with telling(channel, user):
                if not responder(services, groups, client, user):
                    note = NOT_ALLOWED
                elif ref is None:
                    note = NOTES[Outcome.GONE]
                else:
                    note = NOTES.get(run(ref[0], ref[1], user))
                if note:
                    services.chat.post_ephemeral(channel, user, note)

        return listener

    d = services.delivery
    app.action("alert_ack")(act(lambda i, v, u: alert_actions.acknowledge(d, i, v, u)))
    app.action("alert_unack")(act(lambda i, v, u: alert_actions.unacknowledge(d, i, v, u)))
    app.action("alert_unsilence")(act(lambda i, v, u: alert_actions.unsilence(d, i, v, u)))

    def silence_for(choice: str) -> Callable[[str, int, str], Outcome]:
        seconds = SILENCE_CHOICES[choice]
        return lambda i, v, u: alert_actions.silence(d, i, v, u, seconds)

    @app.action("alert_silence")
    def silence_select(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient):
        choice = (action.get("selected_option") or {}).get("value", "")
        if choice in SILENCE_CHOICES:
            act(silence_for(choice))(ack=ack, body=body, action=action, client=client)
            return
        ack()
        if choice == "custom":
            channel = (body.get("channel") or {}).get("id", "")
            with telling(channel, body["user"]["id"]):
                client.views_open(
                    trigger_id=body["trigger_id"],
                    view=silence_modal(action.get("block_id", ""), channel),
                )

    @app.action("alert_open_console")
    def console_link(ack: Ack) -> None:
        ack()  # a link button still sends an action; Slack warns unless it is acked

    @app.view(SILENCE_MODAL)
    def silence_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient):
        values = (view.get("state") or {}).get("values") or {}
        text = ((values.get("duration") or {}).get("value") or {}).get("value") or ""
        reason = ((values.get("reason") or {}).get("value") or {}).get("value") or ""
        try:
            seconds = parse_duration(text)
            if seconds > MAX_SILENCE_S:
                raise ValueError("a silence lasts 30 days at most")
        except ValueError as err:
            ack(response_action="errors", errors={"duration": str(err)})
            return
        ack()
        meta = json.loads(view.get("private_metadata") or "{}")
        ref = parse_ref(meta.get("ref", ""))
        user = body["user"]["id"]
        with telling(meta.get("channel", ""), user):
            if not responder(services, groups, client, user):
                note = NOT_ALLOWED
            elif ref is None:
                note = NOTES[Outcome.GONE]
            else:
                note = NOTES.get(alert_actions.silence(d, ref[0], ref[1], user, seconds, reason))
            if note:
                services.chat.post_ephemeral(meta.get("channel", ""), user, note)


def silence_modal(ref: str, channel: str) -> dict[str, Any]:
    """The custom silence: how long, and why."""
    return {
        "type": "modal",
        "callback_id": SILENCE_MODAL,
        "private_metadata": json.dumps({"ref": ref, "channel": channel}),
        "title": {"type": "plain_text", "text": "Silence alert"},
        "submit": {"type": "plain_text", "text": "Silence"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "duration",
                "label": {"type": "plain_text", "text": "For how long (45m, 2h, 3d)"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            },
            {
                "type": "input",
                "block_id": "reason",
                "optional": True,
                "label": {"type": "plain_text", "text": "Why"},
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
            },
        ],
    }
