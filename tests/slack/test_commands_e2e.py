"""/events and /silences through correctly signed requests to the running service: the
ack first, the answer through response_url (recorded and held to Block Kit's rules by
the fake Slack)."""

from __future__ import annotations

import itertools
import json
import re
import time
from urllib.parse import parse_qs, urlencode

import pytest

from bot import alert_actions
from bot.ingest import ingest
from tests.corpus import load
from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack_e2e import (
    CHANNEL,
    action_body,
    service,  # noqa: F401
    signed,
    the_alert,
    wait_for,
)


@pytest.fixture
def http(service, client_for):  # noqa: F811
    return client_for(service)


TRIGGERS = itertools.count()


def command(
    http,
    fake_slack: FakeSlack,
    name: str,
    text: str = "",
    user: str = "U0ALICE",
    channel: str = CHANNEL,
) -> dict:
    """Run a slash command in `channel`; return what it answered through its response_url."""
    before = len(fake_slack.calls("response_url"))
    body = urlencode(
        {
            "command": name,
            "text": text,
            "user_id": user,
            "channel_id": channel,
            "team_id": "T0TEAM",
            "trigger_id": f"t-cmd-{next(TRIGGERS)}",  # Slack's are unique: no replay
            "response_url": fake_slack.response_url(),
        }
    )
    started = time.monotonic()
    ack = http.post("/slack/events", content=body, headers=signed(body))
    assert ack.status_code == 200 and time.monotonic() - started < 3  # Slack's deadline
    calls = wait_for(lambda: fake_slack.calls("response_url")[before:], f"{name} {text}")
    (answer,) = calls
    assert answer.response["ok"], answer.response  # the blocks passed Block Kit's rules
    return answer.params


def click(http, fake_slack: FakeSlack, action: dict) -> dict:
    before = len(fake_slack.calls("response_url"))
    payload = json.loads(parse_qs(action_body(action))["payload"][0])
    payload["response_url"] = fake_slack.response_url()
    body = urlencode({"payload": json.dumps(payload)})
    assert http.post("/slack/events", content=body, headers=signed(body)).status_code == 200
    (answer,) = wait_for(lambda: fake_slack.calls("response_url")[before:], "the page")
    assert answer.response["ok"], answer.response
    return answer.params


def text_of(answer: dict) -> str:
    return json.dumps(answer["blocks"])


def ids_in(answer: dict) -> list[str]:
    return re.findall(r"`(page-\d+)`", text_of(answer))


def store_events(running: RunningService, count: int) -> None:
    """`count` events stored (not alerted on), a second apart, within the last day."""
    sample = load("cloudwatch_alarm_state_change_single_metric.json")
    now = int(running.services.clock.now())
    bodies = [
        {**sample, "id": f"page-{n:04d}", "time": now - 3600 + n,
         "detail": {**sample["detail"], "alarmName": f"Alarm{n}"}}
        for n in range(count)
    ]  # fmt: skip
    ingest(bodies, running.services.events, running.services.clock, ttl=86400)


def post_recent_alarm(http, event_id: str) -> None:
    """An alarm that fired just now (the corpus sample's own time is years ago, outside
    the 7 days /events lists by default)."""
    event = load("cloudwatch_alarm_state_change_single_metric.json")
    event["id"] = event_id
    event["time"] = int(time.time()) - 60
    assert http.post("/ingest", json=event).status_code == 202


def test_events_lists_newest_first_with_each_alerts_state(http, service, fake_slack):  # noqa: F811
    post_recent_alarm(http, "evt-a")
    answer = command(http, fake_slack, "/events")
    assert answer["response_type"] == "ephemeral"
    shown = text_of(answer)
    assert "ServerCpuTooHigh" in shown and "open" in shown and "evt-a" in shown


