"""The embedded store, the product's default: one SQLite file for events, agents and alerts.

Each model is stored whole as JSON in `body`, with the columns its lookups, orderings and
conditional writes need beside it. Correctness under concurrency comes from SQLite, not
from reads before writes: `INSERT OR IGNORE` + rowcount makes a second delivery a no-op,
and `UPDATE ... WHERE version = ?` + rowcount makes an alert or a state write
conditional, whether the other writer is a thread or another process. Queries that are
put together join fixed clauses only; every value is a bound parameter (so bandit's B608,
which cannot tell, is skipped in pyproject.toml).
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

from adapters import (
    already_applied,
    already_exists,
    apply_agent_update,
    is_live,
    next_version,
    not_found,
    stale,
)
from adapters.sqlite_checkpoint import WRITER_CHECKPOINT_PAGES, Checkpointer
from bot.changes import change_scope, scope
from bot.config import DEFAULT_STORE_TIMEOUT_S
from bot.cursors import CursorCodec
from bot.errors import UnprocessedError
from bot.event_tally import (
    HOUR_S,
    EventGroup,
    EventSummary,
    EventTally,
    parse_key,
    stored_summary,
    tally_of,
)
from bot.models import (
    Agent,
    AgentQueryResult,
    Alert,
    AlertStatus,
    Direction,
    Event,
    EventQueryResult,
    ListEventsDTO,
    PaginatedInputDTO,
    Silence,
    State,
    UpdateAgentDTO,
)
from bot.paging import AGENT_KEYS, EVENT_KEYS, Fetch, Key, paginate, walk

# How long a statement waits for another writer's lock (STORE_TIMEOUT sets it).
DEFAULT_TIMEOUT_S = float(DEFAULT_STORE_TIMEOUT_S)
# The write probe's heartbeat row, in `states`, and the room it asks for.
PROBE_KEY = "health-probe"
PROBE_ROOM_KEY = "health-probe-room"
PROBE_ROOM_BYTES = 64 * 1024  # room for a few events more; less, and the store is "full"


def pragmas(busy_timeout_s: float) -> tuple[str, ...]:
    """Run on every connection the store opens (and by the ingest benchmark's floor loop,
    which takes them from here so that it cannot drift from the store)."""
    return (
        f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}",
        # FULL: a commit survives power loss too, since a 202 promises the event is stored.
        "PRAGMA synchronous = FULL",
        # A writer checkpoints only a WAL the background checkpointer let grow.
        f"PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}",
    )


WAL = "PRAGMA journal_mode = WAL"  # persistent: set once per file open (`_switch_to_wal`)
EVENT_COLUMNS = (
    "id",
    "published_at",
    "source",
    "account",
    "expired_at",
    "body",
    "summary",
    "change_scope",
)
# A second delivery of an id is a no-op: rowcount 0 says it was a duplicate.
INSERT_EVENT = (
    f"INSERT OR IGNORE INTO events ({', '.join(EVENT_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in EVENT_COLUMNS)})"
)

SCHEMA = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    published_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    account TEXT NOT NULL,
    expired_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_time ON events (published_at, id);
CREATE INDEX IF NOT EXISTS events_by_source ON events (source, published_at, id);
CREATE INDEX IF NOT EXISTS events_by_account ON events (account, published_at, id);
CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    version INTEGER NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL
);
-- alerts_by_channel serves every lookup by fingerprint, the older form included.
DROP INDEX IF EXISTS alerts_by_fingerprint;
CREATE INDEX IF NOT EXISTS alerts_by_last_seen ON alerts (last_seen, id);
CREATE INDEX IF NOT EXISTS alerts_by_status ON alerts (status, last_seen, id);
CREATE INDEX IF NOT EXISTS alerts_pending ON alerts (pending, next_attempt_at, id);
CREATE INDEX IF NOT EXISTS alerts_by_channel
    ON alerts (fingerprint, json_extract(body, '$.channel'), first_seen, id)
    WHERE json_extract(body, '$.kind') = 'alert';
CREATE INDEX IF NOT EXISTS alerts_by_parent
    ON alerts (json_extract(body, '$.parent_id'), id)
    WHERE json_extract(body, '$.parent_id') IS NOT NULL;
CREATE TABLE IF NOT EXISTS applied (
    alert_id TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (alert_id, key)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS alerts_forget_applied AFTER DELETE ON alerts
BEGIN
    DELETE FROM applied WHERE alert_id = OLD.id;
END;
CREATE TABLE IF NOT EXISTS silences (
    id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS silences_by_expiry ON silences (expires_at, id);
CREATE TABLE IF NOT EXISTS states (
    key TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
COMMIT;
"""


