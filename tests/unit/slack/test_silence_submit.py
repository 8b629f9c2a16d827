"""The silence modal's submission: wrong answers are shown in the modal by the ack; right
ones make the silence the person described, on the alert the modal was opened from."""

from __future__ import annotations

import json

import pytest

from bot.alert_actions import Outcome
from bot.models import AlertStatus
from bot.silences import alert_matchers
from handlers.slack.authorization import NOT_ALLOWED, Responders
from handlers.slack.clicks import NOTES
from handlers.slack.listeners.silence_submit import check_silence, silence_submitted
from handlers.slack.wiring import Core
from tests.unit.slack.doubles import CHANNEL, USER, clicked, fire, notes, ref, services


def modal(alert_ref: str, *, duration: str, reason: str, scope: str | None = None) -> dict:
    """The view Slack submits: the metadata the modal was opened with, and the answers."""
    values = {
        "duration": {"value": {"type": "plain_text_input", "value": duration}},
        "reason": {"value": {"type": "plain_text_input", "value": reason}},
    }
    if scope:
        values["scope"] = {"value": {"type": "radio_buttons", "selected_option": {"value": scope}}}
    return {
        "callback_id": "alert_silence_modal",
        "private_metadata": json.dumps({"ref": alert_ref, "channel": CHANNEL}),
        "state": {"values": values},
    }


@pytest.mark.parametrize(
    ("duration", "reason", "scope", "wrong"),
    [
        ("soon", "deploying", None, {"duration"}),
        ("31d", "deploying", None, {"duration"}),
        ("1h", "   ", None, {"reason"}),
        ("1h", "deploying", "everything", {"scope"}),
        ("", "", None, {"duration", "reason"}),
    ],
)
def test_wrong_answers_are_shown_in_the_modal(ack, duration, reason, scope, wrong):
    check_silence(ack, modal("a:1", duration=duration, reason=reason, scope=scope))
    ((args, kwargs),) = ack.calls
    assert args == () and kwargs["response_action"] == "errors"
    assert set(kwargs["errors"]) == wrong


def test_right_answers_are_acked_and_make_the_silence(svc, core, ack, client):
    alert = fire(svc)
    view = modal(ref(alert), duration="45m", reason="deploying", scope="resource")
    check_silence(ack, view)
    assert ack.calls == [((), {})]

    silence_submitted(clicked(), view, client, core=core)
    now = int(svc.clock.now())
    (silence,) = svc.alerts.list_silences(now)
    assert (silence.scope, silence.reason, silence.created_by) == ("resource", "deploying", USER)
    assert silence.matcher == alert_matchers(alert)["resource"]
    assert silence.expires_at == now + 45 * 60
    silenced = svc.alerts.get_alert(alert.id)
    assert silenced.silenced_until == now + 45 * 60 and silenced.status is AlertStatus.OPEN
    assert svc.chat.ephemerals == []


def test_a_submission_the_ack_refused_makes_nothing(svc, core, client):
    alert = fire(svc)
    view = modal(ref(alert), duration="forever", reason="deploying")
    silence_submitted(clicked(), view, client, core=core)
    assert svc.alerts.list_silences(int(svc.clock.now())) == []
    assert svc.chat.updates == [] and svc.chat.ephemerals == []


def test_its_route_silences_what_the_named_route_sends(core_routed, ack, client):
    svc = core_routed.services
    alert = fire(svc, "PayApi")
    assert alert.route == "payments"
    view = modal(ref(alert), duration="2h", reason="payments release", scope="route")
    check_silence(ack, view)
    assert ack.calls == [((), {})]
    silence_submitted(clicked(), view, client, core=core_routed)
    (silence,) = svc.alerts.list_silences(int(svc.clock.now()))
    assert (silence.scope, silence.matcher, silence.reason) == (
        "route",
        "payments",
        "payments release",
    )
    assert svc.chat.texts[-1]["text"].endswith(
        f"<@{USER}> silenced its route until 2023-11-15 00:13 UTC: payments release"
    )


def test_its_route_on_an_alert_of_the_default_route_makes_nothing_and_says_so(svc, core, client):
    alert = fire(svc)
    view = modal(ref(alert), duration="2h", reason="release", scope="route")
    silence_submitted(clicked(), view, client, core=core)
    assert svc.alerts.list_silences(int(svc.clock.now())) == []
    assert svc.chat.ephemerals == notes(NOTES[Outcome.NO_SCOPE])


def test_someone_not_a_responder_silences_nothing(svc, client):
    alert = fire(svc)
    view = modal(ref(alert), duration="2h", reason="release")
    silence_submitted(clicked(), view, client, core=Core(svc, Responders(["U0BOB"])))
    assert svc.alerts.list_silences(int(svc.clock.now())) == []
    assert svc.chat.ephemerals == notes(NOT_ALLOWED)


@pytest.fixture
def core_routed(tmp_path) -> Core:
    routes = tmp_path / "routes.yml"
    routes.write_text("routes:\n  - name: payments\n    match: {title: ^Pay}\n")
    return Core(services(routes_file=routes), Responders([]))
