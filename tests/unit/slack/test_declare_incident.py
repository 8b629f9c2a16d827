"""Declare incident: the alert's channel is made for the clicker; a second click, a stale
click, an unknown alert or someone not on the responder list makes none, and says why."""

from __future__ import annotations

from blocks.alert import ACK, DECLARE_INCIDENT
from bot.alert_actions import Outcome
from bot.config import Settings
from bot.cursors import CursorCodec
from bot.incident_actions import already
from bot.routing import parse_routes
from handlers.slack.authorization import NOT_ALLOWED, Responders
from handlers.slack.clicks import NOTES
from handlers.slack.listeners.acknowledge import acknowledge
from handlers.slack.listeners.declare_incident import declare_incident
from handlers.slack.wiring import Core
from tests.factories.services import memory_services
from tests.unit.slack.doubles import CHANNEL, USER, button, clicked, fire, notes, ref


def test_a_click_declares_the_incident(svc, core, client):
    alert = fire(svc)
    declare_incident(clicked(), button(DECLARE_INCIDENT, ref(alert)), client, core=core)
    incident = svc.alerts.get_alert(alert.id).incident
    assert incident.declared_by == USER and svc.chat.channels == {incident.channel: incident.name}
    assert svc.chat.invites[0]["users"] == [USER]
    assert svc.chat.ephemerals == []


def test_a_second_click_says_where_it_is(svc, core, client):
    alert = fire(svc)
    declare_incident(clicked(), button(DECLARE_INCIDENT, ref(alert)), client, core=core)
    declare_incident(clicked("U0BOB"), button(DECLARE_INCIDENT, ref(alert)), client, core=core)
    channel = svc.alerts.get_alert(alert.id).incident.channel
    assert svc.chat.ephemerals == notes(already(channel), "U0BOB")
    assert len(svc.chat.channels) == 1


def test_stale_and_unknown_clicks_make_no_channel(svc, core, client):
    alert = fire(svc)
    acknowledge(clicked(), button(ACK, ref(alert)), client, core=core)
    declare_incident(clicked(), button(DECLARE_INCIDENT, ref(alert)), client, core=core)
    declare_incident(clicked(), button(DECLARE_INCIDENT, "gone:1"), client, core=core)
    assert svc.chat.channels == {}
    assert svc.chat.ephemerals == notes(NOTES[Outcome.STALE]) + notes(NOTES[Outcome.GONE])


def test_only_responders_may_declare(svc, client):
    alert = fire(svc)
    core = Core(svc, Responders(["U0CAROL"]))
    declare_incident(clicked(), button(DECLARE_INCIDENT, ref(alert)), client, core=core)
    assert svc.chat.channels == {} and svc.chat.ephemerals == notes(NOT_ALLOWED)


def test_the_on_call_of_the_alerts_route_is_invited(client):
    config = Settings(_env_file=None, slack_alerts_channel=CHANNEL)
    routes = parse_routes(
        {
            "oncall": [{"name": "ops", "members": ["U0DAVE"], "start": "2020-01-06"}],
            "routes": [{"name": "alarms", "match": {"source": "alarm"}, "oncall": "ops"}],
        }
    )
    svc = memory_services(config, cursors=CursorCodec(config.cursor_secret), routes=routes)
    alert = fire(svc)
    assert alert.oncall == "ops"
    core = Core(svc, Responders([]))
    declare_incident(clicked(), button(DECLARE_INCIDENT, ref(alert)), client, core=core)
    assert svc.chat.invites[0]["users"] == [USER, "U0DAVE"]
