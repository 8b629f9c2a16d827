"""Resolve end to end: a GuardDuty finding in over POST /ingest of the running service,
Resolve clicks through correctly signed requests to its Bolt app, and what the fake
Slack received. A finding GuardDuty sends again unchanged stays resolved; one seen again
reopens it.

The service's clock and the fake's rate-limit clock are one injected clock; Bolt runs a
click's work after its ack, on its own thread, so its effect is waited for.
"""

from __future__ import annotations

import itertools
import json

import httpx
import pytest

from bot.alert_actions import Outcome
from bot.models import AlertStatus
from handlers.slack.authorization import NOT_ALLOWED
from handlers.slack.clicks import NOTES
from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401
from tests.factories import guardduty as gd_f
from tests.fakes import FakeClock
from tests.slack.fake_slack import FakeSlack, message_blocks
from tests.slack.test_lifecycle_e2e import clock, http, start_service  # noqa: F401 (fixtures)
from tests.slack.test_slack_e2e import (
    CHANNEL,
    action_body,
    buttons,
    roots,
    signed,
    the_alert,
    wait_for,
)

ALICE, BOB, MALLORY = "U0ALICE", "U0BOB", "U0MALLORY"
_ids = itertools.count(1)


@pytest.fixture
def service(service_factory, fake_slack: FakeSlack, clock: FakeClock) -> RunningService:  # noqa: F811
    """The running service on the shared clock, with two responders."""
    return start_service(service_factory, fake_slack, clock, slack_responders=[ALICE, BOB])


def finding(count: int = 3, severity: float = 8) -> dict:
    """GuardDuty's event for one finding, as EventBridge delivers it: each delivery is a
    new event of the same finding."""
    return {
        "version": "0",
        "id": f"gd-{next(_ids)}",
        "source": gd_f.SOURCE,
        "detail-type": gd_f.FINDING,
        "account": "123456789012",
        "region": "us-east-1",
        "time": "2024-01-02T00:00:00Z",
        "resources": [],
        "detail": gd_f.finding(count=count, severity=severity),
    }


def click_resolve(client: httpx.Client, value: str, user: str) -> None:
    body = action_body({"action_id": "alert_resolve", "value": value, "type": "button",
                        "block_id": "b"}, user=user)  # fmt: skip
    assert client.post("/slack/events", content=body, headers=signed(body)).status_code == 200


def notes_to(fake_slack: FakeSlack, user: str) -> list[str]:
    return [m["text"] for m in fake_slack.ephemerals() if m["to"] == user]


def thread(fake_slack: FakeSlack, root: dict) -> list[str]:
    return [
        m["text"]
        for m in fake_slack.messages(CHANNEL)
        if m.get("thread_ts") == root["ts"] and m["ts"] != root["ts"]
    ]


@pytest.fixture
def root(http, fake_slack: FakeSlack) -> dict:  # noqa: F811
    """A GuardDuty finding, posted: its root message."""
    assert http.post("/ingest", json=finding()).status_code == 202
    (posted,) = roots(fake_slack)
    return posted


def test_resolve_then_the_finding_again_then_worse(root, http, service, fake_slack, clock):  # noqa: F811
    value = buttons(root)["alert_resolve"]["value"]
    opened = the_alert(service)

    # Someone not among the responders is refused, and nothing changes.
    click_resolve(http, value, MALLORY)
    assert wait_for(lambda: notes_to(fake_slack, MALLORY), "the refusal") == [NOT_ALLOWED]
    assert the_alert(service).version == opened.version

    # A responder resolves it: stored, redrawn resolved without controls, told in its thread.
    clock.advance(14 * 60)
    click_resolve(http, value, ALICE)
    wait_for(lambda: the_alert(service).status is AlertStatus.RESOLVED, "the resolution")
    resolved = the_alert(service)
    assert resolved.resolved_by == ALICE
    assert resolved.history[-1].by == ALICE
    (redrawn,) = wait_for(lambda: fake_slack.calls("chat.update"), "the redraw")
    shown = json.dumps(message_blocks(redrawn.params))
    assert "Resolved: " in shown and f"Resolved by <@{ALICE}>" in shown
    assert not {"alert_ack", "alert_resolve", "alert_silence"} & set(buttons(redrawn.params))
    (reply,) = wait_for(lambda: thread(fake_slack, root), "the thread reply")
    assert f"Resolved by <@{ALICE}> at " in reply and "open for 14 min" in reply

    # The same click again, by another responder, is stale: a note, and nothing changes.
    click_resolve(http, value, BOB)
    assert wait_for(lambda: notes_to(fake_slack, BOB), "the stale note") == [NOTES[Outcome.STALE]]
    after = the_alert(service)
    assert (after.version, after.resolved_by) == (resolved.version, ALICE)
    assert len(thread(fake_slack, root)) == 1

    # GuardDuty sends the finding again, unchanged: within the reopen window, and 6 hours
    # later, past it. Each is stored and counted; nothing reopens, nothing is posted.
    for later in (20 * 60, 6 * 3600):
        clock.advance(later)
        sent = finding()
        assert http.post("/ingest", json=sent).status_code == 202
        assert service.services.events.get(sent["id"], int(clock.now())).family == "guardduty"
    counted = the_alert(service)
    assert (counted.status, counted.count, counted.resolved_by) == (
        AlertStatus.RESOLVED, 3, ALICE
    )  # fmt: skip
    assert len(roots(fake_slack)) == 1 and len(thread(fake_slack, root)) == 1

    # Seen again by GuardDuty (its count rose): news. Past the reopen window, a new root
    # with its controls; the resolved one keeps its history.
    clock.advance(600)
    assert http.post("/ingest", json=finding(count=4)).status_code == 202
    old, new = sorted(
        (a for a in service.services.alerts.list_alerts() if a.kind == "alert"),
        key=lambda a: a.first_seen,
    )
    assert (old.status, old.resolved_by) == (AlertStatus.RESOLVED, ALICE)
    assert new.status is AlertStatus.OPEN and new.count == 1
    first, second = roots(fake_slack)
    assert first["ts"] == root["ts"]
    assert {"alert_ack", "alert_resolve", "alert_silence"} <= set(buttons(second))


def test_a_worse_finding_soon_after_reopens_the_same_root(root, http, service, fake_slack, clock):  # noqa: F811
    click_resolve(http, buttons(root)["alert_resolve"]["value"], ALICE)
    wait_for(lambda: thread(fake_slack, root), "the thread reply")
    clock.advance(600)
    assert http.post("/ingest", json=finding(severity=8.5)).status_code == 202  # worse
    reopened = the_alert(service)
    assert (reopened.status, reopened.resolved_by, reopened.flaps) == (AlertStatus.OPEN, None, 2)
    (again,) = roots(fake_slack)
    assert again["ts"] == root["ts"]
    assert {"alert_ack", "alert_resolve", "alert_silence"} <= set(buttons(again))
    assert "reopened" in thread(fake_slack, root)[-1]
