"""Declare incident (alert_incident): the alert gets its own channel, with its people in
it, the alert pinned, and links both ways (bot/incident_actions.py)."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from blocks.alert import DECLARE_INCIDENT
from bot import incident_actions
from bot.incidents import OnCall
from bot.models import Alert
from bot.oncall import on_call as rotation_on_call
from handlers.slack.clicks import carry_out, click_of
from handlers.slack.wiring import Core, Payload, on_action


def on_call(core: Core) -> OnCall:
    """Who is on call for an alert, invited to its incident channel with the clicker and
    whoever acknowledged it: its route's rotation now (nobody when it has none), takes
    and usergroups included. A usergroup that cannot be read invites nobody from it."""
    services = core.services

    def rotation_of(alert: Alert) -> list[str]:
        now = int(services.clock.now())
        members = services.chat.usergroup_members
        people = rotation_on_call(services.routes, alert.oncall, services.alerts, now, members)
        return [user for user in people if not user.startswith("S")]

    return rotation_of


def declare_incident(body: Payload, action: Payload, client: WebClient, *, core: Core) -> None:
    click = click_of(body, action)
    carry_out(core, client, click, incident_actions.declare, on_call=on_call(core))


def register(app: App, core: Core) -> None:
    on_action(app, DECLARE_INCIDENT, declare_incident, core)
