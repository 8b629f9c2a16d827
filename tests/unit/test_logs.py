"""Log lines at 3 a.m.: JSON (powertools' format) with the event and alert ids on every
line written while that event or alert is handled, from whichever module wrote it."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from adapters.memory import MemoryAlertStore, MemoryEventStore
from bot import alert_actions
from bot.delivery import Delivery, flush, notify
from bot.ingest import ingest
from bot.log_context import about, current
from handlers.logs import setup_logging
from tests.corpus import load, untimed
from tests.fakes import FakeChat, FakeClock

CHANNEL = "C0ALERTS"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """Route the root logger to a buffer as the service does, and put pytest's back."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    out = io.StringIO()
    setup_logging("DEBUG", "json", stream=out)
    yield out
    root.handlers, _ = saved
    root.setLevel(saved[1])


def parsed(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def alarm(event_id: str) -> dict:
    event = untimed(load("cloudwatch_alarm_state_change_single_metric.json"))
    event["id"] = event_id
    return event


def test_every_line_about_an_event_and_its_alert_carries_both_ids(lines):
    d = Delivery(alerts=MemoryAlertStore(), chat=FakeChat(), clock=FakeClock(), channel=CHANNEL)
    d.chat.fail_next()  # Slack fails the post: the retry is logged by the alerting module
    ingest(
        [alarm("evt-1"), {**alarm("evt-bad"), "detail": []}],
        MemoryEventStore(),
        d.clock,
        ttl=3600,
        on_new=lambda e, s, _: notify(e, s, d),
    )
    records = parsed(lines)
    (alert,) = d.alerts.list_alerts()
    failed = [r for r in records if "failed" in r["message"]]
    assert failed, records
    for record in failed:
        assert record["event_id"] == "evt-1"
        assert record["alert_id"] == alert.id
        assert record["service"] == "aws-monitoring-bot"
        assert record["logger"].startswith("bot.delivery")
        assert record["level"] == "WARNING"
    (rejected,) = [r for r in records if r["message"].startswith("rejected 1 of 2 events")]
    assert "1: detail must be a JSON object" in rejected["message"]
    assert rejected["level"] == "WARNING"
    assert "event_id" not in rejected  # one line per body, about no single event
    assert "alert_id" not in rejected  # no alert: the key is left out, not null
    summary = next(r for r in records if r["message"].startswith("ingested"))
    assert "event_id" not in summary  # a batch line is about no single event

    # Later work on the alert (the flush job, a click) has no event but names the alert.
    lines.truncate(0)
    lines.seek(0)
    d.chat.fail_next()
    d.clock.advance(60)
    flush(d)
    alert = d.alerts.get_alert(alert.id)
    alert_actions.acknowledge(d, alert.id, alert.version, "U1")
    later = parsed(lines)
    assert later
    assert all(r.get("alert_id") == alert.id and "event_id" not in r for r in later), later


def test_ids_are_unbound_after_the_block_and_kept_apart_between_threads():
    seen: dict[str, dict[str, str]] = {}

    def worker(name: str) -> None:
        with about(alert_id=name):
            barrier.wait()  # both threads hold their own binding at once
            seen[name] = current()

    barrier = threading.Barrier(2)
    with about(event_id="outer"):
        with about(alert_id="inner"):
            assert current() == {"event_id": "outer", "alert_id": "inner"}
        assert current() == {"event_id": "outer"}
        threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert current() == {}
    assert seen == {"a": {"alert_id": "a"}, "b": {"alert_id": "b"}}


def test_text_format_ends_lines_with_the_ids():
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    out = io.StringIO()
    try:
        setup_logging("INFO", "text", stream=out)
        with about(event_id="evt-9", alert_id="alert-9"):
            logging.getLogger("bot.test").warning("posted")
        logging.getLogger("bot.test").info("no ids")
    finally:
        root.handlers, _ = saved
        root.setLevel(saved[1])
    first, second = out.getvalue().splitlines()
    assert first.endswith("WARNING bot.test: posted [event_id=evt-9 alert_id=alert-9]")
    assert second.endswith("INFO bot.test: no ids")


class _Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr does in a shell."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    root.handlers, _ = saved
    root.setLevel(saved[1])


def test_logs_are_text_on_a_terminal_by_default(restore_root):
    out = _Terminal()
    setup_logging("INFO", stream=out)
    with about(alert_id="a-1"):
        logging.getLogger("bot.test").info("posted %s", "it")
    line = out.getvalue().strip()
    assert line.endswith("INFO bot.test: posted it [alert_id=a-1]")
    with pytest.raises(ValueError):
        json.loads(line)


def test_logs_are_json_when_not_a_terminal_by_default(restore_root):
    out = io.StringIO()  # a pipe, a file, Lambda's stderr
    setup_logging("INFO", stream=out)
    with about(alert_id="a-1"):
        logging.getLogger("bot.test").info("posted %s", "it")
    (record,) = parsed(out)
    assert record["message"] == "posted it"
    assert record["alert_id"] == "a-1"
    assert record["logger"] == "bot.test"


def test_an_explicit_format_wins_over_the_terminal(restore_root):
    out = _Terminal()
    setup_logging("INFO", "json", stream=out)
    logging.getLogger("bot.test").info("hello")
    assert parsed(out)[0]["message"] == "hello"


def test_the_default_setting_is_auto():
    from bot.config import Settings

    assert Settings(_env_file=None).log_format == "auto"
