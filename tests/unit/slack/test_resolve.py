"""Resolve: the alert is resolved by the clicker, its message redrawn resolved, its
thread told who resolved it; a click that cannot act leaves the alert alone and tells
only the clicker why."""

from __future__ import annotations

from blocks.alert import RESOLVE
from bot import alert_actions
from bot.alert_actions import Outcome
from bot.models import AlertStatus
from handlers.slack.authorization import NOT_ALLOWED, Responders
from handlers.slack.clicks import NOTES
from handlers.slack.listeners.resolve import resolve
from handlers.slack.wiring import Core
from tests.unit.slack.doubles import USER, button, clicked, fire, notes, ref


def test_a_click_resolves_the_alert_redraws_it_and_tells_its_thread_who(svc, core, client):
    alert = fire(svc)
    resolve(clicked(), button(RESOLVE, ref(alert)), client, core=core)
    resolved = svc.alerts.get_alert(alert.id)
    assert (resolved.status, resolved.resolved_by) == (AlertStatus.RESOLVED, USER)
    assert resolved.resolved_at == int(svc.clock.now())
    entry = resolved.history[-1]
    assert (entry.action, entry.by, entry.at) == ("resolved", USER, resolved.resolved_at)
    (update,) = svc.chat.updates
    assert update["ref"] == alert.message and update["alert"].status is AlertStatus.RESOLVED
    (reply,) = svc.chat.texts
    assert reply["thread_ts"] == alert.message.ts
    assert f"Resolved by <@{USER}> at " in reply["text"]
    assert svc.chat.ephemerals == []


def test_an_acknowledged_alert_can_be_resolved(svc, core, client):
    alert = fire(svc)
    alert_actions.acknowledge(svc.delivery, alert.id, alert.version, "U0BOB")
    acked = svc.alerts.get_alert(alert.id)
    resolve(clicked(), button(RESOLVE, ref(acked)), client, core=core)
    assert svc.alerts.get_alert(alert.id).resolved_by == USER


def test_a_second_click_on_the_same_message_is_stale_and_changes_nothing(svc, core, client):
    alert = fire(svc)
    resolve(clicked(), button(RESOLVE, ref(alert)), client, core=core)
    before = svc.alerts.get_alert(alert.id)
    resolve(clicked("U0BOB"), button(RESOLVE, ref(alert)), client, core=core)
    after = svc.alerts.get_alert(alert.id)
    assert (after.resolved_by, after.history) == (USER, before.history)
    assert svc.chat.ephemerals == notes(NOTES[Outcome.STALE], "U0BOB")
    assert len(svc.chat.texts) == 1  # the thread heard of the first click only


def test_a_click_from_before_an_acknowledgement_is_stale(svc, core, client):
    alert = fire(svc)
    alert_actions.acknowledge(svc.delivery, alert.id, alert.version, "U0BOB")
    resolve(clicked(), button(RESOLVE, ref(alert)), client, core=core)
    assert svc.alerts.get_alert(alert.id).status is AlertStatus.ACKED
    assert svc.chat.ephemerals == notes(NOTES[Outcome.STALE])


def test_a_click_on_an_alert_that_is_gone_says_so(svc, core, client):
    resolve(clicked(), button(RESOLVE, "gone-alert:3"), client, core=core)
    assert svc.chat.ephemerals == notes(NOTES[Outcome.GONE])


def test_only_responders_may_resolve(svc, client):
    alert = fire(svc)
    only_bob = Core(svc, Responders(["U0BOB"]))
    resolve(clicked(), button(RESOLVE, ref(alert)), client, core=only_bob)
    refused = svc.alerts.get_alert(alert.id)
    assert (refused.status, refused.version) == (AlertStatus.OPEN, alert.version)
    assert svc.chat.ephemerals == notes(NOT_ALLOWED)
    assert svc.chat.texts == [] and svc.chat.updates == []
    resolve(clicked("U0BOB"), button(RESOLVE, ref(alert)), client, core=only_bob)
    assert svc.alerts.get_alert(alert.id).resolved_by == "U0BOB"
