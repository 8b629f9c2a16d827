"""Unacknowledge: an acked alert is open again, with nobody owning it."""

from __future__ import annotations

from blocks.alert import UNACK
from bot import alert_actions
from bot.alert_actions import Outcome
from bot.models import AlertStatus
from handlers.slack.clicks import NOTES
from handlers.slack.listeners.unacknowledge import unacknowledge
from tests.unit.slack.doubles import USER, button, clicked, fire, notes, ref


def test_an_acked_alert_is_opened_again_and_redrawn(svc, core, client):
    alert = fire(svc)
    alert_actions.acknowledge(svc.delivery, alert.id, alert.version, "U0BOB")
    acked = svc.alerts.get_alert(alert.id)
    unacknowledge(clicked(), button(UNACK, ref(acked)), client, core=core)
    reopened = svc.alerts.get_alert(alert.id)
    assert (reopened.status, reopened.acked_by) == (AlertStatus.OPEN, None)
    assert reopened.history[-1].action == "unacknowledged" and reopened.history[-1].by == USER
    assert svc.chat.updates[-1]["alert"].status is AlertStatus.OPEN
    assert svc.chat.ephemerals == []


def test_an_alert_nobody_acked_is_left_open_and_the_click_is_stale(svc, core, client):
    alert = fire(svc)
    unacknowledge(clicked(), button(UNACK, ref(alert)), client, core=core)
    assert svc.alerts.get_alert(alert.id).history[-1].action == "fired"
    assert svc.chat.ephemerals == notes(NOTES[Outcome.STALE])
