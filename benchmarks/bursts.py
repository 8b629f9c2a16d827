"""Bursts through the ingest Lambda's handler, on SQLite and on DynamoDB Local, with the
fake Slack Web API (its budgets on): events per second across burst sizes, and the store
writes each event costs, counted at the adapter boundary.

Each event is one invocation, as EventBridge makes them; the handler stores it, alerts
on it, moves other alerts' due work on (the flush after each event) and answers. The
clock is the system's: the storm starts, and the budgets pace Slack, as they would on
AWS. Two shapes: every event a new alarm, and a quarter as many alarms as events.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.factory import open_stores
from benchmarks.alarms import alarm_event
from bot.config import Settings
from handlers.aws_lambda import ingest as ingest_lambda
from handlers.bootstrap import bootstrap
from tests.slack.fake_slack import FakeSlack

CHANNEL = "C0BURST"
SIZES = (1000, 4000, 16000)
SHAPES = {"every event a new alarm": 1, "4 events per alarm": 4}
SPREAD_GOAL = 1.5  # highest over lowest events/s across the sizes, per shape
RATE_GOAL = 1000  # events/s on SQLite
WRITES_GOAL = 2.0  # alert and state writes per event

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

            return counted
        return attr


@dataclass
class Burst:
    store: str
    shape: str
    events: int
    rate: float
    writes: Counter[str]
    slack: Counter[str]
    limited: int

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
                dynamodb_table=table,
                dynamodb_endpoint=local.endpoint,
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
    events_store, agents, alerts = open_stores(settings)
    services = bootstrap(
        settings,
        events=Counting(events_store, EVENT_WRITES, writes),
        agents=agents,
        alerts=Counting(alerts, ALERT_WRITES, writes),
        heartbeat=None,
        nudges=None,
        log_sweep=None,
        agent_tasks=None,
    )
    tag = time.perf_counter_ns()
    events = [
        alarm_event(f"burst-{tag}-{n}", f"Burst{tag % 10_000}-{n % alarms:05d}", n)
        for n in range(size)
    ]
    ingest_lambda.services = lambda: services  # type: ignore[assignment]
    start = time.perf_counter()
    for event in events:
        ingest_lambda.handler(event)
    elapsed = time.perf_counter() - start
    calls = fake.calls()
    return Burst(
        store=store,
        shape=shape,
        events=size,
        rate=size / elapsed,
        writes=writes,
        slack=Counter(c.method for c in calls),
        limited=sum(1 for c in calls if c.status == 429),
    )
