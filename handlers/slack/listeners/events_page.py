"""The Previous/Next buttons of an /events answer (events_page): the page their signed
cursor names, in place of the one shown."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from blocks.lists import EVENTS_PAGE, events_list, usage
from bot.errors import InvalidCursorError
from bot.services import Services
from handlers.slack.answers import answer, now, search
from handlers.slack.wiring import Core, Payload, on_action

STALE_PAGE = "That page can no longer be shown (the bot's cursor secret changed?). Ask again."


def events_page(action: Payload, respond: Respond, *, core: Core) -> None:
    answer(respond, lambda: page(core.services, action.get("value") or ""))


def page(services: Services, cursor: str) -> dict[str, Any]:
    try:
        shown = search(services).page(cursor)
    except InvalidCursorError:
        return usage(STALE_PAGE)
    return events_list(
        shown, None, services.context.all_account_names(), now(services), replace=True
    )


def register(app: App, core: Core) -> None:
    on_action(app, EVENTS_PAGE, events_page, core)
