"""Unacknowledge (alert_unack): the alert is open again, and nobody owns it."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from blocks.alert import UNACK
from bot import alert_actions
from handlers.slack.clicks import carry_out, click_of
from handlers.slack.wiring import Core, Payload, on_action


def unacknowledge(body: Payload, action: Payload, client: WebClient, *, core: Core) -> None:
    carry_out(core, client, click_of(body, action), alert_actions.unacknowledge)


def register(app: App, core: Core) -> None:
    on_action(app, UNACK, unacknowledge, core)
