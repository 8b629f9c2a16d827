"""The alert lifecycle under a flood of repeats: ingest + notify on SQLite, and the Slack
calls coalescing leaves, counted by a chat that only counts."""

from __future__ import annotations

import copy
import json
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from adapters.factory import open_services
from bot.alerting import flush
from bot.config import Settings
from bot.models import Alert, MessageRef, Signal, StormDigest

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "aws"
ALERTS = 200
REPEATS = 100  # per alert, all within one simulated minute
SPAN_S = 59.0
FLUSH_EVERY_S = 5
GOAL = 6  # edits and replies per alert for 100 repeats in 60 s (the lifecycle issue)


class _SimClock:
    def __init__(self) -> None:
        self.t = 1_790_000_000.0

    def now(self) -> float:
        return self.t


class _CountingChat:
    """A Chat that answers at once and counts what each alert received."""

    def __init__(self) -> None:
        self.posts = 0
        self.edits: Counter[str] = Counter()
        self.replies: Counter[str] = Counter()
        self._ts = 0

    def _ref(self, channel: str) -> MessageRef:
        self._ts += 1
        return MessageRef(channel=channel, ts=f"{self._ts}.000000")

    def post_alert(
        self,
        channel: str,
        signal: Signal,
        alert: Alert | None,
        *,
        message_id: str,
        controls: bool,
        thread_ts: str | None = None,
    ) -> MessageRef:
        self.posts += 1
        return self._ref(channel)

    def update_alert(self, ref: MessageRef, signal: Signal, alert: Alert) -> None:
        self.edits[ref.ts] += 1

    def post_storm(
        self, channel: str, storm: Alert, digest: StormDigest, *, message_id: str
    ) -> MessageRef:
        self.posts += 1
        return self._ref(channel)

    def update_storm(self, ref: MessageRef, storm: Alert, digest: StormDigest) -> None:
        self.edits[ref.ts] += 1

    def post_text(self, channel: str, text: str, *, thread_ts: str | None = None) -> MessageRef:
        self.replies[thread_ts or ""] += 1
        return self._ref(channel)

    def post_ephemeral(self, channel: str, user: str, text: str) -> None:
        return None

    def find_alert_message(self, channel: str, message_id: str, oldest: int) -> MessageRef | None:
        return None


def _events() -> list[dict]:
    """ALERTS alarms firing REPEATS times each, interleaved as a noisy minute would be."""
    sample = json.loads((CORPUS / "cloudwatch_alarm_state_change_single_metric.json").read_text())
    out = []
    for n in range(REPEATS):
        for a in range(ALERTS):
            event = copy.deepcopy(sample)
            event["id"] = f"bench-{a}-{n}"
            event["detail"]["alarmName"] = f"Alarm{a}"
            out.append(event)
    return out


def measure() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        # Every alarm its own root here: storms are measured by the storm benchmark.
        settings = Settings(_env_file=None, data_dir=Path(tmp), storm_threshold=ALERTS * 2)
        opened = open_services(settings)
        clock, chat = _SimClock(), _CountingChat()
        services = replace(opened, chat=chat, clock=clock)
        events = _events()
        step = SPAN_S / len(events)
        next_flush = clock.t + FLUSH_EVERY_S
        start = time.perf_counter()
        for event in events:
            clock.t += step
            if clock.t >= next_flush:
                flush(services.delivery)
                next_flush += FLUSH_EVERY_S
            services.ingest(event)
        elapsed = time.perf_counter() - start
        for _ in range(6):  # the last windows' held-back work
            clock.t += FLUSH_EVERY_S
            flush(services.delivery)
        counts = [a.count for a in services.alerts.list_alerts(limit=ALERTS * 2)]
        assert sorted(counts) == [REPEATS] * ALERTS, "an event was not counted"
        return {
            "events": len(events),
            "rate": len(events) / elapsed,
            "posts": chat.posts,
            "edits": sum(chat.edits.values()),
            "replies": sum(chat.replies.values()),
            "max_edits": max(chat.edits.values()),
            "max_replies": max(chat.replies.values()),
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
        f"the flush job every {FLUSH_EVERY_S} simulated seconds and a chat that only counts "
        "(no Slack round trips in the rate).\n\n"
        "| events/s | root posts | edits (max per alert) | replies (max per alert) | goal |\n"
        "|---|---|---|---|---|\n"
        f"| {m['rate']:,.0f} | {m['posts']:,} | {m['edits']:,} ({m['max_edits']}) "
        f"| {m['replies']:,} ({m['max_replies']}) | {'meets' if met else 'misses'} |\n"
    )