# An event's summary (`EventSummary.dumps`) beside its body, for the daily report's GROUP
# BY; NULL in rows stored before it was kept, which the report reads whole.
# The index holds every column the report's queries read, so that they read it alone.
_EVENT_SUMMARY_INDEX = """
CREATE INDEX IF NOT EXISTS events_summary
    ON events (published_at, id, expired_at, summary) WHERE summary IS NOT NULL
"""
# A change event's scope (bot/changes.py: `<account>#<region>`), NULL for every other
# event: the partial index holds the changes alone, so that the changes before an alert
# are read from it by key, whatever else the hour held.
_CHANGES_INDEX = """
CREATE INDEX IF NOT EXISTS events_changes
    ON events (change_scope, published_at, id) WHERE change_scope IS NOT NULL
"""


def apply_schema(conn: sqlite3.Connection) -> None:
    """The tables and indexes, on a new file or one made by an earlier version (and by the
    ingest benchmark's floor loop, so that it writes to the very same table)."""
    conn.executescript(SCHEMA)
    _add_event_column(conn, "summary", _EVENT_SUMMARY_INDEX)
    _add_event_column(conn, "change_scope", _CHANGES_INDEX)


def _add_event_column(conn: sqlite3.Connection, column: str, index: str) -> None:
    """Add a column of the events table and its partial index to a file made before them.

    ADD COLUMN leaves every stored row as it was (NULL in the new column) and costs
    nothing per row; the index holds no older row, so building it reads the table once
    and writes nothing. Under the write lock, so that two processes opening the file at
    once add them once.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        if column not in {row[1] for row in conn.execute("PRAGMA table_info(events)")}:
            conn.execute(f"ALTER TABLE events ADD COLUMN {column} TEXT")
        conn.execute(index)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _switch_to_wal(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Put the file in WAL mode (persistent, so once per open is enough).

    Changing the journal mode needs an exclusive lock and SQLite answers SQLITE_BUSY at
    once, without the busy handler, while another process opens the same new file; so
    retry, with backoff, within the busy timeout.
    """
    deadline = time.monotonic() + timeout_s
    delay = 0.001
    while True:
        try:
            mode = conn.execute(WAL).fetchone()[0]
        except sqlite3.OperationalError as err:
            if err.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
            continue
        if mode != "wal":
            raise RuntimeError(f"SQLite refused WAL mode (got {mode!r}); use a file path")
        return


def _roll_back(conn: sqlite3.Connection) -> None:
    """Roll back what this connection's transaction wrote, if one is open; a failing
    ROLLBACK must not hide the error that led here."""
    with suppress(sqlite3.Error):
        if conn.in_transaction:
            conn.execute("ROLLBACK")


class _Unit:
    """This thread's `together` transaction: its writes are savepoints of it, and `lost`
    is the error with which SQLite rolled it back, if it did."""

    def __init__(self) -> None:
        self.begun = False  # by its first write
        self.lost: sqlite3.Error | None = None

    @contextmanager
    def savepoint(self, conn: sqlite3.Connection) -> Iterator[None]:
        if self.lost is not None or not conn.in_transaction:
            lost = self.lost or sqlite3.OperationalError("the transaction was rolled back")
            raise _unavailable(lost)  # never a write of its own, outside the unit
        try:
            conn.execute("SAVEPOINT write")
            try:
                yield
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK TO write")
                    conn.execute("RELEASE write")
                raise
            conn.execute("RELEASE write")
        except sqlite3.Error as err:
            if not conn.in_transaction:  # SQLite rolled the whole unit back
                self.lost = err
            raise _unavailable(err) from err


