"""Acknowledge: the alert is acked by the clicker, its message redrawn, its thread told;
a click that cannot act leaves the alert alone and tells only the clicker why."""

from __future__ import annotations

import pytest

from blocks.alert import ACK
from bot.alert_actions import Outcome
from bot.models import AlertStatus
from handlers.slack.authorization import NOT_ALLOWED, Responders, Usergroups
from handlers.slack.clicks import FAILED, NOTES
from handlers.slack.listeners.acknowledge import acknowledge
from handlers.slack.wiring import Core
from tests.unit.slack.doubles import USER, FakeWebClient, button, clicked, fire, notes, ref


def test_a_click_acknowledges_the_alert_and_redraws_its_message(svc, core, client):
    alert = fire(svc)
    acknowledge(clicked(), button(ACK, ref(alert)), client, core=core)
    acked = svc.alerts.get_alert(alert.id)
    assert (acked.status, acked.acked_by) == (AlertStatus.ACKED, USER)
    (update,) = svc.chat.updates
    assert update["ref"] == alert.message and update["alert"].acked_by == USER
    assert any("acknowledged" in t["text"] for t in svc.chat.texts)
    assert svc.chat.ephemerals == []


def test_a_click_on_an_outdated_message_changes_nothing_and_says_so(svc, core, client):
    alert = fire(svc)
    acknowledge(clicked(), button(ACK, ref(alert)), client, core=core)
    acknowledge(clicked("U0BOB"), button(ACK, ref(alert)), client, core=core)
    assert svc.alerts.get_alert(alert.id).acked_by == USER
    assert svc.chat.ephemerals == notes(NOTES[Outcome.STALE], "U0BOB")


@pytest.mark.parametrize("value", ["", "no-version", "gone-alert:3"])
def test_a_click_naming_no_alert_says_it_is_gone(svc, core, client, value):
    acknowledge(clicked(), button(ACK, value), client, core=core)
    assert svc.chat.ephemerals == notes(NOTES[Outcome.GONE])


def test_only_responders_may_acknowledge(svc):
    alert = fire(svc)
    client = FakeWebClient({"S0ONCALL": ["U0BOB"]})
    responders = Responders(["U0CAROL", "S0ONCALL"], Usergroups())
    acknowledge(clicked(), button(ACK, ref(alert)), client, core=Core(svc, responders))
    assert svc.alerts.get_alert(alert.id).status is AlertStatus.OPEN
    assert svc.chat.ephemerals == notes(NOT_ALLOWED)
    assert client.called("usergroups.users.list") == [{"usergroup": "S0ONCALL"}]

    acknowledge(clicked("U0BOB"), button(ACK, ref(alert)), client, core=Core(svc, responders))
    assert svc.alerts.get_alert(alert.id).acked_by == "U0BOB"


def test_a_failure_is_logged_and_told_to_the_clicker(svc, core, client, monkeypatch):
    alert = fire(svc)

    def broken(alert_id: str) -> None:
        raise RuntimeError("store down")

    monkeypatch.setattr(svc.alerts, "get_alert", broken)
    acknowledge(clicked(), button(ACK, ref(alert)), client, core=core)
    assert svc.chat.ephemerals == notes(FAILED)
