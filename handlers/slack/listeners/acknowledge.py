"""Acknowledge (alert_ack): someone owns the alert, so its reminders stop. On a storm's
summary it acknowledges every alert of the storm."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from blocks.alert import ACK
from bot import alert_actions
from handlers.slack.clicks import carry_out, click_of
from handlers.slack.wiring import Core, Payload, on_action


def acknowledge(body: Payload, action: Payload, client: WebClient, *, core: Core) -> None:
    carry_out(core, client, click_of(body, action), alert_actions.acknowledge)


def register(app: App, core: Core) -> None:
    on_action(app, ACK, acknowledge, core)
