"""Remove, in /silences' answer: the silence ends, the alerts it held are redrawn, and
the list is shown again in place; only responders may remove one."""

from __future__ import annotations

from bot import alert_actions
from bot.delivery import flush
from handlers.slack.authorization import NOT_ALLOWED, Responders
from handlers.slack.listeners.silence_remove import remove_silence
from handlers.slack.wiring import Core
from tests.unit.slack.doubles import button, clicked, fire, services


def silenced(svc):
    alert = fire(svc)
    alert_actions.silence(svc.delivery, alert.id, alert.version, "U0BOB", 3600, "deploying")
    (silence,) = svc.alerts.list_silences(int(svc.clock.now()))
    return alert, silence


def test_the_silence_ends_and_the_list_is_shown_again(svc, core, respond, client):
    alert, silence = silenced(svc)
    remove_silence(
        button("silence_remove", silence.id), clicked(), respond, client,
        core=core,
    )  # fmt: skip
    assert svc.alerts.list_silences(int(svc.clock.now())) == []
    (answer,) = respond.bodies
    assert answer["replace_original"] is True and "No active silences" in respond.text()
    assert svc.alerts.get_alert(alert.id).silenced_until is None
    svc.clock.advance(60)  # the redraw waits to be coalesced with the alert's other edits
    flush(svc.delivery)
    assert svc.chat.updates[-1]["alert"].silenced_until is None


def test_a_silence_removed_already_still_shows_the_list(core, respond, client):
    remove_silence(
        button("silence_remove", "gone"), clicked(), respond, client,
        core=core,
    )  # fmt: skip
    assert "No active silences" in respond.text()


def test_someone_not_a_responder_removes_nothing(svc, respond, client):
    _, silence = silenced(svc)
    remove_silence(
        button("silence_remove", silence.id), clicked(), respond, client,
        core=Core(svc, Responders(["U0BOB"])),
    )  # fmt: skip
    assert svc.alerts.list_silences(int(svc.clock.now())) == [silence]
    assert respond.bodies == [{"response_type": "ephemeral", "text": NOT_ALLOWED}]


def test_the_list_shown_again_keeps_the_maintenance_windows(tmp_path, respond, client):
    routes = tmp_path / "routes.yml"
    routes.write_text("maintenance:\n  - {name: patching, cron: '0 22 * * *', duration: 1h}\n")
    svc = services(routes_file=routes)
    _, silence = silenced(svc)
    core = Core(svc, Responders([]))
    remove_silence(button("silence_remove", silence.id), clicked(), respond, client, core=core)
    assert "No active silences" in respond.text() and "*patching*" in respond.text()
