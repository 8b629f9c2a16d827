"""/incident, in an incident channel: `timeline` posts what happened (a file when long);
`close` posts the summary with a button that closes and archives the channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from blocks.incident import USAGE, close_request, timeline_file, timeline_text
from bot.errors import AccessDeniedError
from bot.incident_actions import NOT_INCIDENT, incident_in
from bot.incidents import summary, timeline
from bot.models import MessageRef
from handlers.slack.answers import answer, now
from handlers.slack.wiring import Core, Payload, on_command

NO_FILES = (
    "The timeline is too long for a message, and the app may not share files "
    "(it lacks the files:write scope)."
)


def incident_command(command: Payload, respond: Respond, *, core: Core) -> None:
    channel = command.get("channel_id") or ""
    words = (command.get("text") or "").split()
    answer(respond, lambda: incident_answer(core, channel, words[0].lower() if words else ""))


def incident_answer(core: Core, channel: str, asked: str) -> dict[str, Any]:
    services = core.services
    if asked not in ("timeline", "close"):
        return _ephemeral(USAGE)
    found = incident_in(services.delivery, channel)
    if found is None:
        return _ephemeral(NOT_INCIDENT)
    incident, alerts = found
    at = now(services)
    if asked == "close":
        if incident.closed_at is not None:
            return _ephemeral("This incident is closed already.")
        return close_request(summary(incident, alerts, at), channel, at)
    moments = timeline(incident, alerts)
    text = timeline_text(incident.name, moments, at)
    if text is not None:
        return {"response_type": "in_channel", "text": text}
    try:
        services.chat.upload_file(
            MessageRef(channel=channel, ts=""),
            f"timeline-{incident.name}.txt",
            timeline_file(incident.name, moments),
            title=f"Timeline of #{incident.name}",
            alt_text=f"The timeline of #{incident.name}, {len(moments)} entries",
        )
    except AccessDeniedError:
        return _ephemeral(NO_FILES)
    return _ephemeral(f"The timeline has {len(moments)} entries: it is shared as a file.")


def _ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}


def register(app: App, core: Core) -> None:
    on_command(app, "/incident", incident_command, core)
