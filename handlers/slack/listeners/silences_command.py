"""/silences: the silences in force, each with a Remove button."""

from __future__ import annotations

from slack_bolt import App, Respond

from handlers.slack.answers import answer, silences_shown
from handlers.slack.wiring import Core, on_command


def silences_command(respond: Respond, *, core: Core) -> None:
    answer(respond, lambda: silences_shown(core.services))


def register(app: App, core: Core) -> None:
    on_command(app, "/silences", silences_command, core)
