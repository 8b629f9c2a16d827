"""Ingest on DynamoDB (Amazon's DynamoDB Local, in memory) beside a bare loop of the
same conditional PutItems, and what each design costs in write units per event."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from pynamodb.connection.base import Connection

from adapters.dynamodb.schema import create_table
from adapters.dynamodb.stores import PUT_WORKERS, DynamoEventStore
from benchmarks.alarms import alarm_event
from bot.config import Settings
from bot.envelopes import normalize
from bot.ingest import ingest, read_event
from bot.services import Services
from handlers.bootstrap import bootstrap
from tests.contract.dynamodb_local import DynamoDBLocal
from tests.fakes import FakeChat

TABLE = "bench-ingest"
REGION = "us-east-1"
GOAL = 0.5  # ingest's rate as a share of the bare loop's
RUNS = ((1, 200), (10, 400), (100, 400))  # (events per body, events per contender)
TURN = 100  # events each contender takes in turn, so that all meet the same JVM and table
WARM = 200  # events each contender sends first, untimed: DynamoDB Local's JIT warms up
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"})


@dataclass
class Tally:
    """One contender's events, seconds, requests and capacity units (by operation)."""

    events: int = 0
    seconds: float = 0.0
    requests: Counter[str] = field(default_factory=Counter)
    units: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def count(self, operation: str, response: dict[str, Any] | None) -> None:
        self.requests[operation] += 1
        consumed = (response or {}).get("ConsumedCapacity") or []
        for part in consumed if isinstance(consumed, list) else [consumed]:
            self.units[operation] += float(part.get("CapacityUnits", 0))

    def per_event(self, writes: bool) -> float:
        """Write (or read) units per event."""
        units = (n for op, n in self.units.items() if (op in WRITES) == writes)
        return sum(units) / self.events

    def requests_per_event(self) -> str:
        """Each operation's requests per event, with the units they consumed."""
        return ", ".join(
            f"{n / self.events:.2f} {op} ({self.units[op] / self.events:.1f})"
            for op, n in sorted(self.requests.items())
        )


class Counting:
    """pynamodb's requests, with the units DynamoDB says they consumed (pynamodb asks
    for them on every request), credited to the contender running now."""

    def __init__(self) -> None:
        self.current: Tally | None = None
        self._lock = threading.Lock()

    @contextmanager
    def installed(self) -> Iterator[None]:
        dispatch = Connection.dispatch

        def counted(conn: Connection, operation: str, kwargs: dict[str, Any]) -> Any:
            response = dispatch(conn, operation, kwargs)
            with self._lock:
                if self.current is not None:
                    self.current.count(operation, response)
            return response

        Connection.dispatch = counted  # type: ignore[method-assign]
        try:
            yield
        finally:
            Connection.dispatch = dispatch  # type: ignore[method-assign]


def _bodies(prefix: str, batch: int, count: int) -> list[list[dict[str, Any]]]:
    """CloudWatch alarm events over a quarter as many alarms, in bodies of `batch`; every
    prefix is one character, so that every contender's items have the same size."""
    events = [
        alarm_event(f"{prefix}{batch:03d}-{i:06d}", f"Alarm{prefix}{batch}-{i % (count // 4)}", i)
        for i in range(count)
    ]
    return [events[i : i + batch] for i in range(0, count, batch)]


