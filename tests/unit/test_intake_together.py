"""The ingest use case on SQLite writes a body's events and the alert records they open
in one transaction, and tells Slack only once that is committed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from adapters.sqlite import SqliteAgentStore, SqliteAlertStore, SqliteDatabase, SqliteEventStore
from bot.config import Settings
from bot.cursors import CursorCodec
from bot.errors import NotFoundError, UnprocessedError
from tests.corpus import load, untimed
from tests.factories.services import memory_services
from tests.fakes import FakeChat, FakeClock

CODEC = CursorCodec("intake-together-secret")


def alarm(name: str, event_id: str) -> dict:
    event = untimed(load("cloudwatch_alarm_state_change_single_metric.json"))
    event["id"] = event_id
    event["detail"]["alarmName"] = name
    return event


class CommittedChat(FakeChat):
    """A chat that, at each post, reads the file from a connection of its own: what it
    sees there is what was committed before Slack heard of it."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.seen_at_post: list[tuple[int, int]] = []

    def post_alert(self, channel, signal, alert, **kwargs):
        other = sqlite3.connect(self.path)
        try:
            self.seen_at_post.append(
                (
                    other.execute("SELECT count(*) FROM events").fetchone()[0],
                    other.execute("SELECT count(*) FROM alerts").fetchone()[0],
                )
            )
        finally:
            other.close()
        return super().post_alert(channel, signal, alert, **kwargs)


@pytest.fixture
def sqlite(tmp_path: Path):
    path = tmp_path / "intake.sqlite3"
    db = SqliteDatabase(path)
    chat = CommittedChat(path)
    alerts = SqliteAlertStore(db)
    services = memory_services(
        Settings(_env_file=None, slack_alerts_channel="C0ALERTS"),
        events=SqliteEventStore(db, CODEC),
        agents=SqliteAgentStore(db, CODEC),
        alerts=alerts,
        chat=chat,
        clock=FakeClock(),
    )
    yield services, chat, alerts
    db.close()


def test_slack_hears_of_a_body_s_alerts_once_its_events_and_records_are_committed(sqlite):
    services, chat, _ = sqlite
    result = services.ingest([alarm("CpuHigh", "e1"), alarm("DiskFull", "e2")])
    assert result.stored == 2
    assert len(chat.posts) == 2
    # Both events and both records were committed before the first post went out.
    assert chat.seen_at_post == [(2, 2), (2, 2)]


def test_a_store_failing_one_event_s_alert_keeps_and_sends_the_rest_then_says_retry(sqlite):
    """The second event's alert record could not be written: the events and the first
    record are committed and its post sent, and the sender is told to retry, which
    brings the second alert to Slack, once, and no other twice."""
    services, chat, alerts = sqlite
    body = [alarm("CpuHigh", "e1"), alarm("DiskFull", "e2")]
    real, calls = alerts.create_alert, []

    def down_once(alert, applied=None):  # the alert store fails its first creation
        calls.append(alert.id)
        if len(calls) == 1:
            raise UnprocessedError("fake: the alert store is down")
        return real(alert, applied)

    alerts.create_alert = down_once
    with pytest.raises(UnprocessedError, match="1 of 2 events are stored but not yet alerted"):
        services.ingest([body[1], body[0]])  # DiskFull first: its alert is the one failing
    assert [p["alert"].title for p in chat.posts] == ["CpuHigh"]
    assert chat.seen_at_post == [(2, 1)]  # both events, CpuHigh's record: committed first
    now = int(services.clock.now())
    assert [services.events.get(i, now).id for i in ("e1", "e2")] == ["e1", "e2"]
    again = services.ingest(body)
    assert (again.stored, again.duplicates) == (0, 2)
    assert sorted(p["alert"].title for p in chat.posts) == ["CpuHigh", "DiskFull"]
    assert sorted(a.count for a in services.alerts.list_alerts()) == [1, 1]


def test_an_error_that_is_not_the_store_s_keeps_nothing_and_sends_nothing(sqlite, monkeypatch):
    """A bug after the body's events and records were written leaves the unit by an
    exception: SQLite rolls the body back whole, and Slack hears of none of it."""
    from bot import intake

    services, chat, _ = sqlite
    real = intake.ingest

    def written_then_broken(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("a bug")

    monkeypatch.setattr(intake, "ingest", written_then_broken)
    with pytest.raises(RuntimeError):
        services.ingest([alarm("CpuHigh", "e1")])
    monkeypatch.undo()
    assert chat.posts == []
    assert services.alerts.list_alerts() == []
    with pytest.raises(NotFoundError):
        services.events.get("e1", int(services.clock.now()))
    assert services.ingest([alarm("CpuHigh", "e1")]).stored == 1  # sent again: all of it
    assert len(chat.posts) == 1