def test_events_filters(http, service, fake_slack):  # noqa: F811
    post_recent_alarm(http, "evt-a")
    assert "evt-a" in text_of(command(http, fake_slack, "/events", "source:alarm severity:high"))
    assert "evt-a" in text_of(command(http, fake_slack, "/events", "state:open cpu"))
    none = text_of(command(http, fake_slack, "/events", "source:guardduty since:1h"))
    assert "No events match" in none and "evt-a" not in none


def test_events_help_and_bad_arguments_give_the_usage(http, fake_slack):
    assert "since:" in text_of(command(http, fake_slack, "/events", "help"))
    bad = text_of(command(http, fake_slack, "/events", "severity:urgent"))
    assert "severity:urgent" in bad and "Usage" in bad


def test_one_event_in_detail_with_a_link_to_its_alerts_thread(http, service, fake_slack):  # noqa: F811
    post_recent_alarm(http, "evt-detail")
    answer = text_of(command(http, fake_slack, "/events", "evt-detail"))
    assert "Open the alert's thread" in answer and "evt-detail" in answer
    assert fake_slack.calls("chat.getPermalink")


def test_next_through_1000_events_reaches_each_exactly_once(http, service, fake_slack):  # noqa: F811
    store_events(service, 1000)
    answer = command(http, fake_slack, "/events")
    seen = ids_in(answer)
    pages = 1
    while True:
        buttons = {
            e["text"]["text"]: e
            for b in answer["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
        }
        if "Next" not in buttons:
            break
        answer = click(http, fake_slack, {"action_id": "events_page", "type": "button",
                                          "value": buttons["Next"]["value"]})  # fmt: skip
        assert answer.get("replace_original") is True
        seen += ids_in(answer)
        pages += 1
    assert len(seen) == 1000 == len(set(seen)) and pages == 100


def test_silences_list_and_remove(http, service, fake_slack):  # noqa: F811
    post_recent_alarm(http, "evt-s")
    alert = the_alert(service)
    assert alert_actions.silence(service.services.delivery, alert.id, alert.version, "U0ALICE",
                                 3600, "deploying <!channel>") == "done"  # fmt: skip
    listed = command(http, fake_slack, "/silences")
    shown = text_of(listed)
    assert "deploying &lt;!channel&gt;" in shown and "<@U0ALICE>" in shown
    (silence,) = service.services.alerts.list_silences(int(time.time()))
    removed = click(http, fake_slack, {"action_id": "silence_remove", "type": "button",
                                       "value": silence.id})  # fmt: skip
    assert "No active silences" in text_of(removed)
    assert service.services.alerts.list_silences(int(time.time())) == []
    wait_for(lambda: the_alert(service).silenced_until is None, "the alert redrawn")


def test_agents_lists_and_details_through_signed_requests(http, service, fake_slack):  # noqa: F811
    from bot.models import Agent

    now = int(time.time())
    service.services.agents.create(
        Agent(id="123456789012", region="eu-west-1", status="CREATE_COMPLETE",
              deployed_at=now - 3600, last_seen=now - 120)
    )  # fmt: skip
    service.services.agents.create(Agent(id="210987654321", region="us-east-1",
                                         last_seen=now - 3 * 86400))  # fmt: skip
    service.services.check_agents()  # the second is stale
    listed = text_of(command(http, fake_slack, "/agents"))
    assert "123456789012" in listed and "healthy" in listed
    assert "no events for 3 d" in listed
    service.services.ingest({"id": "ag-1", "source": "monitoring.agent.logs",
                             "detail-type": "CloudWatch Logs Error", "account": "123456789012",
                             "region": "eu-west-1", "time": now - 30,
                             "detail": {"log_group_name": "/agent", "logs": []}})  # fmt: skip
    detail = text_of(command(http, fake_slack, "/agents", "123456789012"))
    assert "Recent agent events" in detail and "/agent" in detail
    missing = text_of(command(http, fake_slack, "/agents", "nobody"))
    assert "No agent for" in missing
