"""The SQLite store's WAL checkpoints, made by a thread of their own.

In WAL mode, committed pages are later copied into the database file (a checkpoint). By
default the writer whose commit takes the WAL past 1,000 pages does that copy, fsyncs
included, before its commit returns: every sixtieth event or so paid a few milliseconds
for all the others. Here a background thread checkpoints PASSIVE every CHECKPOINT_EVERY_S
(it neither waits for nor blocks readers and writers, and copies what it can), on its
own connection. The writers' own checkpoint stays, at WRITER_CHECKPOINT_PAGES, for a
WAL the thread cannot keep small (a reader holding an old snapshot, a stalled thread).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import weakref
from pathlib import Path

log = logging.getLogger(__name__)

CHECKPOINT_EVERY_S = 0.5
WRITER_CHECKPOINT_PAGES = 10_000  # about 40 MB of WAL at SQLite's 4 KB pages


class Checkpointer:
    """Checkpoints `path`'s WAL in the background until stopped, or until `owner` (the
    database object) is garbage-collected: a forgotten database leaves no thread."""

    def __init__(self, path: Path, owner: object, every_s: float = CHECKPOINT_EVERY_S) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=_checkpoint_until,
            args=(path, self._stop, every_s),
            name=f"sqlite-checkpoint:{path.name}",
            daemon=True,
        )
        weakref.finalize(owner, self._stop.set)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _checkpoint_until(path: Path, stop: threading.Event, every_s: float) -> None:
    try:
        conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=True)
    except sqlite3.Error as err:
        log.warning("no background checkpoints of %s (%s): writers make them", path, err)
        return
    try:
        while not stop.wait(every_s):
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as err:  # busy, a full disk: the next round tries again
                log.debug("background checkpoint of %s: %s", path, err)
    finally:
        conn.close()
