"""SQLite under concurrent writers, threads and processes, and across a restart.

The guarantees come from SQLite itself (INSERT OR IGNORE, UPDATE ... WHERE version = ?),
so these tests release every writer at once with a barrier and count the winners.
"""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from adapters.sqlite import SqliteAgentStore, SqliteAlertStore, SqliteDatabase, SqliteEventStore
from bot.cursors import CursorCodec
from bot.errors import StaleVersionError, UnprocessedError
from bot.models import Agent, Alert, Event, ListEventsDTO, Silence, State

T0 = 1_700_000_000
CODEC = CursorCodec("concurrency-test-secret")
PROCESSES = 4


def event(event_id: str, title: str = "") -> Event:
    return Event(
        id=event_id,
        account="123456789012",
        source="aws.cloudwatch",
        published_at=T0,
        updated_at=T0,
        received_at=T0,
        expired_at=T0 + 604_800,
        title=title,
    )


def count(db: SqliteDatabase, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def run_together(workers: int, task: Any) -> list[Any]:
    """`task(i)` on `workers` threads, all released at the same instant.

    A tiny GIL switch interval interleaves the threads between any two statements, so a
    read-then-write race, if there were one, would show instead of hiding in luck.
    """
    barrier = threading.Barrier(workers)

    def released(index: int) -> Any:
        barrier.wait(timeout=10)
        return task(index)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(released, range(workers)))
    finally:
        sys.setswitchinterval(interval)


def test_one_event_delivered_by_ten_threads_is_stored_once(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "monitoring.sqlite3")
    store = SqliteEventStore(db, CODEC)

    def deliver_ten_times(event_id: str) -> list[bool]:
        return run_together(10, lambda i: store.create(event(event_id, title=f"delivery {i}")))

    for n in range(20):  # twenty races, to give a read-then-write bug its chances
        event_id = f"evt-{n}"
        results = deliver_ten_times(event_id)
        assert sorted(results) == [False] * 9 + [True]
        winner = results.index(True)
        assert store.get(event_id, T0).title == f"delivery {winner}"
    assert count(db, "events") == 20
    db.close()


def test_overlapping_batches_from_threads_store_each_event_once(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "monitoring.sqlite3")
    store = SqliteEventStore(db, CODEC)
    batches = [random.Random(i).sample(range(40), 40) for i in range(4)]
    results = run_together(4, lambda i: store.create_many([event(f"e{n}") for n in batches[i]]))
    wins = [
        n
        for batch, answers in zip(batches, results, strict=True)
        for n, won in zip(batch, answers, strict=True)
        if won
    ]
    assert sorted(wins) == list(range(40))
    assert count(db, "events") == 40
    db.close()


def _deliver_from_a_process(path: str, barrier: Any, results: Any, index: int) -> None:
    """Child process: open the file itself, wait for the others, deliver the same event."""
    try:
        barrier.wait(timeout=30)  # open together too: schema creation must race safely
        db = SqliteDatabase(path)
        store = SqliteEventStore(db, CODEC)
        barrier.wait(timeout=30)
        results.put(store.create(event("evt-1", title=f"process {index}")))
        db.close()
    except Exception as err:  # reported, so that the parent fails instead of hanging
        results.put(f"{type(err).__name__}: {err}")


