"""On-call through the running service and the fake Slack: /oncall and /oncall take as
signed slash commands, and a route's escalation ladder on the injected clock (the
on-call's mention, a DM with a link to the alert, @here) until Acknowledge stops it."""

from __future__ import annotations

import time

import pytest

from bot.escalation import escalate
from tests.corpus import load, transition
from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401
from tests.fakes import FakeClock
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_commands_e2e import command
from tests.slack.test_routing_e2e import service_with_routes
from tests.slack.test_slack_e2e import CHANNEL, action_body, buttons, signed, wait_for

ROUTES = """\
oncall:
  - name: ops
    members: [U0ALICE, U0BOB]
    handoff: "09:00"
    every: 1d
    time_zone: Europe/Paris
    start: 2020-01-06
  - name: security
    usergroup: S0SEC
routes:
  - name: ops-alarms
    match: {source: alarm}
    oncall: ops
    escalation:
      - {after: 5m, notify: oncall}
      - {after: 15m, notify: dm}
      - {after: 30m, notify: here}
      - {after: 1h, notify: oncall}
"""


@pytest.fixture
def clock(fake_slack: FakeSlack) -> FakeClock:
    shared = FakeClock(start=float(int(time.time())))
    fake_slack.clock = shared.now
    return shared


@pytest.fixture
def service(service_factory, fake_slack: FakeSlack, clock, tmp_path) -> RunningService:  # noqa: F811
    fake_slack.set_usergroup("S0SEC", ["U0SAM"])
    return service_with_routes(service_factory, fake_slack, tmp_path / "routes.yml", ROUTES, clock)


@pytest.fixture
def http(service, client_for):  # noqa: F811
    return client_for(service)


def lines(answer: dict) -> str:
    return "\n".join(block["text"]["text"] for block in answer["blocks"])


def test_oncall_shows_each_rotation_then_take_puts_the_caller_on_call(http, fake_slack):
    shown = lines(command(http, fake_slack, "/oncall"))
    ops, security = shown.splitlines()[1:]
    assert ops.startswith("*ops* (routes ops-alarms) · on call <@U0")
    assert " · next <@U0" in ops and ops.endswith(":00 Europe/Paris")
    assert security == "*security* (no route) · on call <@U0SAM>"  # read from the usergroup

    taken = lines(command(http, fake_slack, "/oncall", "take 2h", user="U0CAROL"))
    assert taken.startswith("You are on call for *ops*, *security* until ")  # in neither
    shown = lines(command(http, fake_slack, "/oncall"))
    assert "*ops* (routes ops-alarms) · on call <@U0CAROL> · next <@U0" in shown
    assert "*security* (no route) · on call <@U0CAROL> · next <@U0SAM> from " in shown


def test_the_ladder_mentions_then_dms_then_here_until_acknowledged(
    http, service, fake_slack, clock
):
    event = transition(load("cloudwatch_alarm_state_change_single_metric.json"))
    assert http.post("/ingest", json=event).status_code == 202
    (root,) = fake_slack.messages(CHANNEL)
    delivery, opened_at = service.services.delivery, clock.now()

    def thread() -> list[str]:
        return [m["text"] for m in fake_slack.messages(CHANNEL) if m["ts"] != root["ts"]]

    for minutes in (4, 5, 15, 16, 30):
        if minutes == 15:  # the DM goes but its answer is lost: the next run finds it
            fake_slack.drop_response_next("chat.postMessage")
        clock.advance(opened_at + minutes * 60 - clock.now())
        escalate(delivery, 900)
    mention, dmed, here = thread()
    assert "Still unacknowledged after 5 min. On call: <@U0" in mention
    (person,) = {opened.params["users"] for opened in fake_slack.calls("conversations.open")}
    assert f"<@{person}>" in mention and dmed.startswith(f":incoming_envelope: DMed <@{person}>")
    (dm,) = fake_slack.messages(fake_slack.dm_channel(person))  # once, though tried twice
    assert len(fake_slack.calls("conversations.history")) == 2
    assert "You are on call" in dm["text"] and root["ts"].replace(".", "") in dm["text"]
    assert here.startswith(":rotating_light: <!here> Still unacknowledged after 30 min")

    ack = buttons(root)["alert_ack"]
    body = action_body({"action_id": "alert_ack", "value": ack["value"], "type": "button",
                        "block_id": "b"})  # fmt: skip
    assert http.post("/slack/events", content=body, headers=signed(body)).status_code == 200
    wait_for(lambda: any("> acknowledged " in t for t in thread()), "the ack's line")
    clock.advance(60 * 60)
    assert escalate(delivery, 900) == 0  # the fourth step never comes
    assert not any("after 1 h" in t for t in thread())
