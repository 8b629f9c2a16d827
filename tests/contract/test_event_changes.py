"""The EventStore's index of changes (`list_changes`): the change events of one account and
region in a time range, newest first, and nothing else that was stored."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.sqlite import LIST_CHANGES, SqliteDatabase, SqliteEventStore
from bot.changes import change_scope
from bot.cursors import CursorCodec
from bot.errors import NotFoundError
from bot.models import Event
from bot.ports import EventStore
from tests.factories import changes
from tests.factories.changes import ACCOUNT, CHANGES, NOT_CHANGES, REGION

T0 = 1_700_000_000
HOUR = 3600
CODEC = CursorCodec("changes-test-secret")


def store_all(store: EventStore, events: list[Event]) -> None:
    assert all(store.create_many(events))


def ids(found: list[Event]) -> list[str]:
    return [event.id for event in found]


def test_every_kind_of_change_is_listed_newest_first(event_store: EventStore) -> None:
    made = [kind(published_at=T0 + 60 * n, event_id=f"c{n}") for n, kind in enumerate(CHANGES)]
    store_all(event_store, made[::-1])
    found = event_store.list_changes(ACCOUNT, REGION, T0, T0 + HOUR, 10)
    assert ids(found) == ["c4", "c3", "c2", "c1", "c0"]
    assert found == made[::-1]  # whole, as stored


@pytest.mark.parametrize("kind", NOT_CHANGES, ids=lambda kind: kind.__name__)
def test_events_that_are_no_change_are_never_listed(
    event_store: EventStore, kind: Callable[..., Event]
) -> None:
    event = kind(published_at=T0, event_id="not-a-change")
    assert change_scope(event) is None
    store_all(event_store, [event, changes.stack(published_at=T0, event_id="a-change")])
    assert ids(event_store.list_changes(ACCOUNT, REGION, T0 - HOUR, T0 + HOUR, 10)) == ["a-change"]


def test_the_range_is_inclusive_and_the_limit_keeps_the_newest(event_store: EventStore) -> None:
    store_all(
        event_store,
        [changes.pipeline(published_at=T0 + n, event_id=f"p{n}") for n in range(6)],
    )
    assert ids(event_store.list_changes(ACCOUNT, REGION, T0 + 1, T0 + 4, 10)) == [
        "p4",
        "p3",
        "p2",
        "p1",
    ]
    assert ids(event_store.list_changes(ACCOUNT, REGION, T0, T0 + 5, 2)) == ["p5", "p4"]
    assert event_store.list_changes(ACCOUNT, REGION, T0 + 6, T0 + HOUR, 10) == []
    assert event_store.list_changes(ACCOUNT, REGION, T0, T0 + 5, 0) == []


def test_ties_in_time_go_by_id_descending(event_store: EventStore) -> None:
    store_all(event_store, [changes.stack(published_at=T0, event_id=i) for i in ("b", "a", "c")])
    assert ids(event_store.list_changes(ACCOUNT, REGION, T0, T0, 10)) == ["c", "b", "a"]


def test_each_account_and_region_is_a_scope_of_its_own(event_store: EventStore) -> None:
    store_all(
        event_store,
        [
            changes.pipeline(published_at=T0, event_id="here"),
            changes.pipeline(published_at=T0, event_id="other-region", region="us-east-1"),
            changes.pipeline(published_at=T0, event_id="other-account", account="210987654321"),
            changes.pipeline(published_at=T0, event_id="no-region", region=None),
        ],
    )
    window = (T0 - HOUR, T0 + HOUR, 10)
    assert ids(event_store.list_changes(ACCOUNT, REGION, *window)) == ["here"]
    assert ids(event_store.list_changes(ACCOUNT, "us-east-1", *window)) == ["other-region"]
    assert ids(event_store.list_changes("210987654321", REGION, *window)) == ["other-account"]
    assert ids(event_store.list_changes(ACCOUNT, None, *window)) == ["no-region"]
    assert event_store.list_changes("999999999999", REGION, *window) == []


def test_a_deleted_change_is_listed_no_more(event_store: EventStore) -> None:
    store_all(event_store, [changes.codedeploy(published_at=T0, event_id="d1")])
    event_store.delete("d1")
    assert event_store.list_changes(ACCOUNT, REGION, T0 - HOUR, T0 + HOUR, 10) == []
    with pytest.raises(NotFoundError):
        event_store.get("d1", T0)


def test_a_duplicate_change_is_listed_once(event_store: EventStore) -> None:
    event = changes.ecs_deployment(published_at=T0, event_id="e1")
    assert event_store.create_many([event, event]) == [True, False]
    assert event_store.create(event) is False
    assert ids(event_store.list_changes(ACCOUNT, REGION, T0, T0, 10)) == ["e1"]


def test_changes_are_also_events_like_any_other(event_store: EventStore) -> None:
    event = changes.agent_deployment(published_at=T0, event_id="agent-1")
    store_all(event_store, [event])
    assert event_store.get("agent-1", T0) == event
    assert [e.id for e in event_store.scan(T0, T0, T0)] == ["agent-1"]


# --- SQLite: the partial index, and files made before it --------------------------------------


def sqlite_file(path: Path, events: list[Event]) -> None:
    db = SqliteDatabase(path)
    try:
        SqliteEventStore(db, CODEC).create_many(events)
    finally:
        db.close()


def test_sqlite_reads_the_changes_from_their_partial_index(tmp_path: Path) -> None:
    path = tmp_path / "monitoring.sqlite3"
    sqlite_file(path, [changes.alarm(published_at=T0 + n, event_id=f"a{n}") for n in range(50)])
    conn = sqlite3.connect(path)
    try:
        plan = conn.execute(f"EXPLAIN QUERY PLAN {LIST_CHANGES}", ("s", 0, 1, 5)).fetchall()
        (rows_indexed,) = conn.execute(
            "SELECT count(*) FROM events INDEXED BY events_changes WHERE change_scope = ?",
            (f"{ACCOUNT}#{REGION}",),
        ).fetchone()
    finally:
        conn.close()
    steps = [row[-1] for row in plan]
    # One key range of the index, read in its own order: no scan of other events, no sort.
    assert len(steps) == 1 and "USING INDEX events_changes (change_scope=?" in steps[0], steps
    assert steps[0].startswith("SEARCH"), steps
    assert rows_indexed == 0  # alarms are no changes: not in the index


def test_a_file_made_before_the_change_scope_keeps_its_rows_and_lists_new_changes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "older.sqlite3"
    older = changes.stack(published_at=T0, event_id="older-change")
    sqlite_file(path, [older])
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP INDEX events_changes")
        conn.execute("ALTER TABLE events DROP COLUMN change_scope")
        conn.commit()
    finally:
        conn.close()
    for _ in range(2):  # opened twice: the column is added once
        db = SqliteDatabase(path)
        db.close()
    db = SqliteDatabase(path)
    try:
        store = SqliteEventStore(db, CODEC)
        newer = changes.stack(published_at=T0 + 1, event_id="newer-change")
        assert store.create(newer) is True
        assert store.get("older-change", T0) == older  # kept, as it was
        # Stored before changes were indexed, it is not in the index: only the newer is.
        assert ids(store.list_changes(ACCOUNT, REGION, T0 - HOUR, T0 + HOUR, 10)) == [
            "newer-change"
        ]
        columns = [row[1] for row in db.execute("PRAGMA table_info(events)")]
        assert columns.count("change_scope") == 1
    finally:
        db.close()
