"""Bursts through the ingest Lambda's handler, on SQLite and on DynamoDB Local, with the
fake Slack Web API (its budgets on): events per second across burst sizes, and the store
writes each event costs, counted at the adapter boundary.

Each event is one invocation, as EventBridge makes them; the handler stores it, alerts
on it, moves other alerts' due work on (the flush after each event) and answers. The
clock is the system's: the storm starts, and the budgets pace Slack, as they would on
AWS. Two shapes: every event a new alarm, and a quarter as many alarms as events.
"""

from __future__ import annotations

import io
import os
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.emf import EmfMetrics
from adapters.factory import open_stores
from adapters.sqlite import EVENT_COLUMNS, INSERT_EVENT
from benchmarks.alarms import alarm_event
from benchmarks.ingest_throughput import open_floor
from bot.config import Settings
from bot.services import Services
from handlers.aws_lambda import ingest as ingest_lambda
from handlers.aws_lambda import wiring
from handlers.bootstrap import bootstrap
from tests.slack.fake_slack import FakeSlack

CHANNEL = "C0BURST"
SIZES = (1000, 4000, 16000)
SHAPES = {"every event a new alarm": 1, "4 events per alarm": 4}
SPREAD_GOAL = 1.5  # highest over lowest events/s across the sizes, per shape
RATE_GOAL = 1000  # events/s on SQLite
WRITES_GOAL = 2.0  # alert and state writes per event
WARM_UP = 200
LATENCY_EVENTS = 1000
LATENCY_ALARMS = 100

ALERT_WRITES = frozenset(
    {"create_alert", "update_alert", "put_state", "create_silence", "delete_silence"}
)
EVENT_WRITES = frozenset({"create", "create_many"})


class Counting:
    """A store whose write calls are counted: the adapter boundary, whatever the store."""

    def __init__(self, store: Any, writes: frozenset[str], counts: Counter[str]) -> None:
        self._store = store
        self._writes = writes
        self._counts = counts

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if name in self._writes:

            def counted(*args: Any, **kwargs: Any) -> Any:
                self._counts[name] += 1
                return attr(*args, **kwargs)

            setattr(self, name, counted)  # built once: the count costs the burst nothing
            return counted
        return attr


class LogSink(io.TextIOBase):
    """Where the handler's stdout goes (on Lambda, CloudWatch Logs): written through to
    the null device, as a pipe would take it, and counted."""

    def __init__(self) -> None:
        self.bytes = 0
        self._null = Path(os.devnull).open("w")  # noqa: SIM115 (closed with the sink)

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return self._null.write(text)

    def close(self) -> None:
        self._null.close()
        super().close()


@dataclass
class Burst:
    store: str
    shape: str
    events: int
    rate: float
    writes: Counter[str]
    slack: Counter[str]
    limited: int
    log_bytes: int
    floor: float | None = None  # events/s of one durable commit per event (SQLite)

    @property
    def alert_writes(self) -> int:
        return sum(n for m, n in self.writes.items() if m in ALERT_WRITES)


Opener = Callable[[FakeSlack], Any]


@contextmanager
def sqlite_settings(fake: FakeSlack) -> Iterator[Callable[[], Settings]]:
    with tempfile.TemporaryDirectory() as tmp:
        count = iter(range(1_000_000))
        yield lambda: _settings(fake, data_dir=Path(tmp) / str(next(count)))


@contextmanager
def dynamodb_settings(fake: FakeSlack) -> Iterator[Callable[[], Settings]]:
    from adapters.dynamodb.schema import create_table
    from tests.contract.dynamodb_local import DynamoDBLocal

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    with DynamoDBLocal() as local, tempfile.TemporaryDirectory() as tmp:
        count = iter(range(1_000_000))

        def fresh() -> Settings:
            table = f"burst{next(count)}"
            create_table(table=table, endpoint=local.endpoint, region="us-east-1")
            return _settings(
                fake,
                data_dir=Path(tmp),
                store="dynamodb",
                aws_dynamodb_table=table,
                aws_endpoint=local.endpoint,
                aws_region="us-east-1",
            )

        yield fresh


def _settings(fake: FakeSlack, **values: Any) -> Settings:
    return Settings(
        _env_file=None,
        slack_bot_token="xoxb-bench",
        slack_api_url=fake.url,
        slack_alerts_channel=CHANNEL,
        **values,
    )


