"""The alert lifecycle under a flood of repeats: ingest + notify on SQLite, and the Slack
calls coalescing leaves, counted by the tests' in-memory chat."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.alarms import alarm_event
from bot.config import Settings
from bot.delivery import flush
from handlers.bootstrap import bootstrap
from tests.fakes import FakeChat, FakeClock

ALERTS = 20  # within what one channel's post budget can open in a minute
REPEATS = 100  # per alert, all within one simulated minute
SPAN_S = 59.0
FLUSH_EVERY_S = 5
GOAL = 6  # edits and replies per alert for 100 repeats in 60 s (the lifecycle issue)


def _events() -> list[dict]:
    """ALERTS alarms firing REPEATS times each, interleaved as a noisy minute would be."""
    return [
        alarm_event(f"bench-{a}-{n}", f"Alarm{a}", n) for n in range(REPEATS) for a in range(ALERTS)
    ]


def measure() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        # Every alarm its own root here: storms are measured by the storm benchmark.
        settings = Settings(_env_file=None, data_dir=Path(tmp), storm_threshold=ALERTS * 2)
        clock, chat = FakeClock(), FakeChat()
        services = bootstrap(settings, chat=chat, clock=clock)
        events = _events()
        step = SPAN_S / len(events)
        next_flush = clock.now() + FLUSH_EVERY_S
        start = time.perf_counter()
        for event in events:
            clock.advance(step)
            if clock.now() >= next_flush:
                flush(services.delivery)
                next_flush += FLUSH_EVERY_S
            services.ingest(event)
        elapsed = time.perf_counter() - start
        # Then quiet, until every held-back edit, reply and paced post has gone.
        while services.alerts.list_pending(int(clock.now()) + 3600, 1):
            clock.advance(FLUSH_EVERY_S)
            flush(services.delivery)
        counts = [a.count for a in services.alerts.list_alerts(limit=ALERTS * 2)]
        assert sorted(counts) == [REPEATS] * ALERTS, "an event was not counted"
        edits = Counter(u["ref"].ts for u in chat.updates)
        replies = Counter(t["thread_ts"] for t in chat.texts)
        return {
            "events": len(events),
            "rate": len(events) / elapsed,
            "posts": len(chat.posts),
            "edits": sum(edits.values()),
            "replies": sum(replies.values()),
            "max_edits": max(edits.values()),
            "max_replies": max(replies.values()),
        }


def run() -> str:
    m = measure()
    met = m["max_edits"] <= GOAL and m["max_replies"] <= GOAL
    return (
        "## Alert lifecycle under a flood of repeats\n\n"
        f"Goal: 100 repeats of one alert within 60 s give one root message, at most {GOAL} "
        f"edits and at most {GOAL} thread replies. {ALERTS} alarms fire {REPEATS} times "
        f"each, interleaved, within {SPAN_S:.0f} simulated seconds ({m['events']:,} events); "
        "each event goes through the ingest use case (store, then notify) into SQLite, with "
        f"the flush job every {FLUSH_EVERY_S} simulated seconds and an in-memory chat (no "
        "Slack round trips in the rate); storm mode is off here (the next section measures "
        "it). Then quiet until all held-back work has gone. The roots of the first seconds are "
        "paced by the channel's post budget (about 1 a second), and a root posted late shows "
        "its count at once, so it needs fewer edits.\n\n"
        "| events/s | root posts | edits (max per alert) | replies (max per alert) | goal |\n"
        "|---|---|---|---|---|\n"
        f"| {m['rate']:,.0f} | {m['posts']:,} | {m['edits']:,} ({m['max_edits']}) "
        f"| {m['replies']:,} ({m['max_replies']}) | {'meets' if met else 'misses'} |\n"
    )
