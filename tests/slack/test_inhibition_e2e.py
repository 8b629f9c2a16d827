"""Inhibit rules through POST /ingest of the running service and the fake Slack: an alarm
while an AWS Health issue is open in its account and region is a reply in the issue's
thread, pinging no one, until the issue closes and the alarm gets its own root; an alarm
posted before the issue is linked to it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.delivery import flush
from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401
from tests.slack.fake_slack import FakeSlack, message_blocks
from tests.slack.test_routing_e2e import service_with_routes
from tests.slack.test_slack_e2e import CHANNEL
from tests.unit.test_inhibition import alarm, health

PING = "<!subteam^S0ONCALL>"
ROUTES = """\
routes:
  - name: everything
    mention: S0ONCALL
inhibit:
  - name: health-issue
    parent: {source: health, state: firing}
    child: {source: alarm}
    equal: [account, region]
"""


@pytest.fixture
def inhibiting(service_factory, fake_slack: FakeSlack, tmp_path) -> RunningService:  # noqa: F811
    return service_with_routes(service_factory, fake_slack, tmp_path / "routes.yml", ROUTES)


def send(svc: RunningService, client_for, body: dict[str, Any]) -> None:  # noqa: F811
    svc.services.clock.advance(30)
    assert client_for(svc).post("/ingest", json=body).status_code == 202
    svc.services.clock.advance(30)
    flush(svc.services.delivery)  # the scheduler's job: coalesced edits, budget waits


def alert_id(message: dict[str, Any]) -> str:
    return str(message["metadata"]["event_payload"]["alert_id"])


def top_level(fake_slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake_slack.messages(CHANNEL) if m.get("thread_ts", m["ts"]) == m["ts"]]


def replies(fake_slack: FakeSlack, root: dict[str, Any]) -> list[dict[str, Any]]:
    thread = fake_slack.messages(CHANNEL)
    return [m for m in thread if m.get("thread_ts") == root["ts"] and m["ts"] != root["ts"]]


def test_an_alarm_during_a_health_issue_folds_into_its_thread_until_it_closes(
    inhibiting,
    client_for,  # noqa: F811
    fake_slack,
):
    send(inhibiting, client_for, health())
    (issue,) = top_level(fake_slack)
    assert PING in issue["text"]
    send(inhibiting, client_for, alarm())
    assert top_level(fake_slack) == [fake_slack.messages(CHANNEL)[0]]  # no new root
    (held,) = replies(fake_slack, issue)
    assert "ServerCpuTooHigh" in held["text"] and PING not in json.dumps(held)
    (root,) = top_level(fake_slack)
    assert "1 related alert held in its thread" in json.dumps(message_blocks(root))
    assert all(c.response["ok"] for c in fake_slack.calls())

    send(inhibiting, client_for, health("closed"))
    issue_root, own_root = top_level(fake_slack)
    assert alert_id(issue_root) == alert_id(issue)
    assert alert_id(own_root) == alert_id(held)  # the alarm still firing, on its own now
    assert PING in own_root["text"] and "ServerCpuTooHigh" in own_root["text"]


def test_an_alarm_posted_before_the_issue_is_linked_to_it(inhibiting, client_for, fake_slack):  # noqa: F811
    send(inhibiting, client_for, alarm())
    send(inhibiting, client_for, health())
    earlier, issue = top_level(fake_slack)
    (related,) = replies(fake_slack, earlier)
    (asked,) = fake_slack.calls("chat.getPermalink")
    link = asked.response["permalink"]
    assert link.endswith(f"/archives/{CHANNEL}/p{issue['ts'].replace('.', '')}")
    assert f"Related: <{link}>" in json.dumps(related)