def burst(fake: FakeSlack, settings: Settings, store: str, shape: str, size: int) -> Burst:
    """`size` events, one invocation each, through the ingest Lambda's handler."""
    per_alarm = SHAPES[shape]
    alarms = max(1, size // per_alarm)
    fake.reset()
    fake.clock = time.monotonic
    writes: Counter[str] = Counter()
    _environment(settings, writes)
    tag = time.perf_counter_ns()
    events = [
        alarm_event(f"burst-{tag}-{n}", f"Burst{tag % 10_000}-{n % alarms:05d}", n)
        for n in range(size)
    ]
    stored = 0
    with LogSink() as sink, redirect_stdout(sink):
        start = time.perf_counter()
        for event in events:
            stored += ingest_lambda.handler(event)["stored"]
        elapsed = time.perf_counter() - start
    assert stored == size, f"stored {stored} of {size}"
    floor = commit_floor(settings.sqlite_path, size) if settings.store == "sqlite" else None
    calls = fake.calls()
    return Burst(
        store=store,
        shape=shape,
        events=size,
        rate=size / elapsed,
        writes=writes,
        slack=Counter(c.method for c in calls),
        limited=sum(1 for c in calls if c.status == 429),
        log_bytes=sink.bytes,
        floor=floor,
    )


def commit_floor(store: Path, size: int) -> float:
    """Events/s of the least a durable ingest of these events does on this disk: one
    transaction per event that writes the event's row, an alert row and the record of an
    event applied, with the store's pragmas and schema, into a fresh file beside the
    store. The rows are those the burst wrote (alert rows cycled when alarms repeat,
    replaced as an update would)."""
    source = sqlite3.connect(store)
    try:
        events = source.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events").fetchall()
        alerts = source.execute("SELECT * FROM alerts").fetchall()
        applied = source.execute("SELECT * FROM applied").fetchall()
    finally:
        source.close()
    assert len(events) == size, f"the store holds {len(events)} events, not the burst's {size}"
    assert alerts and applied, "the burst wrote no alert"
    put_alert = f"INSERT OR REPLACE INTO alerts VALUES ({', '.join('?' * len(alerts[0]))})"
    floor_path = store.with_name("floor.sqlite3")
    conn = open_floor(floor_path)
    try:
        start = time.perf_counter()
        for n, row in enumerate(events):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT_EVENT, row)
            conn.execute(put_alert, alerts[n % len(alerts)])
            conn.execute("INSERT OR IGNORE INTO applied VALUES (?, ?)", applied[n % len(applied)])
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
    finally:
        conn.close()
        for leftover in store.parent.glob("floor.sqlite3*"):
            leftover.unlink()
    return size / elapsed


def _environment(settings: Settings, writes: Counter[str]) -> Services:
    """The handler's services, as its execution environment builds them, with its store
    writes counted, put in place of the handler's own: its services, and its metrics,
    written as embedded metrics at the end of each invocation."""
    metrics = EmfMetrics(dimensions={"Table": settings.aws_dynamodb_table})
    events, agents, alerts = open_stores(settings)
    services = bootstrap(
        settings,
        events=Counting(events, EVENT_WRITES, writes),
        agents=agents,
        alerts=Counting(alerts, ALERT_WRITES, writes),
        heartbeat=None,
        nudges=None,
        log_sweep=None,
        agent_tasks=None,
        metrics=metrics,
    )
    ingest_lambda.services = lambda: services  # type: ignore[assignment]
    wiring.metrics = lambda: metrics  # type: ignore[assignment]  # what the handler flushes
    return services


def warm_latency(fake: FakeSlack, settings: Settings) -> list[float]:
    """Per-event seconds of the handler: 1,000 events over 100 alarms, after a warm-up
    of 200 events of other alarms in the same environment."""
    fake.reset()
    fake.clock = time.monotonic
    _environment(settings, Counter())
    tag = time.perf_counter_ns()
    samples = []
    with LogSink() as sink, redirect_stdout(sink):
        for n in range(WARM_UP):
            ingest_lambda.handler(alarm_event(f"warm-{tag}-{n}", f"Warm-{n % 20:02d}", n))
        for n in range(LATENCY_EVENTS):
            event = alarm_event(f"lat-{tag}-{n}", f"Latency-{n % LATENCY_ALARMS:03d}", n)
            start = time.perf_counter()
            ingest_lambda.handler(event)
            samples.append(time.perf_counter() - start)
    return samples


def _spread(bursts: list[Burst]) -> float:
    rates = [b.rate for b in bursts]
    return max(rates) / min(rates)


def _rows(bursts: list[Burst]) -> str:
    rows = []
    for b in bursts:
        other = sum(n for m, n in b.writes.items() if m in ALERT_WRITES) / b.events
        slack = ", ".join(f"{m} {n}" for m, n in sorted(b.slack.items())) or "none"
        rows.append(
            f"| {b.store} | {b.shape} | {b.events:,} | {b.rate:,.0f} | {other:.2f} "
            f"| {b.writes['create_alert']:,} / {b.writes['update_alert']:,} / "
            f"{b.writes['put_state']:,} | {slack} | {b.limited} | {b.log_bytes / b.events:,.0f} "
            f"| {f'{b.floor:,.0f}' if b.floor else '—'} |"
        )
    return "\n".join(rows)


