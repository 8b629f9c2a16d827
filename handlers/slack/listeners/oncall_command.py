"""/oncall: who is on call for each rotation and who is next; `/oncall take [duration]`
puts the caller on call (for SLACK_RESPONDERS) for their rotations, or all of them when
they are in none, until the duration has passed."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from blocks.oncall import oncall_list, oncall_note, oncall_taken, oncall_usage
from bot.config import parse_duration
from bot.oncall import DEFAULT_TAKE_S, MAX_TAKE_S, schedule, take
from handlers.slack.answers import answer, now
from handlers.slack.authorization import NOT_ALLOWED
from handlers.slack.wiring import Core, Payload, on_command


def oncall_command(command: Payload, respond: Respond, client: WebClient, *, core: Core) -> None:
    user, text = command.get("user_id") or "", (command.get("text") or "").strip()
    answer(respond, lambda: oncall(core, client, user, text))


def oncall(core: Core, client: WebClient, user: str, text: str) -> dict[str, Any]:
    services = core.services
    at, members = now(services), services.chat.usergroup_members
    words = text.split()
    if not words:
        return oncall_list(schedule(services.routes, services.alerts, at, members))
    if words[0].lower() != "take" or len(words) > 2:
        return oncall_usage(f"Unknown: {text!r}.")
    try:
        seconds = parse_duration(words[1]) if len(words) == 2 else DEFAULT_TAKE_S
    except ValueError as err:
        return oncall_usage(str(err))
    if seconds > MAX_TAKE_S:
        return oncall_usage("Take it for at most 7d.")
    if not core.responders.allow(client, user):
        return oncall_note(NOT_ALLOWED)
    names = take(services.alerts, services.routes, user, seconds, at, members)
    return oncall_taken(names, at + seconds, at)


def register(app: App, core: Core) -> None:
    on_command(app, "/oncall", oncall_command, core)
