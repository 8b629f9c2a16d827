"""/events: a search of the stored events, or one event by its id, with its alert."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from blocks.lists import event_detail, events_list, usage
from bot.errors import NotFoundError
from bot.event_search import Help, Lookup, QueryError, parse
from bot.models import Alert
from bot.services import Services
from handlers.slack.answers import answer, now, search
from handlers.slack.wiring import Core, Payload, on_command

log = logging.getLogger(__name__)


def events_command(command: Payload, respond: Respond, client: WebClient, *, core: Core) -> None:
    answer(respond, lambda: found(core.services, client, command.get("text") or ""))


def found(services: Services, client: WebClient, text: str) -> dict[str, Any]:
    """What `text` asks for: usage, one event's detail, or a page of matching events."""
    at = now(services)
    names = services.context.all_account_names()
    try:
        parsed = parse(text, now=at, account_names=names)
    except QueryError as err:
        return usage(str(err))
    if isinstance(parsed, Help):
        return usage()
    finder = search(services)
    if isinstance(parsed, Lookup):
        try:
            event = services.events.get(parsed.event_id, at)
        except NotFoundError:
            parsed = parsed.query  # not an id: the word is matched against titles
        else:
            hit = finder.find(event)
            return event_detail(hit, names, at, permalink(client, hit.alert))
    return events_list(finder.first(parsed), text, names, at)


def permalink(client: WebClient, alert: Alert | None) -> str | None:
    """A link to the alert's message (its thread), when it was posted; None otherwise."""
    if alert is None or alert.message is None:
        return None
    try:
        answered = client.chat_getPermalink(
            channel=alert.message.channel, message_ts=alert.message.ts
        )
    except Exception as err:  # the detail still answers without the link
        log.warning("no permalink for alert %s: %s", alert.id, err)
        return None
    return str(answered.get("permalink") or "") or None


def register(app: App, core: Core) -> None:
    on_command(app, "/events", events_command, core)