def run() -> str:
    results: list[Burst] = []
    with FakeSlack() as fake:
        for store, opener in (("SQLite", sqlite_settings), ("DynamoDB Local", dynamodb_settings)):
            with opener(fake) as fresh:
                for shape in SHAPES:  # untimed: the JIT of DynamoDB Local's JVM, caches
                    burst(fake, fresh(), store, shape, WARM_UP)
                for shape in SHAPES:
                    for size in SIZES:
                        results.append(burst(fake, fresh(), store, shape, size))
        with sqlite_settings(fake) as fresh:
            samples = sorted(warm_latency(fake, fresh()))
    p50 = samples[len(samples) // 2]
    p99 = samples[int(len(samples) * 0.99) - 1]
    verdicts = []
    for store in ("SQLite", "DynamoDB Local"):
        for shape in SHAPES:
            group = [b for b in results if b.store == store and b.shape == shape]
            spread = _spread(group)
            verdicts.append(
                f"| {store} | {shape} | {spread:.2f}× | "
                f"{'meets' if spread <= SPREAD_GOAL else 'misses'} |"
            )
    sqlite = [b for b in results if b.store == "SQLite"]
    sqlite_low = min(b.rate for b in sqlite)
    commit_share = max(b.rate / b.floor for b in sqlite if b.floor)
    commit_low = min(b.floor for b in sqlite if b.floor)
    writes = sum(b.alert_writes for b in results) / sum(b.events for b in results)
    worst = max(b.alert_writes / b.events for b in results)
    return (
        "## Bursts at flat cost\n\n"
        f"Goals: events/s within {SPREAD_GOAL}× of each other across bursts of "
        f"{', '.join(f'{s:,}' for s in SIZES)} events, in each shape; at least "
        f"{RATE_GOAL:,} events/s on SQLite; at most {WRITES_GOAL:.0f} alert and state writes "
        "per event on average. Each event is one invocation of the ingest Lambda's handler "
        "(`handlers/aws_lambda/ingest.py`), as EventBridge makes them: it stores the event, "
        "alerts on it and, at most once a second, moves other alerts' due work on. The "
        "clock is the system's and Slack is the project's fake Web API with its budgets "
        "on, so storm mode starts within the first second. As on Lambda, the handler writes "
        "its metrics to stdout at the end of each invocation (CloudWatch's embedded metric "
        "format), here into the null device, counting the bytes: CloudWatch Logs bills "
        "them. Two shapes: every event a new "
        "alarm, and a quarter as many alarms as events (each fires four times). Writes are "
        "counted at the adapter boundary: every create_alert, update_alert and put_state "
        "call (an alert's write and the record of the event it applies are one call, one "
        "transaction); the event's own write (create_many) is one more per event. On "
        "SQLite the event and the alert and state writes of its alerting are savepoints of "
        "one transaction, one commit (`EventStore.together`); on DynamoDB each call is a "
        "request of its own. A fresh "
        "store for each burst; DynamoDB Local is Amazon's jar, in memory, on loopback. "
        f"Before the timed bursts of a store, one untimed burst of {WARM_UP} events in each "
        "shape warms the process and DynamoDB Local's JVM, which a cold JVM would "
        "otherwise charge to the first burst alone.\n\n"
        "| store | shape | events | events/s | alert and state writes per event "
        "| create / update / put_state | Slack calls | 429s | log bytes per event "
        "| durable-commit floor, events/s |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
        f"{_rows(results)}\n\n"
        "| store | shape | highest / lowest events/s | goal |\n|---|---|---|---|\n"
        + "\n".join(verdicts)
        + "\n\n"
        f"Lowest SQLite rate: {sqlite_low:,.0f} events/s "
        f"({'meets' if sqlite_low >= RATE_GOAL else 'misses'} the goal of {RATE_GOAL:,}). "
        "The floor column is the least a durable ingest of the same events does on this "
        "disk: one transaction per event writing the event's row, an alert row and the "
        "record of an event applied (the rows the burst wrote), with the store's pragmas "
        f"and schema: {commit_low:,.0f} events/s at the lowest, so the commits take at most "
        f"{commit_share:.0%} of an event's time in these bursts, and the rest is the "
        "handler's own work (reading, alerting, metrics). "
        f"Alert and state writes per event: {writes:.2f} over all bursts, {worst:.2f} in the "
        f"worst one ({'meets' if worst <= WRITES_GOAL else 'misses'} the goal of "
        f"{WRITES_GOAL:.0f} in every burst). A new alert in a storm costs its own write, and "
        "a share of the channel's count (which also picks its summary): each process writes "
        "the count once per block of places for its new alerts of the same second, blocks "
        "that double while they fill, up to 16; joining never rewrites the summary, whose "
        "members are read by an index when it is drawn.\n\n"
        "**Warm latency.** Goal: per-event p99 ≤ 3× p50. "
        f"{LATENCY_EVENTS:,} events over {LATENCY_ALARMS} alarms through the same handler "
        f"on SQLite, after a warm-up of {WARM_UP} events.\n\n"
        "| p50 ms | p99 ms | p99 / p50 | goal |\n|---|---|---|---|\n"
        f"| {p50 * 1000:.2f} | {p99 * 1000:.2f} | {p99 / p50:.2f}× | "
        f"{'meets' if p99 <= 3 * p50 else 'misses'} |\n"
    )
