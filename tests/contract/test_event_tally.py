"""The EventStore's tally: a day's events counted in groups by the store, and the daily
report built from it, identical to the report built from every event read whole."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from adapters.dynamodb.stores import DynamoEventStore
from adapters.memory import MemoryEventStore
from adapters.sqlite import SqliteAlertStore, SqliteDatabase, SqliteEventStore
from bot import daily_report
from bot.cursors import CursorCodec
from bot.daily_report import build_report, day_bounds
from bot.event_tally import EventGroup, EventKey, EventSummary, EventTally, event_key, hour_of
from bot.models import DailyReport, Event, ReportAlert, ReportPart, Severity, SignalState
from bot.ports import AlertStore, EventStore
from bot.sources import Context, interpret
from bot.timeutil import MAX_TIME
from tests.contract.conftest import STORE_KINDS, Stores
from tests.contract.test_event_store import make

DAY = date(2023, 11, 15)
START, END = day_bounds(DAY)
NOW = END + 3600
FINGERPRINTS = [f"fp-{n:02d}" for n in range(24)]
SOURCES = ("aws.cloudwatch", "aws.guardduty", "aws.health")
ACCOUNTS = ("111111111111", "222222222222", "333333333333")
CTX = Context(account_names={ACCOUNTS[0]: "prod"})


def day_of_events(rng: random.Random, count: int = 400) -> list[Event]:
    """A day of 30 alarms that puts every rule of the report to the test: ties on
    published_at broken by ids that are prefixes of each other, alarms with several
    fingerprints (shared with other alarms), empty titles, states that flip within a
    second, a severity that changes now and then; and events without fingerprints
    (interpreted again), expired ones, and some of the days before and after."""
    seconds = sorted(rng.sample(range(START, END + 1), 60))
    alarms = [
        (rng.sample(FINGERPRINTS, rng.choice((1, 1, 1, 2, 3))), rng.choice(SOURCES),
         rng.choice(ACCOUNTS), rng.choice(list(Severity)))
        for _ in range(30)
    ]  # fmt: skip
    events = []
    for n in range(count):
        fingerprints, source, account, severity = rng.choice(alarms)
        kind = rng.random()
        published = rng.choice(seconds)
        if kind < 0.03:
            published = rng.choice((START - 1, END + 1, START - 86_400))
        if kind > 0.93:
            fingerprints = []  # stored before fingerprints were kept: interpreted again
        events.append(
            make(
                f"e{n % 40}" + "!" * (n // 40),  # e1, e1!, e1!!: prefixes of one another
                published,
                source=source,
                account=account,
                title=rng.choice((f"{source} {fingerprints}", "", "Renamed")),
                severity=rng.choice(list(Severity)) if rng.random() < 0.1 else severity,
                state=rng.choice(list(SignalState)),
                fingerprints=fingerprints,
                expired_at=NOW - 1 if rng.random() < 0.04 else NOW + 86_400,
            )
        )
    return events


class WholeEvents:
    """An event store whose tally hands over every event whole, as it would a store of
    events kept without their summary: the report read from full events."""

    def __init__(self, store: EventStore) -> None:
        self._store = store

    def tally(self, start: int, end: int, now: int) -> EventTally:
        return EventTally({}, iter(list(self._store.scan(start, end, now))))


def report(events: object, alerts: AlertStore) -> tuple[DailyReport, list[ReportPart]]:
    return build_report(events, alerts, alerts, DAY, NOW, CTX)  # type: ignore[arg-type]


def read(tally: EventTally) -> tuple[list[EventGroup], list[Event], list[EventKey]]:
    items = list(tally.groups)
    groups = [item for item in items if isinstance(item, EventGroup)]
    whole = [item for item in items if isinstance(item, Event)]
    firsts = [item.first if isinstance(item, EventGroup) else event_key(item) for item in items]
    return groups, whole, firsts


def expected_groups(events: list[Event]) -> list[EventGroup]:
    """The groups, worked out the long way: every live event of the day with fingerprints,
    by its summary."""
    found: dict[EventSummary, list[EventKey]] = {}
    for event in events:
        if START <= event.published_at <= END and event.expired_at > NOW and event.fingerprints:
            found.setdefault(EventSummary.of(event), []).append(event_key(event))
    groups = [EventGroup(s, len(keys), min(keys), max(keys)) for s, keys in found.items()]
    return sorted(groups, key=lambda g: g.first)


def test_the_tally_groups_a_days_live_events_by_their_summary(event_store: EventStore) -> None:
    events = day_of_events(random.Random(7))
    assert all(event_store.create_many(events))
    groups, whole, firsts = read(event_store.tally(START, END, NOW))
    assert groups == expected_groups(events)
    assert len(groups) < sum(g.count for g in groups) * 2 / 3  # groups do group
    assert [e.id for e in whole] == [
        e.id
        for e in sorted(events, key=event_key)
        if START <= e.published_at <= END and e.expired_at > NOW and not e.fingerprints
    ]
    assert firsts == sorted(firsts)  # one order, groups and whole events together


def test_the_tally_counts_the_grouped_events_by_hour(event_store: EventStore) -> None:
    events = day_of_events(random.Random(8))
    event_store.create_many(events)
    tally = event_store.tally(START, END, NOW)
    assert dict(tally.hours) == Counter(
        hour_of(e.published_at)
        for e in events
        if START <= e.published_at <= END and e.expired_at > NOW and e.fingerprints
    )


def test_an_empty_range_tallies_nothing(event_store: EventStore) -> None:
    event_store.create(make("elsewhere", START - 10))
    tally = event_store.tally(START, END, NOW)
    assert dict(tally.hours) == {}
    assert list(tally.groups) == []


def listed_the_long_way(events: list[Event], cap: int) -> tuple[list[ReportAlert], int]:
    """The alerts a report lists, worked out event by event in the order of the day: each
    fingerprint's count, the source and account of its first event, the title of its last
    event that has one, the state of its last event, its worst severity; past `cap`
    fingerprints, events are counted as untracked."""
    listed: dict[str, ReportAlert] = {}
    untracked = 0
    for event in sorted(events, key=event_key):
        if not (START <= event.published_at <= END and event.expired_at > NOW):
            continue
        for fp in event.fingerprints or [s.fingerprint for s in interpret(event, CTX)]:
            if fp not in listed and len(listed) >= cap:
                untracked += 1
                continue
            alert = listed.setdefault(
                fp,
                ReportAlert(
                    fingerprint=fp,
                    title="",
                    source=event.source,
                    account=CTX.account_label(event.account),
                ),
            )
            alert.count += 1
            alert.title = event.title or alert.title
            alert.state = event.state
            alert.severity = max(alert.severity, event.severity, key=lambda s: s.rank)
    return list(listed.values()), untracked


@pytest.mark.parametrize("cap", [daily_report.MAX_TRACKED, 11])
def test_the_report_lists_each_alert_as_its_events_say(
    stores: Stores, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    monkeypatch.setattr(daily_report, "MAX_TRACKED", cap)
    events = day_of_events(random.Random(12))
    stores.events.create_many(events)
    summary, parts = report(stores.events, stores.alerts)
    expected, untracked = listed_the_long_way(events, cap)
    listed = {a.fingerprint: a for part in parts for a in part.alerts}
    assert listed == {a.fingerprint: a for a in expected}
    assert summary.untracked == untracked
    day = sorted(
        (e for e in events if START <= e.published_at <= END and e.expired_at > NOW),
        key=event_key,
    )
    assert [(c.label, c.count) for c in summary.by_source] == Counter(
        e.source for e in day
    ).most_common()  # ties in the order the day met them


@pytest.mark.parametrize("cap", [daily_report.MAX_TRACKED, 11])
def test_the_report_from_the_tally_is_the_report_from_whole_events(
    stores: Stores, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    monkeypatch.setattr(daily_report, "MAX_TRACKED", cap)  # 11: past it, within an event
    events = day_of_events(random.Random(9))
    stores.events.create_many(events)
    tallied = report(stores.events, stores.alerts)
    assert tallied == report(WholeEvents(stores.events), stores.alerts)
    assert tallied[0].events == sum(
        1 for e in events if START <= e.published_at <= END and e.expired_at > NOW
    )
    assert (tallied[0].untracked > 0) == (cap == 11)


# --- rows stored before the summary was ------------------------------------------------------


@pytest.fixture(params=["sqlite", "moto", "dynamodb-local"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, cursors: CursorCodec
) -> Iterator[Stores]:
    """The stores that keep rows apart from events, and so rows stored before the summary."""
    with STORE_KINDS[request.param](tmp_path, cursors) as built:
        yield built


def forget_summaries(store: EventStore, ids: list[str]) -> None:
    """Make these events as the store kept them before it stored their summary: SQLite
    rows with a NULL summary, DynamoDB items without the summary attribute."""
    if isinstance(store, SqliteEventStore):
        for event_id in ids:
            store._db.execute("UPDATE events SET summary = NULL WHERE id = ?", (event_id,))
        return
    assert isinstance(store, DynamoEventStore)
    item = store._events
    for event_id in ids:
        item(f"EVENT#{event_id}", "EVENT").update(actions=[item.summary.remove()])


def test_events_stored_without_their_summary_are_read_whole_and_reported_the_same(
    database: Stores,
) -> None:
    events = [e for e in day_of_events(random.Random(10)) if e.fingerprints]
    database.events.create_many(events)
    before = report(database.events, database.alerts)
    older = [e.id for e in events[::3]]
    forget_summaries(database.events, older)
    _, whole, firsts = read(database.events.tally(START, END, NOW))
    live = {e.id for e in events if START <= e.published_at <= END and e.expired_at > NOW}
    assert sorted(e.id for e in whole) == sorted(live & set(older))
    assert firsts == sorted(firsts)
    assert report(database.events, database.alerts) == before


# --- SQLite: a file made before the summary column --------------------------------------------


def older_file(path: Path, events: list[Event]) -> None:
    """A file as made before the summary column: today's, with it (and the change scope,
    added after it) dropped."""
    db = SqliteDatabase(path)
    try:
        SqliteEventStore(db, CursorCodec("older")).create_many(events)
    finally:
        db.close()
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP INDEX events_summary")
        conn.execute("ALTER TABLE events DROP COLUMN summary")
        conn.execute("DROP INDEX events_changes")
        conn.execute("ALTER TABLE events DROP COLUMN change_scope")
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def older_db(tmp_path: Path) -> Iterator[tuple[SqliteDatabase, list[Event]]]:
    events = day_of_events(random.Random(11))
    path = tmp_path / "older.sqlite3"
    older_file(path, events[::2])
    db = SqliteDatabase(path)
    try:
        yield db, events
    finally:
        db.close()


def test_a_file_made_before_the_summary_column_keeps_its_rows_and_reports_them(
    older_db: tuple[SqliteDatabase, list[Event]],
) -> None:
    db, events = older_db
    store = SqliteEventStore(db, CursorCodec("older"))
    older, newer = events[::2], events[1::2]
    store.create_many(newer)
    assert store.get(older[0].id, 0) == older[0]
    assert sorted(store.scan(0, MAX_TIME, 0), key=event_key) == sorted(events, key=event_key)

    _, whole, _ = read(store.tally(START, END, NOW))
    live = {e.id for e in events if START <= e.published_at <= END and e.expired_at > NOW}
    unsummarised = {e.id for e in older} | {e.id for e in newer if not e.fingerprints}
    assert {e.id for e in whole} == live & unsummarised  # older rows: read whole

    alerts = SqliteAlertStore(db)
    memory = MemoryEventStore()
    memory.create_many(events)
    assert report(store, alerts) == report(memory, alerts)


def test_opening_a_file_again_adds_the_summary_column_once(tmp_path: Path) -> None:
    path = tmp_path / "older.sqlite3"
    older_file(path, [make("old", START + 5)])
    for _ in range(2):
        SqliteDatabase(path).close()
    conn = sqlite3.connect(path)
    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(events)")]
    finally:
        conn.close()
    assert columns == ["id", "published_at", "source", "account", "expired_at", "body",
                       "summary", "change_scope"]  # fmt: skip
