"""Unsilence: every silence holding the alert is lifted, and the alert redrawn."""

from __future__ import annotations

from blocks.alert import UNSILENCE
from bot import alert_actions
from handlers.slack.authorization import NOT_ALLOWED, Responders
from handlers.slack.listeners.unsilence import unsilence
from handlers.slack.wiring import Core
from tests.unit.slack.doubles import button, clicked, fire, notes, ref


def silenced(svc):
    alert = fire(svc)
    alert_actions.silence(svc.delivery, alert.id, alert.version, "U0BOB", 3600, "deploying")
    return svc.alerts.get_alert(alert.id)


def test_the_silence_is_lifted_and_the_alert_redrawn(svc, core, client):
    alert = silenced(svc)
    assert svc.alerts.list_silences(int(svc.clock.now()))
    unsilence(clicked(), button(UNSILENCE, ref(alert)), client, core=core)
    assert svc.alerts.list_silences(int(svc.clock.now())) == []
    lifted = svc.alerts.get_alert(alert.id)
    assert lifted.silenced_until is None
    assert svc.chat.updates[-1]["alert"].silenced_until is None
    assert svc.chat.ephemerals == []


def test_someone_not_a_responder_lifts_nothing(svc, client):
    alert = silenced(svc)
    responders = Responders(["U0BOB"])
    unsilence(clicked(), button(UNSILENCE, ref(alert)), client, core=Core(svc, responders))
    assert len(svc.alerts.list_silences(int(svc.clock.now()))) == 1
    assert svc.alerts.get_alert(alert.id).silenced_until
    assert svc.chat.ephemerals == notes(NOT_ALLOWED)


def test_the_thread_is_told_who_lifted_it(svc, core, client):
    alert = silenced(svc)
    unsilence(clicked(), button(UNSILENCE, ref(alert)), client, core=core)
    assert svc.chat.texts[-1]["text"].startswith("<@U0ALICE> lifted the silence at ")
    assert svc.alerts.get_alert(alert.id).hold is None
