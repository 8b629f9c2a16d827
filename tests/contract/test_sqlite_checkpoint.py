"""The SQLite store's background WAL checkpoints: started by the first write, stopped by
close() or when the database is forgotten, and writers checkpoint only a WAL it let grow."""

from __future__ import annotations

import gc
import threading
from functools import partial
from pathlib import Path

import pytest

from adapters import sqlite as sqlite_adapter
from adapters.sqlite import SqliteDatabase, SqliteEventStore
from adapters.sqlite_checkpoint import WRITER_CHECKPOINT_PAGES, Checkpointer
from bot.cursors import CursorCodec
from tests.contract.test_sqlite_concurrency import event
from tests.slack.test_slack_e2e import wait_for

CODEC = CursorCodec("checkpoint-test-secret")


def checkpointers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sqlite-checkpoint:")]


def test_the_first_write_starts_the_checkpointer_and_close_stops_it(tmp_path: Path) -> None:
    before = len(checkpointers())
    db = SqliteDatabase(tmp_path / "a.sqlite3")
    assert len(checkpointers()) == before  # opening (a read, a health check) starts none
    SqliteEventStore(db, CODEC).create_many([event("evt-1")])
    SqliteEventStore(db, CODEC).create_many([event("evt-2")])
    assert len(checkpointers()) == before + 1  # one per database, whatever the writes
    db.close()
    assert len(checkpointers()) == before


def test_a_forgotten_database_leaves_no_checkpointer(tmp_path: Path) -> None:
    before = len(checkpointers())
    db = SqliteDatabase(tmp_path / "b.sqlite3")
    SqliteEventStore(db, CODEC).create_many([event("evt-1")])
    del db
    gc.collect()
    wait_for(lambda: len(checkpointers()) == before, "the checkpointer to stop", timeout=5)


def test_writers_checkpoint_only_a_large_wal(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "c.sqlite3")
    (pages,) = db.connection().execute("PRAGMA wal_autocheckpoint").fetchone()
    assert pages == WRITER_CHECKPOINT_PAGES
    db.close()


def test_the_checkpointer_moves_the_wal_into_the_database_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "d.sqlite3"
    # The database's own checkpointer waits an hour here, so that the writes stay in the WAL.
    monkeypatch.setattr(sqlite_adapter, "Checkpointer", partial(Checkpointer, every_s=3600))
    db = SqliteDatabase(path)
    SqliteEventStore(db, CODEC).create_many([event(f"evt-{n}") for n in range(300)])
    in_wal_only = path.stat().st_size
    assert Path(f"{path}-wal").stat().st_size > in_wal_only  # the events are in the WAL

    checkpointer = Checkpointer(path, db, every_s=0.01)
    wait_for(lambda: path.stat().st_size > in_wal_only, "the WAL checkpointed", timeout=5)
    checkpointer.stop()
    db.close()