class SqliteDatabase:
    """Owns the file, its schema and one connection per thread.

    sqlite3 connections must not be shared between threads mid-transaction, so each
    thread gets its own (WAL lets readers and one writer proceed together, and
    busy_timeout makes writers queue instead of failing, for at most `timeout_s`: past
    it, the call fails as the ports' store error). Other processes open their own
    SqliteDatabase on the same file.
    """

    def __init__(self, path: str | Path, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s
        self._pragmas = pragmas(timeout_s)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._closed = False
        self._checkpointer: Checkpointer | None = None  # started by the first write
        conn = self.connection()
        _switch_to_wal(conn, timeout_s)
        apply_schema(conn)

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: statements autocommit unless we BEGIN ourselves.
        conn = sqlite3.connect(
            self.path, timeout=self.timeout_s, isolation_level=None, check_same_thread=False
        )
        for pragma in self._pragmas:
            conn.execute(pragma)
        return conn

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        with self._lock:
            if self._closed:
                raise RuntimeError(f"database {self.path} is closed")
            # Close what threads that have ended left behind (a thread pool's turnover).
            for thread, old in self._connections:
                if not thread.is_alive():
                    old.close()
            self._connections = [(t, c) for t, c in self._connections if t.is_alive()]
            conn = self._open()
            self._connections.append((threading.current_thread(), conn))
        self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction, taking the write lock up front so it never upgrades late.

        Not `durable`: committed without an fsync of its own (synchronous=NORMAL). It is
        atomic and survives the process being killed; the next durable commit syncs it
        with its own, since both are in the one WAL file. Delivery state is written so,
        for one fsync per event: a power cut may lose the delivery writes made since the
        last event was stored, never an event.

        Inside this thread's `together`, it is a savepoint of that transaction (the first
        one begins it): atomic on its own, committed with it, durably.
        """
        try:
            conn = self.connection()
        except sqlite3.Error as err:
            raise _unavailable(err) from err
        unit: _Unit | None = getattr(self._local, "unit", None)
        if unit is not None:
            if not unit.begun:
                self._begin(conn)
                unit.begun = True
            with unit.savepoint(conn):
                yield conn
            return
        try:
            if not durable:
                conn.execute("PRAGMA synchronous = NORMAL")
            self._begin(conn)
            yield conn
            conn.execute("COMMIT")
        except BaseException as err:
            # Also when COMMIT itself failed (disk full): never leave this thread's
            # connection inside a transaction that every later BEGIN would trip on.
            _roll_back(conn)
            if isinstance(err, sqlite3.Error):
                raise _unavailable(err) from err
            raise
        finally:
            if not durable:
                with suppress(sqlite3.Error):
                    conn.execute("PRAGMA synchronous = FULL")

    def _begin(self, conn: sqlite3.Connection) -> None:
        if self._checkpointer is None:
            with self._lock:
                if self._checkpointer is None and not self._closed:
                    self._checkpointer = Checkpointer(self.path, self)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise _unavailable(err) from err

    @contextmanager
    def together(self) -> Iterator[None]:
        """One durable transaction for every write this thread makes inside, whichever
        store of this file makes it: an event and the alert records it opens cost one
        commit, not one each. It begins at the first write (the write lock is held from
        there to its end, not while a body is read), and is rolled back whole when an
        error leaves it. When SQLite rolled it back itself (a full disk, an I/O error),
        every later write inside fails, and so does its end, with that error."""
        if getattr(self._local, "unit", None) is not None:  # already inside one: join it
            yield
            return
        unit = _Unit()
        self._local.unit = unit
        try:
            yield
        except BaseException:
            self._local.unit = None
            if unit.begun:
                _roll_back(self.connection())
            raise
        self._local.unit = None
        if not unit.begun:
            return
        conn = self.connection()
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            _roll_back(conn)
            raise _unavailable(unit.lost or err) from err  # `lost`: why nothing was there

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """One statement, atomic on its own (autocommit), or part of the transaction this
        thread holds."""
        try:
            return self.connection().execute(sql, params)
        except sqlite3.Error as err:
            raise _unavailable(err) from err

    def close(self) -> None:
        """Close every connection; the file stays, and a new SqliteDatabase reopens it."""
        with self._lock:
            self._closed = True
            checkpointer, self._checkpointer = self._checkpointer, None
            for _, conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
        if checkpointer is not None:
            checkpointer.stop()


def _after(order: Direction) -> str:
    """The comparison that keeps keys strictly after a bound in `order`."""
    return {"asc": ">", "desc": "<"}[order]


def _sort(order: Direction) -> str:
    """The SQL sort for `order`; a fixed string, never the caller's text."""
    return {"asc": "ASC", "desc": "DESC"}[order]