def test_one_event_delivered_by_four_processes_is_stored_once(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "monitoring.sqlite3"
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    processes = [
        context.Process(target=_deliver_from_a_process, args=(str(path), barrier, results, i))
        for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert sorted(answers, key=str) == [False] * (PROCESSES - 1) + [True]
    db = SqliteDatabase(path)
    assert count(db, "events") == 1
    db.close()


def test_concurrent_conditional_updates_have_one_winner_per_version(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "monitoring.sqlite3")
    store = SqliteAlertStore(db)
    store.create_alert(Alert(id="al-1", fingerprint="fp", first_seen=T0, last_seen=T0))
    writers, rounds = 6, 5
    barrier = threading.Barrier(writers)

    def writer(index: int) -> list[tuple[int, bool]]:
        outcomes = []
        for _ in range(rounds):
            barrier.wait(timeout=10)  # the previous round's writes are all done
            read = store.get_alert("al-1")
            barrier.wait(timeout=10)  # everyone holds the same version
            try:
                store.update_alert(read.model_copy(update={"acked_by": f"writer {index}"}))
                outcomes.append((read.version, True))
            except StaleVersionError:  # the expected loss; anything else fails the test
                outcomes.append((read.version, False))
        return outcomes

    results = run_together(writers, writer)
    for version in range(rounds):
        at_version = [won for outcomes in results for v, won in outcomes if v == version]
        assert len(at_version) == writers  # every writer read this version in its round
        assert at_version.count(True) == 1
    stored = store.get_alert("al-1")
    assert stored.version == rounds
    last_winner = next(i for i, outcomes in enumerate(results) if outcomes[-1][1])
    assert stored.acked_by == f"writer {last_winner}"
    db.close()


def test_racing_read_modify_write_increments_of_a_state_lose_none(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "monitoring.sqlite3")
    store = SqliteAlertStore(db)
    writers, increments = 8, 25

    all_read = threading.Barrier(writers)

    def increment(index: int) -> int:
        """Each increment read, bumped and written back, again after every lost race;
        the first round races the creates too: every writer has read before any writes,
        so all but one lose it, however the threads happen to be scheduled. Returns how
        many races were lost."""
        lost = 0
        for round_ in range(increments):
            while True:
                read = store.get_state("counter") or State(key="counter", data={"n": 0})
                if round_ == 0 and lost == 0:
                    all_read.wait(timeout=10)
                bumped = {"n": read.data["n"] + 1, "last": index}
                try:
                    store.put_state(read.model_copy(update={"data": bumped}))
                    break
                except StaleVersionError:
                    lost += 1
        return lost

    lost = run_together(writers, increment)
    stored = store.get_state("counter")
    assert stored is not None
    assert stored.data["n"] == writers * increments
    assert stored.version == writers * increments  # one write per increment, none lost
    assert sum(lost) >= writers - 1  # the first round did race: all but one writer lost it
    db.close()


def test_data_survives_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "var" / "nested" / "monitoring.sqlite3"
    db = SqliteDatabase(path)
    SqliteEventStore(db, CODEC).create_many([event("evt-1"), event("evt-2")])
    SqliteAgentStore(db, CODEC).create(Agent(id="123456789012", region="eu-west-1"))
    SqliteAlertStore(db).create_alert(Alert(id="al-1", fingerprint="fp", first_seen=1, last_seen=2))
    SqliteAlertStore(db).create_silence(
        Silence(id="s-1", matcher="fp", created_by="U1", created_at=T0, expires_at=T0 + 60)
    )
    db.close()
    with pytest.raises(RuntimeError, match="closed"):
        SqliteEventStore(db, CODEC).get("evt-1", T0)

    reopened = SqliteDatabase(path)
    events = SqliteEventStore(reopened, CODEC)
    assert [e.id for e in events.list(ListEventsDTO(direction="asc"), T0).items] == [
        "evt-1",
        "evt-2",
    ]
    assert events.create(event("evt-1")) is False  # still a duplicate after the restart
    assert SqliteAgentStore(reopened, CODEC).exists("123456789012")
    assert SqliteAlertStore(reopened).get_alert("al-1").fingerprint == "fp"
    assert [s.id for s in SqliteAlertStore(reopened).list_silences(T0)] == ["s-1"]
    assert reopened.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.close()


def test_a_failing_write_rolls_the_batch_back_and_says_retry(tmp_path, monkeypatch):
    """Disk I/O failing on the third insert: the first two are rolled back with it, and
    the error is the ports' UnprocessedError (503, retry), not a raw sqlite3 error (500)."""
    db = SqliteDatabase(tmp_path / "store.sqlite3")
    store = SqliteEventStore(db, CODEC)
    store.create(event("kept"))
    real = SqliteEventStore._insert
    calls = iter(range(100))

    def failing(conn, evt):
        if next(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        return real(conn, evt)

    monkeypatch.setattr(SqliteEventStore, "_insert", staticmethod(failing))
    with pytest.raises(UnprocessedError, match="disk I/O error"):
        store.create_many([event(f"e{i}") for i in range(4)])
    monkeypatch.undo()
    assert count(db, "events") == 1  # what was stored before is kept, the batch is not
    assert store.create_many([event(f"e{i}") for i in range(4)]) == [True] * 4
    with pytest.raises(UnprocessedError):
        db.execute("SELECT * FROM no_such_table")
    db.close()
