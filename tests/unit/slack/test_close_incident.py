"""Close and archive: a responder's confirmation closes the incident and archives its
channel, once; anyone else changes nothing."""

from __future__ import annotations

from bot.incident_actions import ALREADY_CLOSED, declare
from handlers.slack.authorization import NOT_ALLOWED, Responders
from handlers.slack.listeners.close_incident import close_incident
from handlers.slack.wiring import Core
from tests.unit.slack.doubles import USER, button, clicked, fire


def incident_channel(svc) -> str:
    alert = fire(svc)
    declare(svc.delivery, alert.id, alert.version, USER)
    return svc.alerts.get_alert(alert.id).incident.channel


def test_the_confirmation_closes_and_archives(svc, core, respond, client):
    channel = incident_channel(svc)
    close_incident(button("incident_close", channel), clicked(), respond, client, core=core)
    assert svc.chat.archived == [channel]
    (answer,) = respond.bodies
    assert answer["replace_original"] is True and f"Closed by <@{USER}>" in respond.text()

    close_incident(button("incident_close", channel), clicked(), respond, client, core=core)
    assert respond.bodies[-1]["text"] == ALREADY_CLOSED and svc.chat.archived == [channel]


def test_only_responders_may_close(svc, respond, client):
    channel = incident_channel(svc)
    core = Core(svc, Responders(["U0CAROL"]))
    close_incident(button("incident_close", channel), clicked(), respond, client, core=core)
    assert svc.chat.archived == [] and respond.bodies[-1]["text"] == NOT_ALLOWED
