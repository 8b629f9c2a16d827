"""What the slash commands and their buttons share. The ack comes first and carries
nothing; the query runs after it, in a lazy listener, and answers through the request's
response_url, so Slack hears back at once whatever the store's latency."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Respond

from blocks.lists import silences_list
from bot.cursors import CursorCodec
from bot.delivery import find_anywhere
from bot.event_search import Search
from bot.services import Services
from bot.silences import in_force

log = logging.getLogger(__name__)

FAILED = "Something went wrong while answering; the bot's log says why."


def answer(respond: Respond, make: Callable[[], dict[str, Any]]) -> None:
    """Respond with what `make` builds. After the ack nobody hears an exception: log it,
    and tell the person."""
    try:
        respond(make())
    except Exception:
        log.exception("answering a Slack command failed")
        respond({"response_type": "ephemeral", "text": FAILED})


def now(services: Services) -> int:
    return int(services.clock.now())


def search(services: Services) -> Search:
    """The event search at this moment, with its cursors signed by CURSOR_SECRET."""
    delivery = services.delivery
    return Search(
        services.events,
        services.alerts,
        CursorCodec(services.settings.cursor_secret),
        now=now(services),
        ctx=services.context,
        find_alert=lambda fingerprint: find_anywhere(delivery, fingerprint),
    )


def silences_shown(services: Services) -> dict[str, Any]:
    """The silences in force and the maintenance windows, as /silences lists them."""
    at = now(services)
    return silences_list(in_force(services.alerts, services.routes.maintenance, at), at)
