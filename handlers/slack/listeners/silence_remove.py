"""A silence's Remove button in /silences' answer (silence_remove): the silence ends, the
alerts it held are redrawn, and the list is shown again in place."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from blocks.lists import SILENCE_REMOVE
from bot.delivery import refresh_silences
from bot.errors import NotFoundError
from handlers.slack.answers import answer, silences_shown
from handlers.slack.authorization import NOT_ALLOWED
from handlers.slack.wiring import Core, Payload, on_action

log = logging.getLogger(__name__)


def remove_silence(
    action: Payload, body: Payload, respond: Respond, client: WebClient, *, core: Core
) -> None:
    services = core.services

    def removed() -> dict[str, Any]:
        user = body["user"]["id"]
        silence_id = action.get("value") or ""
        if not core.responders.allow(client, user):
            return {"response_type": "ephemeral", "text": NOT_ALLOWED}
        try:
            services.alerts.delete_silence(silence_id)
            log.info("silence %s removed by %s", silence_id, user)
        except NotFoundError:
            pass  # removed already (another click, or it expired and was cleaned up)
        refresh_silences(services.delivery)  # the alerts it held are redrawn
        return {**silences_shown(services), "replace_original": True}

    answer(respond, removed)


def register(app: App, core: Core) -> None:
    on_action(app, SILENCE_REMOVE, remove_silence, core)
