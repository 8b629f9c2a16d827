"""/healthz's store probes: a write probe per store, run under a timeout in one worker
thread at most, and the whole answer cached for HEALTH_TTL_S on the caller's clock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters import sqlite as sqlite_adapter
from adapters.memory import MemoryAgentStore, MemoryAlertStore, MemoryEventStore
from adapters.sqlite import PROBE_KEY, PROBE_ROOM_KEY, SqliteAlertStore, SqliteDatabase
from bot.config import Settings
from bot.errors import RequestTimeoutError, UnprocessedError
from bot.health import HEALTH_TTL_S, BoundedProbe, HealthCache, check_health
from bot.services import Services
from handlers.bootstrap import bootstrap
from tests.fakes import FakeChat, FakeClock

TIMEOUT_S = 0.2  # a probe that blocks is given up on after this (real time: a thread)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


def services(clock: FakeClock, alerts: Any = None) -> Services:
    return bootstrap(
        settings=Settings(
            _env_file=None, slack_alerts_channel="C1", health_probe_timeout=TIMEOUT_S
        ),
        events=MemoryEventStore(),
        agents=MemoryAgentStore(),
        alerts=alerts or MemoryAlertStore(),
        chat=FakeChat(),
        clock=clock,
    )


class Counted:
    """probe_write that counts its calls and, when `hold` is set, waits on `release`."""

    def __init__(self, store: MemoryAlertStore, hold: bool = False) -> None:
        self.store = store
        self.calls = 0
        self.hold = hold
        self.release = threading.Event()

    def __call__(self, now: float) -> None:
        self.calls += 1
        if self.hold:
            self.release.wait(10)
        self.store.probed_at = now


@pytest.fixture
def blocked(clock: FakeClock) -> Iterator[tuple[Services, Counted]]:
    svc = services(clock)
    probe = Counted(svc.alerts, hold=True)  # type: ignore[arg-type]
    svc.alerts.probe_write = probe  # type: ignore[method-assign]
    yield svc, probe
    probe.release.set()  # the stuck worker ends with the test


# --- the cache ---------------------------------------------------------------------------


def test_the_whole_answer_is_reused_for_five_seconds_on_the_callers_clock(clock):
    svc = services(clock)
    probe = Counted(svc.alerts)  # type: ignore[arg-type]
    svc.alerts.probe_write = probe  # type: ignore[method-assign]
    cache = HealthCache(TIMEOUT_S)
    first = cache.check(svc, clock.now())
    clock.advance(HEALTH_TTL_S - 1)
    second = cache.check(svc, clock.now())
    assert probe.calls == 1
    assert (first.checked_s_ago, second.checked_s_ago) == (None, int(HEALTH_TTL_S - 1))
    assert second.checks == first.checks
    clock.advance(1)
    third = cache.check(svc, clock.now())
    assert probe.calls == 2
    assert third.checked_s_ago is None


def test_a_cached_failure_is_kept_until_the_ttl_then_probed_again(clock, monkeypatch):
    svc = services(clock)
    cache = HealthCache(TIMEOUT_S)

    def full(now: float) -> None:
        raise UnprocessedError("SQLite could not do it: database or disk is full")

    monkeypatch.setattr(svc.alerts, "probe_write", full)
    assert cache.check(svc, clock.now()).status == "failing"
    monkeypatch.undo()
    clock.advance(HEALTH_TTL_S - 0.5)
    assert cache.check(svc, clock.now()).status == "failing"
    clock.advance(0.5)
    assert cache.check(svc, clock.now()).status == "ok"


def test_a_clock_that_went_back_probes_again(clock):
    svc = services(clock)
    probe = Counted(svc.alerts)  # type: ignore[arg-type]
    svc.alerts.probe_write = probe  # type: ignore[method-assign]
    cache = HealthCache(TIMEOUT_S)
    cache.check(svc, clock.now())
    clock.advance(-1)
    cache.check(svc, clock.now())
    assert probe.calls == 2


# --- the timeout -------------------------------------------------------------------------


def test_a_probe_that_blocks_is_failing_after_the_timeout(blocked, clock):
    svc, _probe = blocked
    probes = BoundedProbe(TIMEOUT_S)
    result = check_health(svc, clock.now(), HealthCache(TIMEOUT_S).auth, probes)
    assert (result.status, result.http_status) == ("failing", 503)
    check = result.checks["alert_store"]
    assert (check.status, check.detail) == ("failing", f"timed out after {TIMEOUT_S:g} s")
    assert result.checks["event_store"].status == "failing"  # not reached in time
    assert result.checks["slack"].status == "console"  # the rest still answers
    assert probes.busy


def test_no_second_worker_starts_while_one_is_stuck(blocked, clock):
    svc, probe = blocked
    probes = BoundedProbe(TIMEOUT_S)
    auth = HealthCache(TIMEOUT_S).auth
    check_health(svc, clock.now(), auth, probes)
    threads = threading.active_count()
    again = check_health(svc, clock.now(), auth, probes)
    assert probe.calls == 1  # not asked again
    assert threading.active_count() == threads
    assert again.checks["alert_store"].detail is not None
    assert again.checks["alert_store"].detail.startswith("timed out: the probe started")
    probe.release.set()
    probe.hold = False
    for _ in range(100):  # the worker ends as soon as the store answers
        if not probes.busy:
            break
        threading.Event().wait(0.01)
    assert check_health(svc, clock.now(), auth, probes).status == "ok"
    assert probe.calls == 2


def test_a_slack_that_hangs_is_failing_beside_the_stores_within_one_timeout(clock):
    """auth.test runs in its own worker, started before the store probes and waited on
    for what is left of the same timeout: a hung Slack holds no answer past it."""
    svc = bootstrap(
        settings=Settings(
            _env_file=None,
            slack_alerts_channel="C1",
            slack_bot_token="xoxb-test",
            health_probe_timeout=TIMEOUT_S,
        ),
        events=MemoryEventStore(),
        agents=MemoryAgentStore(),
        alerts=MemoryAlertStore(),
        chat=FakeChat(),
        clock=clock,
    )
    release = threading.Event()
    svc.chat.check_auth = lambda: release.wait(10)  # type: ignore[method-assign]
    cache = HealthCache(TIMEOUT_S)
    try:
        result = cache.check(svc, clock.now())
        slack = result.checks["slack"]
        assert (slack.status, slack.detail) == ("failing", f"timed out after {TIMEOUT_S:g} s")
        assert result.checks["alert_store"].status == "ok"
        assert (result.status, result.http_status) == ("failing", 503)
        clock.advance(HEALTH_TTL_S)
        again = cache.check(svc, clock.now()).checks["slack"]
        assert again.detail is not None and again.detail.startswith("timed out: the probe")
    finally:
        release.set()


def test_the_worker_hands_back_the_probes_value_and_errors():
    probes = BoundedProbe(1.0)
    assert probes.run(lambda: 42) == 42
    with pytest.raises(UnprocessedError, match="locked"):
        probes.run(lambda: (_ for _ in ()).throw(UnprocessedError("locked")))
    stop = threading.Event()
    with pytest.raises(RequestTimeoutError, match=r"timed out after 0\.05 s"):
        BoundedProbe(0.05).run(lambda: stop.wait(10))
    stop.set()


# --- each store's probe_write ------------------------------------------------------------


def test_memory_probe_write_records_its_time():
    store = MemoryAlertStore()
    store.probe_write(123.5)
    assert store.probed_at == 123.5


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "probe.sqlite3", timeout_s=0.2)
    yield database
    database.close()


def test_sqlite_probe_write_upserts_its_heartbeat_and_leaves_no_room_row(db):
    store = SqliteAlertStore(db)
    store.probe_write(100.0)
    store.probe_write(200.0)
    state = store.get_state(PROBE_KEY)
    assert state is not None and state.data == {"at": 200.0}
    assert store.get_state(PROBE_ROOM_KEY) is None
    rows = db.execute("SELECT count(*) FROM states").fetchone()[0]
    assert rows == 1


def test_sqlite_probe_write_fails_when_the_file_may_not_grow(db):
    store = SqliteAlertStore(db)
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 4}")  # this thread's connection
    with pytest.raises(UnprocessedError, match="full"):
        store.probe_write(100.0)
    db.execute(f"PRAGMA max_page_count = {pages + 64}")
    store.probe_write(101.0)


def test_sqlite_probe_write_fails_under_a_held_lock_within_the_busy_timeout(db):
    store = SqliteAlertStore(db)
    holder = sqlite3.connect(db.path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(UnprocessedError, match="locked"):
            store.probe_write(100.0)
    finally:
        holder.close()
    store.probe_write(101.0)


def test_sqlite_probe_write_fails_on_a_disk_without_room(db, monkeypatch):
    class Usage:
        free = 1024

    monkeypatch.setattr(sqlite_adapter.shutil, "disk_usage", lambda path: Usage())
    with pytest.raises(UnprocessedError, match="disk is full: 1024 bytes free"):
        SqliteAlertStore(db).probe_write(100.0)
