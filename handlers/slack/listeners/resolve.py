"""Resolve (alert_resolve): closes an alert whose source never resolves it (a failed
deployment, a finding, a log error). It reopens only when its source says something new."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from blocks.alert import RESOLVE
from bot import alert_actions
from handlers.slack.clicks import carry_out, click_of
from handlers.slack.wiring import Core, Payload, on_action


def resolve(body: Payload, action: Payload, client: WebClient, *, core: Core) -> None:
    carry_out(core, client, click_of(body, action), alert_actions.resolve)


def register(app: App, core: Core) -> None:
    on_action(app, RESOLVE, resolve, core)
