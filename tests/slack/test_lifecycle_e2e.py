"""The alert lifecycle end to end: events through POST /ingest of the running service,
clicks and modals through correctly signed requests, and what the fake Slack received.

The service's clock and the fake's rate-limit clock are one injected clock, so windows,
flaps and Slack's budgets are exercised without sleeping; `flush` stands in for the
scheduler's job.
"""

from __future__ import annotations

import json
import time

import pytest

from bot.delivery import flush
from bot.models import AlertStatus
from tests.corpus import load, transition
from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401
from tests.fakes import FakeClock
from tests.slack.fake_slack import FakeSlack, message_blocks
from tests.slack.test_slack_e2e import (
    CHANNEL,
    action_body,
    roots,
    select,
    signed,
    submit_silence,
    the_alert,
    wait_for,
)

FLUSH_EVERY = 5
GREEN = "#36A64F"


@pytest.fixture
def clock(fake_slack: FakeSlack) -> FakeClock:
    shared = FakeClock(start=float(int(time.time())))
    fake_slack.clock = shared.now
    return shared


def start_service(
    factory, fake_slack: FakeSlack, clock: FakeClock, **settings: object
) -> RunningService:
    """The running service on the shared clock, talking to the fake Slack, whose budgets
    hold throughout; `settings` add to its own."""
    fake_slack.rate_limits = True
    return factory(
        ports={"clock": clock},
        slack_bot_token="xoxb-test",
        slack_signing_secret="test-signing-secret",
        slack_api_url=fake_slack.url,
        slack_alerts_channel=CHANNEL,
        **settings,
    )


@pytest.fixture
def service(service_factory, fake_slack: FakeSlack, clock: FakeClock) -> RunningService:  # noqa: F811
    return start_service(service_factory, fake_slack, clock)


@pytest.fixture
def http(service, client_for):  # noqa: F811
    return client_for(service)


def alarm(state: str = "ALARM", *, name: str | None = None, account: str | None = None) -> dict:
    event = transition(load("cloudwatch_alarm_state_change_single_metric.json"))
    event["id"] = f"evt-{time.perf_counter_ns()}"
    event["detail"]["state"]["value"] = state
    if name is not None:
        event["detail"]["alarmName"] = name
    if account is not None:
        event["account"] = account
    return event


def tick(service: RunningService, clock: FakeClock, seconds: float) -> None:
    while seconds > 0:
        step = min(FLUSH_EVERY, seconds)
        clock.advance(step)
        seconds -= step
        flush(service.services.delivery)


def replies(fake_slack: FakeSlack, ts: str) -> list[dict]:
    return [m for m in fake_slack.messages(CHANNEL) if m.get("thread_ts") == ts and m["ts"] != ts]


def test_100_repeats_in_60_s_are_one_root_6_edits_6_replies_at_most(
    http, service, fake_slack, clock
):
    http.post("/ingest", json=alarm())
    elapsed, next_flush = 0.0, FLUSH_EVERY
    for _ in range(99):
        clock.advance(0.6)
        elapsed += 0.6
        while elapsed >= next_flush:
            flush(service.services.delivery)
            next_flush += FLUSH_EVERY
        assert http.post("/ingest", json=alarm()).status_code == 202
    tick(service, clock, 30)
    (root,) = roots(fake_slack)
    thread = replies(fake_slack, root["ts"])
    updates = fake_slack.calls("chat.update")
    assert 1 <= len(updates) <= 6 and 1 <= len(thread) <= 6
    assert all(c.response["ok"] for c in fake_slack.calls())  # never over Slack's budgets
    assert "Seen 100 times" in json.dumps(message_blocks(root))
    assert the_alert(service).count == 100


def test_alarm_ok_alarm_ok_ends_one_green_root_with_2_flaps_and_its_thread(
    http, service, fake_slack, clock
):
    http.post("/ingest", json=alarm())
    for state in ("OK", "ALARM", "OK"):
        tick(service, clock, 120)
        http.post("/ingest", json=alarm(state))
    tick(service, clock, 30)
    (root,) = roots(fake_slack)
    shown = json.dumps(message_blocks(root))
    assert root["attachments"][0]["color"] == GREEN
    assert "Resolved: " in shown and "Flapping: fired 2 separate times" in shown
    assert "alert_ack" not in shown and "alert_silence" not in shown  # controls removed
    thread = [m["text"] for m in replies(fake_slack, root["ts"])]
    assert len(thread) == 3 and "reopened" in thread[1]
    alert = the_alert(service)
    assert (alert.status, alert.flaps) == (AlertStatus.RESOLVED, 2)


def test_the_custom_modal_offers_the_alerts_scopes(http, service, fake_slack):
    http.post("/ingest", json=alarm())
    body = action_body(select(the_alert(service), "custom"))
    http.post("/slack/events", content=body, headers=signed(body))
    (opened,) = wait_for(lambda: fake_slack.calls("views.open"), "views.open")
    assert opened.response["ok"] is True  # the fake held the view to Block Kit's rules
    blocks = {b["block_id"]: b for b in opened.params["view"]["blocks"]}
    scopes = [o["value"] for o in blocks["scope"]["element"]["options"]]
    assert scopes == ["alert", "resource", "account_source"]
    assert blocks["reason"].get("optional") is not True  # a reason is required


def test_a_custom_account_and_source_silence_stops_other_alarms_and_only_those(
    http, service, fake_slack
):
    http.post("/ingest", json=alarm())
    alert = the_alert(service)
    submit_silence(http, alert, scope="account_source", duration="2h", reason="maintenance")
    (silence,) = wait_for(
        lambda: service.services.alerts.list_silences(int(service.services.clock.now())),
        "the silence",
    )
    assert (silence.scope, silence.reason) == ("account_source", "maintenance")
    before = len(roots(fake_slack))
    http.post("/ingest", json=alarm(name="DiskFull"))  # same account, same source: quiet
    http.post("/ingest", json=alarm(name="DiskFull", account="210987654321"))  # posted
    posted = roots(fake_slack)[before:]
    assert len(posted) == 1 and "210987654321" in json.dumps(message_blocks(posted[0]))


def test_a_custom_silence_without_a_reason_is_refused_in_the_modal(http, service):
    http.post("/ingest", json=alarm())
    answer = submit_silence(http, the_alert(service), scope="alert", duration="1h", reason=" ")
    assert answer["response_action"] == "errors" and "reason" in answer["errors"]
    assert service.services.alerts.list_silences(int(service.services.clock.now())) == []
