"""Ingest throughput on SQLite: the ingest use case end to end (parse, interpret, store)."""

from __future__ import annotations

import copy
import json
import tempfile
import time
from pathlib import Path

from bot.config import Settings
from bot.ingest import ingest_raw
from handlers.bootstrap import bootstrap
from tests.corpus import EXPECTED_FAMILY

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "aws"
GOAL = 1000  # events/s on this 2-core machine


# The corpus' first files, whose EventBridge samples (18) this benchmark cycled before the
# corpus grew: a row over them alone stays comparable with earlier runs.
FIRST_FILES = frozenset(EXPECTED_FAMILY)


def _samples(first_only: bool = False) -> list[dict]:
    """The enveloped EventBridge samples of the corpus (of its first files only)."""
    samples = []
    for path in sorted(CORPUS.glob("*.json")):
        if first_only and path.name not in FIRST_FILES:
            continue
        body = json.loads(path.read_text())
        if isinstance(body, dict) and "id" in body and "detail" in body:
            samples.append(body)
    return samples


def _events(count: int, first_only: bool = False) -> list[dict]:
    """`count` distinct EventBridge events cycled from the enveloped corpus samples."""
    samples = _samples(first_only)
    out = []
    for i in range(count):
        event = copy.deepcopy(samples[i % len(samples)])
        event["id"] = f"{event['id']}-{i}"
        out.append(event)
    return out


def _measure(batch: int, count: int, first_only: bool = False) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        services = bootstrap(Settings(_env_file=None, data_dir=Path(tmp)))
        events = _events(count, first_only)
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
        rates = [_measure(batch, count, first_only) for first_only in (False, True)]
        verdict = "meets" if min(rates) >= GOAL else "misses"
        shown = " | ".join(f"{rate:,.0f}" for rate in rates)
        rows.append(f"| {batch} | {count:,} | {shown} | {verdict} the goal |")
    every, first = len(_samples()), len(_samples(first_only=True))
    return (
        "## Ingest throughput on SQLite\n\n"
        f"Goal: ≥ {GOAL:,} events/s. Each body is a JSON array of `batch` distinct "
        "EventBridge events cycled from the corpus, run through `ingest_raw` (decode, "
        "envelope, interpret, one SQLite transaction per body) into a fresh WAL file. "
        f"Two mixes: every EventBridge sample of the corpus ({every}, of every family, the "
        f"generic ones included), and the {first} of its first files, the mix of earlier "
        "runs.\n\n"
        f"| events per body | events | events/s, whole corpus | events/s, first {first} | |\n"
        "|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
