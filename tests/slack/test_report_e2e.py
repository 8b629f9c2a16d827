"""The daily report through the real Slack adapter, against the fake Slack Web API over
HTTP: a seeded day of 50,000 events in SQLite gives one parent message and thread replies
carrying its thread_ts, its totals match the store, and a second run posts nothing.

The service's clock and the fake's rate-limit clock are one injected clock, which the
report's pauses move on: the fake's budgets hold, and nothing sleeps.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.slack import SlackChat
from adapters.sqlite import SqliteAgentStore, SqliteAlertStore, SqliteDatabase, SqliteEventStore
from bot.config import Settings
from bot.cursors import CursorCodec
from bot.ingest import ingest
from bot.models import Alert, AlertStatus
from bot.services import Services
from handlers.bootstrap import bootstrap
from tests.fakes import FakeClock
from tests.slack.fake_slack import FakeSlack
from tests.unit.test_blocks_slack_text import mrkdwn_texts
from tests.unit.test_daily_report import DAY, END, START, alarm, finding

REPORTS = "CREPORTS"
ROOT = Path(__file__).resolve().parents[2]
EVENTS = 50_000
BATCH = 1000


@pytest.fixture
def seeded(request, tmp_path):
    """EVENTS events (or the test's `events` mark) over the day, and a few either side,
    plus alerts opened, acked and resolved that day, in a SQLite file."""
    mark = request.node.get_closest_marker("events")
    count = mark.args[0] if mark else EVENTS
    db = SqliteDatabase(tmp_path / "monitoring.sqlite3")
    clock = FakeClock(END + 1 + 3600)
    events = SqliteEventStore(db, CursorCodec("test"))
    bodies = []
    for n in range(count):
        at = START + (n * 86400) // count
        if n % 10 == 0:
            bodies.append(finding(n, at, 7.5 if n % 20 else 3.0))
        else:
            state = "OK" if n % 7 == 0 else "ALARM"
            bodies.append(alarm(n, at, f"alarm-{n % 300:03d}", state=state))
    bodies += [alarm(EVENTS + 1, START - 5, "yesterday"), alarm(EVENTS + 2, END + 5, "tomorrow")]
    for i in range(0, len(bodies), BATCH):
        result = ingest(bodies[i : i + BATCH], events, clock, ttl=30 * 86400)
        assert not result.rejected
    alerts = SqliteAlertStore(db)
    for n in range(6):
        alerts.create_alert(
            Alert(
                id=f"a{n}",
                fingerprint=f"fp-{n}",
                status=AlertStatus.RESOLVED if n % 2 else AlertStatus.OPEN,
                first_seen=START + 600 * n,
                opened_at=START + 600 * n,
                last_seen=START + 600 * n + 1200,
                acked_at=START + 600 * n + 300,
                resolved_at=START + 600 * n + 1200 if n % 2 else None,
            )
        )
    yield db, clock
    db.close()


def services(db, clock, fake_slack: FakeSlack) -> Services:
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-test",
        slack_api_url=fake_slack.url,
        slack_alerts_channel="CALERTS",
        slack_report_channel=REPORTS,
    )
    codec = CursorCodec("test")
    return bootstrap(
        settings=settings,
        events=SqliteEventStore(db, codec),
        agents=SqliteAgentStore(db, codec),
        alerts=SqliteAlertStore(db),
        chat=SlackChat("xoxb-test", fake_slack.url, clock=clock),
        clock=clock,
        pause=clock.advance,
    )


def parents_of(messages: list[dict]) -> list[dict]:
    """Top-level messages (Slack gives a thread's parent its own ts as thread_ts)."""
    return [m for m in messages if m.get("thread_ts") in (None, m["ts"])]


def counted(texts: list[str], pattern: str) -> int:
    (match,) = [m for t in texts for m in re.findall(pattern, t)]
    return int(match.replace(",", ""))


def store_counts(path) -> tuple[int, dict[str, int]]:
    """The day's totals straight from the SQLite file, not through the bot's code."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT source, COUNT(*) FROM events WHERE published_at BETWEEN ? AND ?"
            " GROUP BY source",
            (START, END),
        ).fetchall()
    return sum(n for _, n in rows), dict(rows)


@pytest.mark.slow
def test_a_day_of_50000_events_is_one_parent_and_its_thread(seeded, fake_slack, tmp_path):
    db, clock = seeded
    fake_slack.clock = clock.now
    svc = services(db, clock, fake_slack)
    outcome = svc.send_report(DAY)
    assert outcome.status == "posted"

    posts = [c for c in fake_slack.calls("chat.postMessage") if c.status == 200]
    assert not [c for c in fake_slack.calls() if c.status == 429]
    parents = [c for c in posts if not c.params.get("thread_ts")]
    replies = [c for c in posts if c.params.get("thread_ts")]
    assert len(parents) == 1
    (parent,) = parents
    assert parent.params["channel"] == REPORTS
    assert replies and {c.params["thread_ts"] for c in replies} == {parent.response["ts"]}
    assert outcome.posted == len(posts) == len(fake_slack.messages(REPORTS))

    total, by_source = store_counts(tmp_path / "monitoring.sqlite3")
    assert total == EVENTS
    shown = mrkdwn_texts(parent.params["blocks"])
    assert counted(shown, r"\*([\d,]+) events\*") == total
    for source, n in by_source.items():
        assert counted(shown, rf"{re.escape(source)}: ([\d,]+)") == n
    assert counted(shown, r"([\d,]+) opened") == 6
    assert counted(shown, r"([\d,]+) resolved ·") == 3
    assert "Mean time to acknowledge 5 min (over 6)" in "\n".join(shown)

    # One reply (or more) per source, each naming the source's events; every alert listed once.
    per_source: dict[str, int] = {}
    listed = 0
    for reply in replies:
        texts = mrkdwn_texts(reply.params["blocks"])
        head = re.match(r"\*(\S+)\*: ([\d,]+) events", texts[0])
        assert head, texts[0]
        per_source[head.group(1)] = int(head.group(2).replace(",", ""))
        listed += sum(t.count("×") for t in texts[1:])
    assert per_source == by_source
    assert listed == outcome.report.alerts == 270 + 3  # alarm names of n % 10 != 0; 3 findings

    before = len(fake_slack.calls())
    again = services(db, clock, fake_slack).send_report(DAY)
    assert again.status == "already_posted"
    assert len(fake_slack.calls()) == before


@pytest.mark.events(3000)
def test_a_refused_post_stops_the_run_and_a_rerun_posts_the_report_once(seeded, fake_slack):
    db, clock = seeded
    fake_slack.clock = clock.now
    fake_slack.fail_with("chat.postMessage", "channel_not_found", times=1)
    svc = services(db, clock, fake_slack)
    with pytest.raises(Exception, match="channel_not_found"):
        svc.send_report(DAY)
    assert fake_slack.messages(REPORTS) == []
    outcome = services(db, clock, fake_slack).send_report(DAY)
    assert outcome.status == "posted"
    assert len(parents_of(fake_slack.messages(REPORTS))) == 1


@pytest.mark.events(3000)
def test_a_lost_answer_is_found_in_the_channel_not_posted_twice(seeded, fake_slack):
    db, clock = seeded
    fake_slack.clock = clock.now
    fake_slack.drop_response_next("chat.postMessage")  # Slack posts; the answer never comes
    svc = services(db, clock, fake_slack)
    svc.send_report(DAY)
    messages = fake_slack.messages(REPORTS)
    (parent,) = parents_of(messages)
    assert len(messages) == 1 + parent["reply_count"] == 9
    assert {m["thread_ts"] for m in messages} == {parent["ts"]}


def test_the_report_day_is_by_published_time_in_utc():
    assert datetime.fromtimestamp(START, tz=UTC).isoformat() == "2026-11-26T00:00:00+00:00"


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_python_app_py_report_posts_once_and_again_with_force(tmp_path, fake_slack):
    now = time.time()
    db = SqliteDatabase(tmp_path / "monitoring.sqlite3")
    day = datetime.fromtimestamp(now, tz=UTC).date() - timedelta(days=2)
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    bodies = [alarm(n, start + n * 600, f"alarm-{n % 4}") for n in range(100)]
    bodies += [finding(1000 + n, start + n * 900, 8.0) for n in range(20)]
    assert ingest(bodies, SqliteEventStore(db, CursorCodec("x")), FakeClock(now), ttl=86400 * 7)
    db.close()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STORE"))},
        "DATA_DIR": str(tmp_path),
        "STORE": "sqlite",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake_slack.url,
        "SLACK_ALERTS_CHANNEL": "CALERTS",
        "SLACK_REPORT_CHANNEL": REPORTS,
    }
    first = run_cli(["report", "--date", day.isoformat()], env)
    assert first.returncode == 0, first.stderr
    assert f"report for {day} posted to {REPORTS}: 3 messages; 120 events" in first.stdout
    assert len(fake_slack.messages(REPORTS)) == 3

    again = run_cli(["report", "--date", day.isoformat()], env)
    assert again.returncode == 0, again.stderr
    assert "already posted" in again.stdout and "--force" in again.stdout
    assert len(fake_slack.messages(REPORTS)) == 3

    forced = run_cli(["report", "--date", day.isoformat(), "--force"], env)
    assert forced.returncode == 0, forced.stderr
    assert len(parents_of(fake_slack.messages(REPORTS))) == 2

    for bad, problem in [("yesterday", "not a day"), ("2999-01-01", "not over yet")]:
        refused = run_cli(["report", "--date", bad], env)
        assert refused.returncode == 2
        assert problem in refused.stderr