def _unavailable(err: sqlite3.Error) -> UnprocessedError:
    """A failed statement (disk I/O, disk full, locked past the busy timeout) as the ports
    say it: the write was rolled back and nothing is claimed done, so callers answer
    "retry" (503) rather than crash (500)."""
    return UnprocessedError(f"SQLite could not do it: {err}")


# The range's live events that have a summary, in the summary index.
_SUMMARISED = (
    "published_at BETWEEN ? AND ? AND (expired_at = 0 OR expired_at > ?) AND summary IS NOT NULL"
)
# An event's key as text that sorts as (published_at, id) does: the digits are fixed-width.
_KEY = "printf('%012d#', published_at) || id"
_TALLY_GROUPS = f"""
SELECT summary, count(*), min({_KEY}), max({_KEY}) FROM events WHERE {_SUMMARISED}
GROUP BY summary ORDER BY 3
"""
_TALLY_HOURS = f"""
SELECT published_at - published_at % {HOUR_S}, count(*) FROM events WHERE {_SUMMARISED}
GROUP BY 1
"""
# How many rows of the range have no summary, expired or not: both counts read an index
# alone, where looking for such rows would read every row of the range.
_UNSUMMARISED = """
SELECT (SELECT count(*) FROM events WHERE published_at BETWEEN ?1 AND ?2)
     - (SELECT count(*) FROM events WHERE published_at BETWEEN ?1 AND ?2
        AND summary IS NOT NULL)
"""

# `change_scope = ?` implies `change_scope IS NOT NULL`, so SQLite reads the partial index.
LIST_CHANGES = """
SELECT body FROM events WHERE change_scope = ? AND published_at BETWEEN ? AND ?
ORDER BY published_at DESC, id DESC LIMIT ?
"""


def _group(row: tuple[str, int, str, str]) -> EventGroup:
    summary, count, first, last = row
    return EventGroup(EventSummary.loads(summary), count, parse_key(first), parse_key(last))


class SqliteEventStore:
    """EventStore on the `events` table."""

    def __init__(self, db: SqliteDatabase, cursors: CursorCodec) -> None:
        self._db = db
        self._cursors = cursors

    @staticmethod
    def _insert(conn: sqlite3.Connection, event: Event) -> bool:
        cursor = conn.execute(
            INSERT_EVENT,
            (
                event.id,
                event.published_at,
                event.source,
                event.account,
                event.expired_at,
                event.model_dump_json(),
                stored_summary(event),
                change_scope(event),
            ),
        )
        return cursor.rowcount == 1

    def create(self, event: Event) -> bool:
        return self.create_many([event])[0]

    def create_many(self, events: Sequence[Event]) -> list[bool]:
        """Each event's `create` answer, in order, in one transaction (one fsync per batch)."""
        with self._db.transaction() as conn:
            return [self._insert(conn, event) for event in events]

    def together(self) -> AbstractContextManager[None]:
        """The events, agents and alert records written inside, in one transaction."""
        return self._db.together()

    def get(self, event_id: str, now: int) -> Event:
        row = self._db.execute(
            "SELECT expired_at, body FROM events WHERE id = ?", (event_id,)
        ).fetchone()
        if row is None or not is_live(row[0], now):
            raise not_found("event", event_id)
        return Event.model_validate_json(row[1])

    def list(self, dto: ListEventsDTO, now: int) -> EventQueryResult:
        return paginate(dto, self._cursors, EVENT_KEYS, self._fetcher(dto, now))

    def scan(self, start: int, end: int, now: int) -> Iterator[Event]:
        dto = ListEventsDTO(start_date=start, end_date=end)
        return walk(self._fetcher(dto, now), EVENT_KEYS.key_of)

    def tally(self, start: int, end: int, now: int) -> EventTally:
        """Two GROUP BYs over the summary index: the groups, by their first event, read
        as the report folds them, and the hours. Rows without a summary are read whole,
        and only when the range holds some."""
        hours = dict(self._db.execute(_TALLY_HOURS, (start, end, now)).fetchall())
        groups = map(_group, self._db.execute(_TALLY_GROUPS, (start, end, now)))
        whole: Iterator[Event] = iter(())
        if self._db.execute(_UNSUMMARISED, (start, end)).fetchone()[0]:
            dto = ListEventsDTO(start_date=start, end_date=end)
            whole = walk(self._fetcher(dto, now, unsummarised=True), EVENT_KEYS.key_of)
        return tally_of(hours, groups, whole)

    def _fetcher(self, dto: ListEventsDTO, now: int, unsummarised: bool = False) -> Fetch[Event]:
        where = ["(expired_at = 0 OR expired_at > ?)"]  # is_live, in SQL
        if unsummarised:
            where.append("summary IS NULL")
        params: list[Any] = [now]
        for clause, value in (
            ("published_at >= ?", dto.start_date),
            ("published_at <= ?", dto.end_date),
            ("source = ?", dto.source),
            ("account = ?", dto.account),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)

        def fetch(after: Key | None, order: Direction, limit: int) -> list[Event]:
            clauses, args = list(where), list(params)
            if after is not None:
                clauses.append(f"(published_at, id) {_after(order)} (?, ?)")
                args.extend(after)
            rows = self._db.execute(
                f"SELECT body FROM events WHERE {' AND '.join(clauses)}"
                f" ORDER BY published_at {_sort(order)}, id {_sort(order)} LIMIT ?",
                [*args, limit],
            )
            return [Event.model_validate_json(body) for (body,) in rows]

        return fetch

    def list_changes(
        self, account: str, region: str | None, start: int, end: int, limit: int
    ) -> list[Event]:
        """A key range of the partial index `events_changes`."""
        rows = self._db.execute(LIST_CHANGES, (scope(account, region), start, end, max(limit, 0)))
        return [Event.model_validate_json(body) for (body,) in rows]

    def delete(self, event_id: str) -> None:
        if self._db.execute("DELETE FROM events WHERE id = ?", (event_id,)).rowcount == 0:
            raise not_found("event", event_id)


