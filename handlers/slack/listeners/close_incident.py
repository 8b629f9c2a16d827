"""Close and archive (incident_close), under `/incident close`'s summary: the incident is
closed, told in its alerts' threads, and its channel archived (for SLACK_RESPONDERS)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from blocks.incident import CLOSE_INCIDENT, closed_summary
from bot.alert_actions import Outcome
from bot.incident_actions import close, incident_in
from bot.incidents import summary
from handlers.slack.answers import answer, now
from handlers.slack.authorization import NOT_ALLOWED
from handlers.slack.wiring import Core, Payload, on_action


def close_incident(
    action: Payload, body: Payload, respond: Respond, client: WebClient, *, core: Core
) -> None:
    answer(respond, lambda: closed(core, client, action.get("value") or "", body["user"]["id"]))


def closed(core: Core, client: WebClient, channel: str, user: str) -> dict[str, Any]:
    if not core.responders.allow(client, user):
        return _note(NOT_ALLOWED)
    delivery = core.services.delivery
    outcome = close(delivery, channel, user)
    if outcome is not Outcome.DONE:
        return _note(str(outcome))
    found = incident_in(delivery, channel)
    assert found is not None  # it was just closed
    at = now(core.services)
    return closed_summary(summary(*found, at), user, at)


def _note(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "replace_original": False, "text": text}


def register(app: App, core: Core) -> None:
    on_action(app, CLOSE_INCIDENT, close_incident, core)
