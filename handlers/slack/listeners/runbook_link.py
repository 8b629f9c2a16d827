"""The Runbook link button (alert_runbook): the link opens in the browser, but Slack
still sends the click, and warns the person unless it is acked."""

from __future__ import annotations

from slack_bolt import Ack, App

from blocks.alert import OPEN_RUNBOOK
from handlers.slack.wiring import Core


def runbook_link(ack: Ack) -> None:
    ack()


def register(app: App, core: Core) -> None:
    app.action(OPEN_RUNBOOK)(runbook_link)
