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

from blocks.modals import SILENCE_MODAL, silence_modal, submitted
from bot import alert_actions
from bot.alert_actions import SILENCE_CHOICES, Outcome
from bot.config import parse_duration
from bot.errors import NotFoundError
from bot.log_context import about
from bot.models import SilenceScope
from bot.services import Services
from bot.silences import scope_named

log = logging.getLogger(__name__)

NOTES = {
    Outcome.STALE: "This alert changed since that message was drawn; nothing was done. "
    "Use the message as it is now.",
    Outcome.GONE: "This alert no longer exists; nothing was done.",
    Outcome.NO_SCOPE: "This alert does not name that scope; nothing was done.",
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

    def carry_out(
        channel: str,
        user: str,
        client: WebClient,
        ref: tuple[str, int] | None,
        run: Callable[[str, int, str], Outcome],
    ) -> None:
        """Run an action on the alert `ref` names, if `user` may; tell them when nothing
        was done."""
        with about(alert_id=ref[0] if ref else None), telling(channel, user):
            if not responder(services, groups, client, user):
                note = NOT_ALLOWED
            elif ref is None:
                note = NOTES[Outcome.GONE]
            else:
                note = NOTES.get(run(ref[0], ref[1], user))
            if note:
                services.chat.post_ephemeral(channel, user, note)

    def act(run: Callable[[str, int, str], Outcome]) -> Callable[..., None]:
        """The work of a click, as a lazy listener: it runs after the ack (on Lambda, in a
        second invocation), so Slack hears back within 3 s however long the store and
        chat.update take (Acknowledge all walks a whole storm)."""

        def work(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
            channel = (body.get("channel") or {}).get("id", "")
            ref = parse_ref(action.get("value") or action.get("block_id") or "")
            carry_out(channel, body["user"]["id"], client, ref, run)

        return work

    def acked(ack: Ack) -> None:
        ack()

    d = services.delivery
    for action_id, run in (
        ("alert_ack", lambda i, v, u: alert_actions.acknowledge(d, i, v, u)),
        ("alert_unack", lambda i, v, u: alert_actions.unacknowledge(d, i, v, u)),
        ("alert_unsilence", lambda i, v, u: alert_actions.unsilence(d, i, v, u)),
    ):
        app.action(action_id)(ack=acked, lazy=[act(run)])

    def choice_of(action: dict[str, Any]) -> str:
        return (action.get("selected_option") or {}).get("value", "")

    def silence_chosen(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        choice = choice_of(action)
        if choice in SILENCE_CHOICES:
            seconds = SILENCE_CHOICES[choice]
            act(lambda i, v, u: alert_actions.silence(d, i, v, u, seconds))(
                body=body, action=action, client=client
            )

    def silence_select(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient):
        """The ack; and for Custom…, the modal at once: its trigger_id lasts 3 s."""
        ack()
        if choice_of(action) == "custom":
            channel = (body.get("channel") or {}).get("id", "")
            user = body["user"]["id"]
            ref = parse_ref(action.get("block_id", ""))
            with telling(channel, user):
                try:
                    alert = services.alerts.get_alert(ref[0]) if ref else None
                except NotFoundError:
                    alert = None
                if alert is None or ref is None:
                    services.chat.post_ephemeral(channel, user, NOTES[Outcome.GONE])
                    return
                client.views_open(
                    trigger_id=body["trigger_id"],
                    view=silence_modal(alert, f"{ref[0]}:{ref[1]}", channel),
                )

    app.action("alert_silence")(ack=silence_select, lazy=[silence_chosen])

    @app.action("alert_open_console")
    def console_link(ack: Ack) -> None:
        ack()  # a link button still sends an action; Slack warns unless it is acked

    def silence_checked(ack: Ack, view: dict[str, Any]) -> None:
        """The modal's answers are checked before the ack, which shows what is wrong."""
        _, errors = validated(view)
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def silence_submitted(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        silence, errors = validated(view)
        if errors or silence is None:
            return  # told in the modal by the ack
        seconds, reason, scope = silence
        meta = json.loads(view.get("private_metadata") or "{}")
        carry_out(
            meta.get("channel", ""),
            body["user"]["id"],
            client,
            parse_ref(meta.get("ref", "")),
            lambda i, v, u: alert_actions.silence(d, i, v, u, seconds, reason, scope),
        )

    app.view(SILENCE_MODAL)(ack=silence_checked, lazy=[silence_submitted])


def validated(
    view: dict[str, Any],
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
    scope = scope_named(answers["scope"] or "alert")
    if scope is None:
        errors["scope"] = "Pick one of the choices."
    return (None if errors or scope is None else (seconds, reason, scope)), errors
