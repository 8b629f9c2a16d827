"""The Silence select: a preset silences the alert after the ack; Custom… opens the
modal in the ack, for the alert and version the message showed."""

from __future__ import annotations

import json

from blocks.modals import SILENCE_MODAL
from bot.alert_actions import Outcome
from handlers.slack.authorization import NOT_ALLOWED, Responders
from handlers.slack.clicks import NOTES
from handlers.slack.listeners.silence_select import open_custom, silence_chosen
from handlers.slack.wiring import Core
from tests.unit.slack.doubles import CHANNEL, USER, clicked, fire, notes


def select(block_id: str, choice: str) -> dict:
    """The select's action: the alert and version ride in its block_id."""
    return {
        "action_id": "alert_silence",
        "type": "static_select",
        "block_id": f"alert:{block_id}",
        "selected_option": {"value": choice},
    }


def test_a_preset_only_acks_then_silences_the_alert_for_that_long(svc, core, ack, client):
    alert = fire(svc)
    action = select(f"{alert.id}:{alert.version}", "4h")
    open_custom(ack, clicked(), action, client, core=core)
    assert ack.calls == [((), {})] and client.calls == []

    silence_chosen(clicked(), action, client, core=core)
    now = int(svc.clock.now())
    (silence,) = svc.alerts.list_silences(now)
    assert (silence.created_by, silence.scope, silence.expires_at) == (USER, "alert", now + 14400)
    assert svc.alerts.get_alert(alert.id).silenced_until == now + 14400
    assert svc.chat.updates[-1]["alert"].silenced_until == now + 14400  # redrawn at once


def test_custom_opens_the_modal_with_the_alert_it_was_opened_from(svc, core, ack, client):
    alert = fire(svc)
    action = select(f"{alert.id}:{alert.version}", "custom")
    open_custom(ack, clicked(), action, client, core=core)
    assert ack.calls == [((), {})]
    (opened,) = client.called("views.open")
    assert opened["trigger_id"] == "t-1"
    assert opened["view"]["callback_id"] == SILENCE_MODAL
    meta = json.loads(opened["view"]["private_metadata"])
    assert meta == {"ref": f"{alert.id}:{alert.version}", "channel": CHANNEL}

    silence_chosen(clicked(), action, client, core=core)
    assert svc.alerts.list_silences(int(svc.clock.now())) == []  # the modal's to make


def test_custom_on_a_gone_alert_opens_nothing_and_says_so(svc, core, ack, client):
    open_custom(ack, clicked(), select("gone:1", "custom"), client, core=core)
    assert ack.calls == [((), {})] and client.called("views.open") == []
    assert svc.chat.ephemerals == notes(NOTES[Outcome.GONE])


def test_a_preset_gives_no_reason_and_its_thread_says_who_and_no_reason_given(svc, core, client):
    alert = fire(svc)
    silence_chosen(clicked(), select(f"{alert.id}:{alert.version}", "1h"), client, core=core)
    (silence,) = svc.alerts.list_silences(int(svc.clock.now()))
    assert (silence.reason, silence.alert_id) == ("", alert.id)
    (note,) = svc.chat.silence_notes
    assert note["ref"] == alert.message
    said = svc.chat.texts[-1]["text"]
    assert said.startswith(f":no_bell: <@{USER}> silenced this alert until ")
    assert said.endswith(": no reason given")
    held = svc.alerts.get_alert(alert.id).hold
    assert (held.by, held.scope, held.reason) == (USER, "alert", "")


def test_someone_not_a_responder_silences_nothing(svc, client):
    alert = fire(svc)
    core = Core(svc, Responders(["U0BOB"]))
    silence_chosen(clicked(), select(f"{alert.id}:{alert.version}", "1h"), client, core=core)
    assert svc.alerts.list_silences(int(svc.clock.now())) == []
    assert svc.chat.ephemerals == notes(NOT_ALLOWED)