class BareLoop:
    """Conditional PutItems of the very items the store writes, from as many threads as
    it uses, on a client set up as pynamodb's (no parameter validation, 10 connections)."""

    def __init__(self, endpoint: str, services: Services, ttl: int) -> None:
        self._client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name=REGION,
            config=Config(parameter_validation=False, max_pool_connections=10),
        )
        self._pool = ThreadPoolExecutor(PUT_WORKERS)
        store = services.events
        assert isinstance(store, DynamoEventStore)
        self._store = store
        self._ctx = services.context
        self._ttl = ttl
        self.tally = Tally()
        self._lock = threading.Lock()

    def items(self, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The items the store would write for a body (made before the clock starts)."""
        now = int(time.time())
        read = [
            read_event(normalize(unit), received_at=now, ttl=self._ttl, ctx=self._ctx)[0]
            for unit in body
        ]
        return [self._store.item(event).serialize() for event in read]

    def put(self, item: dict[str, Any]) -> bool:
        response = self._client.put_item(
            TableName=TABLE,
            Item=item,
            ConditionExpression="attribute_not_exists(pk)",
            ReturnConsumedCapacity="TOTAL",
        )
        with self._lock:
            self.tally.count("PutItem", response)
        return True

    def run(self, bodies: list[list[dict[str, Any]]]) -> int:
        stored = 0
        for items in bodies:  # each body's puts at once, as the store does, body after body
            stored += sum(self._pool.map(self.put, items)) if len(items) > 1 else self.put(items[0])
        return stored

    def close(self) -> None:
        self._pool.shutdown()


Bodies = list[list[dict[str, Any]]]


class Contenders:
    """The bare loop, ingest of events only, and ingest with alerting, on one table."""

    def __init__(self, endpoint: str) -> None:
        settings = Settings(
            _env_file=None,
            store="dynamodb",
            aws_endpoint=endpoint,
            aws_dynamodb_table=TABLE,
            aws_region=REGION,
        )
        create_table(table=TABLE, endpoint=endpoint, region=REGION)
        self.services = bootstrap(settings, chat=FakeChat())
        self.ttl = settings.aws_dynamodb_ttl
        self.bare = BareLoop(endpoint, self.services, self.ttl)
        self.runs: dict[str, Callable[[Bodies], int]] = {
            "bare": self.bare.run,
            "events": self.events_only,
            "alerting": self.alerting,
        }

    def events_only(self, bodies: Bodies) -> int:
        services = self.services
        return sum(
            ingest(body, services.events, services.clock, ttl=self.ttl).stored for body in bodies
        )

    def alerting(self, bodies: Bodies) -> int:
        return sum(self.services.ingest(body).stored for body in bodies)

    def inputs(self, batch: int, count: int, warm: bool = False) -> dict[str, Bodies]:
        """Each contender's own events (the bare loop's as items), one id prefix each."""
        out = {}
        for name in self.runs:
            prefix = name[0].upper() if warm else name[0]
            bodies = _bodies(prefix, batch, count)
            out[name] = [self.bare.items(b) for b in bodies] if name == "bare" else bodies
        return out

    def take_turns(
        self, inputs: dict[str, Bodies], per_turn: int, counting: Counting
    ) -> dict[str, Tally]:
        """Every contender sends `per_turn` bodies in turn, until all are sent."""
        tallies = {name: Tally() for name in self.runs}
        self.bare.tally = tallies["bare"]  # it counts its own requests
        for start in range(0, len(inputs["bare"]), per_turn):
            for name, run in self.runs.items():
                part = inputs[name][start : start + per_turn]
                tally = tallies[name]
                counting.current = None if name == "bare" else tally
                began = time.perf_counter()
                stored = run(part)
                tally.seconds += time.perf_counter() - began
                counting.current = None
                assert stored == sum(map(len, part)), f"{name} stored {stored}"
                tally.events += stored
        return tallies


def measure(endpoint: str) -> dict[int, dict[str, Tally]]:
    """Each contender's tally, per body size."""
    contenders = Contenders(endpoint)
    counting = Counting()
    try:
        with counting.installed():
            contenders.take_turns(contenders.inputs(10, WARM, warm=True), WARM, counting)
            return {
                batch: contenders.take_turns(
                    contenders.inputs(batch, count), max(1, TURN // batch), counting
                )
                for batch, count in RUNS
            }
    finally:
        contenders.bare.close()


def run() -> str:
    # DynamoDB Local accepts any credentials, but boto3 wants some.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    with DynamoDBLocal() as local:
        results = measure(local.endpoint)
    rows = []
    for batch, tallies in results.items():
        bare, events, alerting = tallies["bare"], tallies["events"], tallies["alerting"]
        cells = []
        for tally in (events, alerting):
            ratio = tally.rate / bare.rate
            cells.append(
                f"{tally.rate:,.0f} | {ratio:.2f} | {'met' if ratio >= GOAL else 'not met'}"
            )
        rows.append(f"| {batch} | {bare.rate:,.0f} | {' | '.join(cells)} |")
    last = results[RUNS[-1][0]]
    bare, alerting = last["bare"], last["alerting"]
    units_ratio = bare.per_event(writes=True) / alerting.per_event(writes=True)
    requests_each = sum(alerting.requests.values()) / alerting.events
    costs = []
    for name, what in (
        ("bare", "bare loop: one conditional PutItem per event"),
        ("events", "ingest, events only (`ingest`, no `on_new`)"),
        ("alerting", "ingest with alerting (`services.ingest`, the Intake use case)"),
    ):
        tally = last[name]
        costs.append(
            f"| {what} | {tally.requests_per_event()} | {tally.per_event(writes=True):.1f} "
            f"| {tally.per_event(writes=False):.1f} |"
        )
    return (
        "## Ingest on DynamoDB\n\n"
        f"Goal: ingest ≥ {GOAL}× the rate of a bare loop of the same writes. DynamoDB Local "
        "(Amazon's jar, in memory, on this machine's loopback) holds one table made by "
        "`init-db`'s code. Events are CloudWatch alarm state changes over a quarter as many "
        "alarms as events. The bare loop puts, under `attribute_not_exists(pk)`, the very "
        "items the store writes (`DynamoEventStore.item`, made before its clock starts) "
        f"with {PUT_WORKERS} threads, the store's `PUT_WORKERS`, each body's puts at once. "
        "Ingest, events only, is `ingest` on the DynamoDB event store; ingest with alerting "
        "is `services.ingest` from `bootstrap` with `STORE=dynamodb` (the DynamoDB alert "
        "store, an in-memory chat that records, storm mode at its default). The three "
        f"take turns of {TURN} events on the same table, after {WARM} untimed events each "
        "to warm the JVM. DynamoDB Local shares the machine's 2 cores with the client, so "
        "threads overlap less than round trips to AWS would.\n\n"
        "| events per body | bare loop events/s | ingest, events only | ratio | goal "
        "| ingest with alerting | ratio | goal |\n"
        "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        f"What each design costs per event (bodies of {RUNS[-1][0]}), as DynamoDB Local "
        "reports consumed capacity (a write unit is 1 KB written, table and index each; a "
        "write in TransactWriteItems costs 2; a read unit is 4 KB read, strongly "
        "consistent; an event item is about 2 KB and is written to the table and to "
        "`gsi1`):\n\n"
        "| design | requests per event (their units) | write units per event "
        "| read units per event |\n"
        "|---|---|---|---|\n" + "\n".join(costs) + "\n\n"
        f"With alerting, at {RUNS[-1][0]} events a body, an event costs "
        f"{requests_each:.2f} requests and {alerting.per_event(writes=True):.1f} write "
        f"units, against the bare loop's 1 and {bare.per_event(writes=True):.1f}: the bare "
        f"loop's units are {units_ratio:.2f} of alerting's, and alerting's rate is "
        f"{alerting.rate / bare.rate:.2f} of the bare loop's. Most of those units are the "
        "alert's exactly-once write: one TransactWriteItems (which counts each write "
        "twice) of the alert with the record of the event it applies, the alert item "
        "held whole by each index it is in (by fingerprint, by status, and by next attempt "
        "while it has Slack work due).\n"
    )
