"""`EventStore.together`: a body's events and the alert records they open are written
as one unit where the store can (SQLite: one transaction, one commit), and as before,
each on its own, where it cannot (DynamoDB, memory)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from adapters.sqlite import SqliteAlertStore, SqliteDatabase, SqliteEventStore
from bot.cursors import CursorCodec
from bot.errors import ConflictError, NotFoundError, UnprocessedError
from bot.models import State
from tests.contract.conftest import Stores
from tests.contract.test_alert_store import alert
from tests.contract.test_sqlite_concurrency import event

CODEC = CursorCodec("together-test-secret")
NOW = 1_700_000_000


def test_what_is_written_together_is_all_kept(stores: Stores) -> None:
    with stores.events.together():
        assert stores.events.create_many([event("e1"), event("e2")]) == [True, True]
        stores.alerts.create_alert(alert("al-1"), applied="e1")
        stores.alerts.put_state(State(key="storm:C0123", data={"count": 1}))
    assert [stores.events.get(i, NOW).id for i in ("e1", "e2")] == ["e1", "e2"]
    assert stores.alerts.get_alert("al-1").id == "al-1"
    assert stores.alerts.was_applied("al-1", "e1")
    kept = stores.alerts.get_state("storm:C0123")
    assert kept is not None and kept.data == {"count": 1}


def test_a_refused_write_inside_is_refused_as_outside(stores: Stores) -> None:
    """A conditional write that loses (the record exists) says so inside too, and the
    unit goes on: only that write is undone."""
    stores.alerts.create_alert(alert("al-1"))
    with stores.events.together():
        stores.events.create_many([event("e1")])
        with pytest.raises(ConflictError):
            stores.alerts.create_alert(alert("al-1", title="second"), applied="e1")
        stores.alerts.put_state(State(key="k", data={"n": 1}))
    assert stores.alerts.get_alert("al-1").title == "CPU high"
    assert not stores.alerts.was_applied("al-1", "e1")  # the refused write's mark is undone
    assert stores.events.get("e1", NOW).id == "e1"
    assert stores.alerts.get_state("k") is not None


@pytest.fixture
def sqlite_db(tmp_path: Path):
    db = SqliteDatabase(tmp_path / "together.sqlite3")
    yield db
    db.close()


def test_on_sqlite_an_error_leaving_the_unit_keeps_none_of_it(sqlite_db: SqliteDatabase) -> None:
    events, alerts = SqliteEventStore(sqlite_db, CODEC), SqliteAlertStore(sqlite_db)
    events.create(event("before"))
    with pytest.raises(UnprocessedError), events.together():
        events.create_many([event("e1")])
        alerts.create_alert(alert("al-1"), applied="e1")
        raise UnprocessedError("the alert store failed on the next event")
    with pytest.raises(NotFoundError):
        events.get("e1", NOW)
    with pytest.raises(NotFoundError):
        alerts.get_alert("al-1")
    assert events.get("before", NOW).id == "before"  # what was stored before is kept
    with events.together():  # the connection is left clean: the next unit commits
        events.create_many([event("e1")])
    assert events.get("e1", NOW).id == "e1"


def test_on_sqlite_the_unit_is_one_transaction_seen_whole_or_not_at_all(
    sqlite_db: SqliteDatabase, tmp_path: Path
) -> None:
    """Another connection sees none of the unit's writes until it ends, then all of
    them: one commit, where each write used to commit (and sync) on its own."""
    events, alerts = SqliteEventStore(sqlite_db, CODEC), SqliteAlertStore(sqlite_db)
    other = sqlite3.connect(tmp_path / "together.sqlite3")

    def seen() -> tuple[int, int]:
        return (
            other.execute("SELECT count(*) FROM events").fetchone()[0],
            other.execute("SELECT count(*) FROM alerts").fetchone()[0],
        )

    with events.together():
        events.create_many([event("e1")])
        alerts.create_alert(alert("al-1"), applied="e1")
        alerts.update_alert(alert("al-1", title="moved"))
        assert seen() == (0, 0)
    assert seen() == (1, 1)
    assert alerts.get_alert("al-1").title == "moved"
    other.close()


def test_on_sqlite_a_full_disk_inside_the_unit_fails_it_whole_and_says_so(
    sqlite_db: SqliteDatabase,
) -> None:
    """SQLite rolls a transaction back itself when the file cannot grow. The writes the
    unit makes after that fail too (none commits on its own, outside it), and its end
    names the cause."""
    events, alerts = SqliteEventStore(sqlite_db, CODEC), SqliteAlertStore(sqlite_db)
    events.create(event("before"))
    pages = sqlite_db.execute("PRAGMA page_count").fetchone()[0]
    sqlite_db.execute(f"PRAGMA max_page_count = {pages}")
    big = [event(f"big{i}", title="x" * 3000) for i in range(50)]
    with pytest.raises(UnprocessedError, match="full"), events.together():
        with pytest.raises(UnprocessedError, match="full"):
            events.create_many(big)
        with pytest.raises(UnprocessedError, match="full"):
            alerts.put_state(State(key="after", data={}))  # refused: the unit is gone
    sqlite_db.execute("PRAGMA max_page_count = 1073741823")
    assert alerts.get_state("after") is None
    with pytest.raises(NotFoundError):
        events.get("big0", NOW)
    assert events.get("before", NOW).id == "before"
    with events.together():  # the connection is left clean
        alerts.put_state(State(key="after", data={}))
    assert alerts.get_state("after") is not None


def test_on_sqlite_the_unit_takes_the_write_lock_at_its_first_write_not_before(
    sqlite_db: SqliteDatabase, tmp_path: Path
) -> None:
    """While a body is read, before its first write, other writers are not held up."""
    events = SqliteEventStore(sqlite_db, CODEC)
    other = sqlite3.connect(tmp_path / "together.sqlite3", timeout=0.1, isolation_level=None)
    with events.together():
        other.execute("BEGIN IMMEDIATE")  # would wait, then fail, if the unit held the lock
        other.execute("COMMIT")
        events.create_many([event("e1")])
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # the unit's end let it go
    other.execute("COMMIT")
    other.close()
    assert events.get("e1", NOW).id == "e1"
