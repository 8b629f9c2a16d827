"""Ingest throughput on SQLite: the ingest use case end to end (parse, interpret, store)."""

from __future__ import annotations

import copy
import json
import tempfile
import time
from pathlib import Path

from adapters.factory import open_services
from bot.config import Settings
from bot.ingest import ingest_raw

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "aws"
GOAL = 1000  # events/s on this 2-core machine


def _events(count: int) -> list[dict]:
    """`count` distinct EventBridge events cycled from the enveloped corpus samples."""
    samples = []
    for path in sorted(CORPUS.glob("*.json")):
        body = json.loads(path.read_text())
        if isinstance(body, dict) and "id" in body and "detail" in body:
            samples.append(body)
    out = []
    for i in range(count):
        event = copy.deepcopy(samples[i % len(samples)])
        event["id"] = f"{event['id']}-{i}"
        out.append(event)
    return out


def _measure(batch: int, count: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        services = open_services(Settings(_env_file=None, data_dir=Path(tmp)))
        events = _events(count)
        bodies = [json.dumps(events[i : i + batch]).encode() for i in range(0, count, batch)]
        start = time.perf_counter()
        stored = 0
        for body in bodies:
            result = ingest_raw(body, services.events, services.clock, ttl=604800)
            stored += result.stored
        elapsed = time.perf_counter() - start
        assert stored == count, f"stored {stored} of {count}"
        return count / elapsed


def run() -> str:
    rows = []
    for batch, count in ((1, 5000), (10, 20000), (100, 20000)):
        rate = _measure(batch, count)
        verdict = "meets" if rate >= GOAL else "misses"
        rows.append(f"| {batch} | {count:,} | {rate:,.0f} | {verdict} the goal |")
    return (
        "## Ingest throughput on SQLite\n\n"
        f"Goal: ≥ {GOAL:,} events/s. Each body is a JSON array of `batch` distinct "
        "EventBridge events (cycled from the corpus), run through `ingest_raw` (decode, "
        "envelope, interpret, one SQLite transaction per body) into a fresh WAL file.\n\n"
        "| events per body | events | events/s | |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
