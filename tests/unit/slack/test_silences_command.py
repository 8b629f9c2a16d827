"""/silences: the silences in force, who made them, why, each with Remove; and the
maintenance windows, on or off, with their next start."""

from __future__ import annotations

from bot import alert_actions
from handlers.slack.authorization import Responders
from handlers.slack.listeners.silences_command import silences_command
from handlers.slack.wiring import Core
from tests.unit.slack.doubles import fire, services


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


def test_a_quick_silence_says_no_reason_given(svc, core, respond):
    alert = fire(svc)
    alert_actions.silence(svc.delivery, alert.id, alert.version, "U0BOB", 3600)
    silences_command(respond, core=core)
    (line,) = [t for t in shown(respond) if "<@U0BOB>" in t]
    assert "by <@U0BOB> · until" in line and line.endswith(" · no reason given")


def test_maintenance_windows_are_listed_on_or_off_with_their_next_start(tmp_path, respond):
    routes = tmp_path / "routes.yml"
    routes.write_text(
        "maintenance:\n"
        "  - {name: patching, cron: '0 22 * * *', duration: 1h}\n"  # on: it is 22:13
        "  - {name: backups, cron: '0 3 * * *', duration: 30m, time_zone: Europe/Berlin}\n"
    )
    svc = services(routes_file=routes)
    silences_command(respond, core=Core(svc, Responders([])))
    assert shown(respond) == [
        "No active silences.",
        "*Maintenance windows* (1 on now)",
        "*patching* `0 22 * * *` UTC, for 1h\non until 23:00 UTC · next start 2023-11-15 22:00 UTC",
        "*backups* `0 3 * * *` Europe/Berlin, for 30m\noff · next start 2023-11-15 02:00 UTC",
    ]


def shown(respond) -> list[str]:
    """The mrkdwn of each section of the answers, in order."""
    return [b["text"]["text"] for body in respond.bodies for b in body["blocks"] if "text" in b]
