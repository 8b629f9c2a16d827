"""/silences: the silences in force, who made them, why, each with Remove."""

from __future__ import annotations

from bot import alert_actions
from handlers.slack.listeners.silences_command import silences_command
from tests.unit.slack.doubles import fire


def test_none_in_force(core, respond):
    silences_command(respond, core=core)
    (answer,) = respond.bodies
    assert answer["response_type"] == "ephemeral" and "No active silences" in respond.text()


def test_each_silence_is_listed_with_its_remove_button(svc, core, respond):
    alert = fire(svc)
    alert_actions.silence(svc.delivery, alert.id, alert.version, "U0BOB", 3600, "deploying <!here>")
    silences_command(respond, core=core)
    (silence,) = svc.alerts.list_silences(int(svc.clock.now()))
    shown = respond.text()
    assert "deploying &lt;!here&gt;" in shown and "<@U0BOB>" in shown
    (answer,) = respond.bodies
    (remove,) = [b["accessory"] for b in answer["blocks"] if "accessory" in b]
    assert (remove["action_id"], remove["value"]) == ("silence_remove", silence.id)
