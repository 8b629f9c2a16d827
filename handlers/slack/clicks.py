"""What every click on an alert's message shares: the alert it names, who may act, and
the note a person gets when nothing was done.

A button's value, or the silence select's block_id, is `<alert id>:<version>` (the
version the clicked message showed), so a click on an out-of-date message is stale.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, NamedTuple

from slack_sdk import WebClient

from bot.alert_actions import Outcome
from bot.log_context import about
from bot.ports import Chat
from bot.services import Services
from handlers.slack.authorization import NOT_ALLOWED
from handlers.slack.wiring import Core, Payload

log = logging.getLogger(__name__)

NOTES = {
    Outcome.STALE: "This alert changed since that message was drawn; nothing was done. "
    "Use the message as it is now.",
    Outcome.GONE: "This alert no longer exists; nothing was done.",
    Outcome.NO_SCOPE: "This alert does not name that scope; nothing was done.",
}
FAILED = "Something went wrong, and nothing may have been done; the bot's log says why."

# One of bot.alert_actions: (delivery, alert id, version clicked, user, options) → outcome,
# or the note to give the clicker when the outcome needs its own words.
UseCase = Callable[..., Outcome | str]


class Click(NamedTuple):
    """Where a click came from, who made it, and the alert and version it names. A click
    on the Home tab has no channel (`home`): its notes go to the person's messages with
    the app, and their home is published again once it changed something."""

    channel: str
    user: str
    ref: tuple[str, int] | None
    home: bool = False


def on_home(body: Payload) -> bool:
    """The click was on the Home tab: its body has the view, no channel or message."""
    return (body.get("view") or {}).get("type") == "home"


def parse_ref(text: str) -> tuple[str, int] | None:
    """`<alert id>:<version>` → (id, version); None for anything else."""
    alert_id, _, version = text.rpartition(":")
    if not alert_id or not version.isdigit():
        return None
    return alert_id.removeprefix("alert:"), int(version)


def click_of(body: Payload, action: Payload) -> Click:
    """The click a block action reports; a button names its alert in its value, a select
    in its block_id."""
    return Click(
        (body.get("channel") or {}).get("id", ""),
        body["user"]["id"],
        parse_ref(action.get("value") or action.get("block_id") or ""),
        on_home(body),
    )


def tell(chat: Chat, click: Click, text: str) -> None:
    """A note for the clicker alone: ephemeral in the click's channel, or, with no
    channel (the Home tab), in their messages with the app."""
    if click.channel:
        chat.post_ephemeral(click.channel, click.user, text)
    else:
        chat.post_text(click.user, text)


def show_home(services: Services, user: str) -> None:
    """Publish `user`'s Home tab now. A failure is logged: after the ack nobody hears it, and
    the home shows what it showed before."""
    from bot.home import homes_of  # with the report's and agents' modules: on first use

    try:
        homes_of(services).show(user)
    except Exception:
        log.exception("publishing the home of %s failed", user)


@contextmanager
def telling(chat: Chat, click: Click) -> Iterator[None]:
    """After the ack nobody hears an exception: log it, and tell the clicker."""
    try:
        yield
    except Exception:
        log.exception("Slack action by %s failed", click.user)
        with suppress(Exception):
            tell(chat, click, FAILED)


def carry_out(
    core: Core, client: WebClient, click: Click, use_case: UseCase, **options: Any
) -> None:
    """Run `use_case` on the alert the click names, if its user may; tell them when
    nothing was done. `options` are the use case's own (a silence's duration...)."""
    ref, chat = click.ref, core.services.chat
    with about(alert_id=ref[0] if ref else None), telling(chat, click):
        note: str | None
        if not core.responders.allow(client, click.user):
            note = NOT_ALLOWED
        elif ref is None:
            note = NOTES[Outcome.GONE]
        else:
            outcome = use_case(core.services.delivery, ref[0], ref[1], click.user, **options)
            note = NOTES.get(outcome) if isinstance(outcome, Outcome) else outcome
            if click.home and outcome is Outcome.DONE:
                show_home(core.services, click.user)
        if note:
            tell(chat, click, note)
