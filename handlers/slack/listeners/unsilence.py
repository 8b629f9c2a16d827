"""Unsilence (alert_unsilence): lifts every silence holding the alert, so it and the
others those silences held alert again."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from blocks.alert import UNSILENCE
from bot import alert_actions
from handlers.slack.clicks import carry_out, click_of
from handlers.slack.wiring import Core, Payload, on_action


def unsilence(body: Payload, action: Payload, client: WebClient, *, core: Core) -> None:
    carry_out(core, client, click_of(body, action), alert_actions.unsilence)


def register(app: App, core: Core) -> None:
    on_action(app, UNSILENCE, unsilence, core)