class SqliteAgentStore:
    """AgentStore on the `agents` table."""

    def __init__(self, db: SqliteDatabase, cursors: CursorCodec) -> None:
        self._db = db
        self._cursors = cursors

    def get(self, agent_id: str) -> Agent:
        row = self._db.execute("SELECT body FROM agents WHERE id = ?", (agent_id,)).fetchone()
        if row is None:
            raise not_found("agent", agent_id)
        return Agent.model_validate_json(row[0])

    def list(self, dto: PaginatedInputDTO) -> AgentQueryResult:
        def fetch(after: Key | None, order: Direction, limit: int) -> list[Agent]:
            where, args = ("", []) if after is None else (f"WHERE id {_after(order)} ?", [*after])
            rows = self._db.execute(
                f"SELECT body FROM agents {where} ORDER BY id {_sort(order)} LIMIT ?",
                [*args, limit],
            )
            return [Agent.model_validate_json(body) for (body,) in rows]

        return paginate(dto, self._cursors, AGENT_KEYS, fetch)

    def create(self, agent: Agent) -> None:
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO agents (id, body) VALUES (?, ?)",
            (agent.id, agent.model_dump_json()),
        )
        if cursor.rowcount == 0:
            raise already_exists("agent", agent.id)

    def update(self, agent_id: str, dto: UpdateAgentDTO) -> Agent:
        with self._db.transaction() as conn:  # read-modify-write under the write lock
            row = conn.execute("SELECT body FROM agents WHERE id = ?", (agent_id,)).fetchone()
            if row is None:
                raise not_found("agent", agent_id)
            agent = apply_agent_update(Agent.model_validate_json(row[0]), dto)
            conn.execute(
                "UPDATE agents SET body = ? WHERE id = ?", (agent.model_dump_json(), agent_id)
            )
        return agent

    def delete(self, agent_id: str) -> None:
        if self._db.execute("DELETE FROM agents WHERE id = ?", (agent_id,)).rowcount == 0:
            raise not_found("agent", agent_id)

    def exists(self, agent_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM agents WHERE id = ?", (agent_id,)).fetchone()
        return row is not None


def _alert_columns(alert: Alert) -> tuple[Any, ...]:
    return (
        alert.fingerprint,
        alert.status.value,
        alert.first_seen,
        alert.last_seen,
        alert.version,
        int(alert.outbox.pending),  # the outbox's, as columns: the pending index
        alert.outbox.next_attempt_at,
        alert.model_dump_json(),
    )


# The most recent alert of a fingerprint in a channel: by the new index, and, in the same
# statement, by the old one for records that still carry the channel as `<fp>@<channel>`.
_FIND_ALERT = """
SELECT body FROM (
    SELECT * FROM (
        SELECT body, first_seen, id FROM alerts
        WHERE fingerprint = ? AND json_extract(body, '$.channel') = ?
          AND json_extract(body, '$.kind') = 'alert'
        ORDER BY first_seen DESC, id DESC LIMIT 1)
    UNION ALL
    SELECT * FROM (
        SELECT body, first_seen, id FROM alerts
        WHERE fingerprint = ? AND json_extract(body, '$.channel') = ?
          AND json_extract(body, '$.kind') = 'alert'
        ORDER BY first_seen DESC, id DESC LIMIT 1))
ORDER BY first_seen DESC, id DESC LIMIT 1
"""


class SqliteAlertStore:
    """AlertStore on the `alerts`, `applied`, `silences` and `states` tables.

    An alert's applications are rows of `applied`, inserted in the transaction that
    writes the alert (the primary key refuses a second one), and deleted with it by a
    trigger; alert rows carry no expiry, so neither do they.
    """

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    @staticmethod
    def _mark(conn: sqlite3.Connection, alert_id: str, applied: str) -> None:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO applied (alert_id, key) VALUES (?, ?)", (alert_id, applied)
        )
        if cursor.rowcount == 0:  # raised inside the transaction: it is rolled back
            raise already_applied(alert_id, applied)

    def create_alert(self, alert: Alert, applied: str | None = None) -> None:
        with self._db.transaction(durable=False) as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO alerts"
                " (fingerprint, status, first_seen, last_seen, version, pending,"
                " next_attempt_at, body, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*_alert_columns(alert), alert.id),
            )
            if cursor.rowcount == 0:
                raise already_exists("alert", alert.id)
            if applied is not None:
                self._mark(conn, alert.id, applied)

    def get_alert(self, alert_id: str) -> Alert:
        row = self._db.execute("SELECT body FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        if row is None:
            raise not_found("alert", alert_id)
        return Alert.model_validate_json(row[0])

    def find_alert(self, fingerprint: str, channel: str) -> Alert | None:
        """One statement: two index probes, the second for the older form."""
        row = self._db.execute(
            _FIND_ALERT, (fingerprint, channel, f"{fingerprint}@{channel}", channel)
        ).fetchone()
        return None if row is None else Alert.model_validate_json(row[0])

    def update_alert(self, alert: Alert, applied: str | None = None) -> Alert:
        written = next_version(alert)
        with self._db.transaction(durable=False) as conn:
            cursor = conn.execute(
                "UPDATE alerts SET fingerprint = ?, status = ?, first_seen = ?, last_seen = ?,"
                " version = ?, pending = ?, next_attempt_at = ?, body = ?"
                " WHERE id = ? AND version = ?",
                (*_alert_columns(written), alert.id, alert.version),
            )
            if cursor.rowcount == 1:
                if applied is not None:
                    self._mark(conn, alert.id, applied)
                return written
        if self._db.execute("SELECT 1 FROM alerts WHERE id = ?", (alert.id,)).fetchone() is None:
            raise not_found("alert", alert.id)
        if applied is not None and self.was_applied(alert.id, applied):
            raise already_applied(alert.id, applied)
        raise stale(alert)

    def was_applied(self, alert_id: str, key: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM applied WHERE alert_id = ? AND key = ?", (alert_id, key)
        ).fetchone()
        return row is not None

    def list_alerts(self, status: AlertStatus | None = None, limit: int = 100) -> list[Alert]:
        where, args = ("", []) if status is None else ("WHERE status = ?", [status.value])
        rows = self._db.execute(
            f"SELECT body FROM alerts {where} ORDER BY last_seen DESC, id DESC LIMIT ?",
            [*args, limit],
        )
        return [Alert.model_validate_json(body) for (body,) in rows]

    def alerts_seen_since(self, since: int, status: AlertStatus | None = None) -> Iterator[Alert]:
        """Keyset pages on (last_seen, id), through the one `walk`: no read holds the
        database for the whole walk."""
        where, args = "last_seen >= ?", [since]
        if status is not None:
            where, args = f"{where} AND status = ?", [since, status.value]

        def fetch(after: Key | None, order: Direction, limit: int) -> list[Alert]:
            keyset = "" if after is None else " AND (last_seen, id) > (?, ?)"  # order: asc
            rows = self._db.execute(
                f"SELECT body FROM alerts WHERE {where}{keyset} ORDER BY last_seen, id LIMIT ?",
                [*args, *(after or ()), limit],
            )
            return [Alert.model_validate_json(body) for (body,) in rows]

        return walk(fetch, lambda a: (a.last_seen, a.id))

    def list_pending(self, now: int, limit: int = 100) -> list[Alert]:
        rows = self._db.execute(
            "SELECT body FROM alerts WHERE pending = 1 AND next_attempt_at <= ?"
            " ORDER BY next_attempt_at, id LIMIT ?",
            (now, limit),
        )
        return [Alert.model_validate_json(body) for (body,) in rows]

    def list_members(self, storm_id: str, limit: int) -> list[Alert]:
        rows = self._db.execute(
            "SELECT body FROM alerts WHERE json_extract(body, '$.parent_id') = ?"
            " AND json_extract(body, '$.parent_id') IS NOT NULL ORDER BY id LIMIT ?",
            (storm_id, limit),
        )
        return [Alert.model_validate_json(body) for (body,) in rows]

    def create_silence(self, silence: Silence) -> None:
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO silences (id, expires_at, body) VALUES (?, ?, ?)",
            (silence.id, silence.expires_at, silence.model_dump_json()),
        )
        if cursor.rowcount == 0:
            raise already_exists("silence", silence.id)

    def get_silence(self, silence_id: str) -> Silence:
        row = self._db.execute("SELECT body FROM silences WHERE id = ?", (silence_id,)).fetchone()
        if row is None:
            raise not_found("silence", silence_id)
        return Silence.model_validate_json(row[0])

    def list_silences(self, now: int) -> list[Silence]:
        rows = self._db.execute(
            "SELECT body FROM silences WHERE expires_at > ? ORDER BY expires_at, id", (now,)
        )
        return [Silence.model_validate_json(body) for (body,) in rows]

    def delete_silence(self, silence_id: str) -> None:
        if self._db.execute("DELETE FROM silences WHERE id = ?", (silence_id,)).rowcount == 0:
            raise not_found("silence", silence_id)

    def get_state(self, key: str) -> State | None:
        row = self._db.execute("SELECT body FROM states WHERE key = ?", (key,)).fetchone()
        return None if row is None else State.model_validate_json(row[0])

    def put_state(self, state: State) -> State:
        """One statement whose rowcount is the verdict: no read before the write, so a
        racing thread or process can only make it match nothing. Delivery state: not
        synced on its own (see `SqliteDatabase.transaction`)."""
        written = next_version(state)
        with self._db.transaction(durable=False) as conn:
            if state.version == 0:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO states (key, version, body) VALUES (?, ?, ?)",
                    (state.key, written.version, written.model_dump_json()),
                )
            else:
                cursor = conn.execute(
                    "UPDATE states SET version = ?, body = ? WHERE key = ? AND version = ?",
                    (written.version, written.model_dump_json(), state.key, state.version),
                )
        if cursor.rowcount == 0:
            raise stale(state)
        return written

    def probe_write(self, now: float) -> None:
        """Write the heartbeat row `health-probe` with `now`, after asking for room: a
        64 KB row inserted and rolled back to a savepoint allocates pages (SQLITE_FULL
        when the file may not grow), and the disk's free bytes are read, since the
        heartbeat itself may fit in place on a full disk. A held lock fails it past the
        busy timeout. Delivery state: not synced on its own."""
        free = shutil.disk_usage(self._db.path.parent).free
        if free < PROBE_ROOM_BYTES:
            raise UnprocessedError(
                f"SQLite's disk is full: {free} bytes free in {self._db.path.parent}"
            )
        heartbeat = State(key=PROBE_KEY, version=1, data={"at": now})
        with self._db.transaction(durable=False) as conn:
            conn.execute("SAVEPOINT room")
            conn.execute(
                "INSERT OR REPLACE INTO states (key, version, body) VALUES (?, 0, zeroblob(?))",
                (PROBE_ROOM_KEY, PROBE_ROOM_BYTES),
            )
            conn.execute("ROLLBACK TO room")
            conn.execute("RELEASE room")
            conn.execute(
                "INSERT INTO states (key, version, body) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET body = excluded.body",
                (PROBE_KEY, heartbeat.version, heartbeat.model_dump_json()),
            )
