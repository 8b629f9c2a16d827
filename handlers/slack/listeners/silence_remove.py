"""A silence's Remove button (silence_remove), in /silences' answer or on the Home tab:
the silence ends, the alerts it held are redrawn, and the list is shown again in place
(the answer replaced, or the home published again)."""

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
from handlers.slack.clicks import Click, on_home, show_home, tell, telling
from handlers.slack.wiring import Core, Payload, on_action

log = logging.getLogger(__name__)


def remove_silence(
    action: Payload, body: Payload, respond: Respond | None, client: WebClient, *, core: Core
) -> None:
    user = body["user"]["id"]
    if on_home(body) or respond is None:  # no response_url: the home is drawn again
        click = Click("", user, None, home=True)
        with telling(core.services.chat, click):
            if removed(core, client, user, action.get("value") or ""):
                show_home(core.services, user)
            else:
                tell(core.services.chat, click, NOT_ALLOWED)
        return

    def shown() -> dict[str, Any]:
        if not removed(core, client, user, action.get("value") or ""):
            return {"response_type": "ephemeral", "text": NOT_ALLOWED}
        return {**silences_shown(core.services), "replace_original": True}

    answer(respond, shown)


def removed(core: Core, client: WebClient, user: str, silence_id: str) -> bool:
    """End the silence, if `user` may; False when they may not."""
    if not core.responders.allow(client, user):
        return False
    services = core.services
    try:
        services.alerts.delete_silence(silence_id)
        log.info("silence %s removed by %s", silence_id, user)
    except NotFoundError:
        pass  # removed already (another click, or it expired and was cleaned up)
    refresh_silences(services.delivery)  # the alerts it held are redrawn
    return True


def register(app: App, core: Core) -> None:
    on_action(app, SILENCE_REMOVE, remove_silence, core)
