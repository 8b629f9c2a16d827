"""The Open in console link button (alert_open_console): the link opens in the browser,
but Slack still sends the click, and warns the person unless it is acked."""

from __future__ import annotations

from slack_bolt import Ack, App

from blocks.alert import OPEN_CONSOLE
from handlers.slack.wiring import Core


def console_link(ack: Ack) -> None:
    ack()


def register(app: App, core: Core) -> None:
    app.action(OPEN_CONSOLE)(console_link)
