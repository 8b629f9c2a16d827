"""SIGKILL during a storm: `python app.py serve` as a real process (SQLite under a tmp
DATA_DIR, Slack on the fake in this process), killed while threads POST /ingest, then
restarted on the same file.

Every event answered 202 before the kill must be in the SQLite file exactly once; the
senders then re-send what got no answer, as they would; after the restart and the flush
job, every alert has exactly one root in Slack, including a post the kill may have cut
between Slack taking it and the store saving its ts.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.lifecycle import CLAIM_S
from handlers.bootstrap import bootstrap
from tests.e2e.conftest import ROOT, free_port
from tests.fakes import FakeClock
from tests.faults.support import FAR_FUTURE, audit, settle, storm_of
from tests.figures import Figures
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack_e2e import CHANNEL

ALERTS = 8
REPEATS = 40  # 320 events
SENDERS = 8
KILL_AFTER = 120  # acknowledged events before the SIGKILL


class Serve:
    """`python app.py serve` in its own process, on a free port."""

    def __init__(self, data_dir: Path, slack_url: str) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STORE"))}
        env.update(
            PORT=str(self.port), DATA_DIR=str(data_dir), STORE="sqlite", LOG_LEVEL="WARNING",
            SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack_url, SLACK_ALERTS_CHANNEL=CHANNEL,
            STORM_THRESHOLD="1000",  # one root per alert, the thing to count
        )  # fmt: skip
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code < 600:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"serve did not start: {err[-2000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def serve(tmp_path: Path, fake_slack: FakeSlack) -> Iterator[Any]:
    """Start `serve` (again) on one DATA_DIR; every process started is stopped after."""
    started: list[Serve] = []

    def start() -> Serve:
        started.append(Serve(tmp_path / "var", fake_slack.url))
        return started[-1]

    yield start
    for process in started:
        process.stop()


def _stored_ids(data_dir: Path) -> list[str]:
    """Event ids in the SQLite file, read as another process would, one row per id."""
    with sqlite3.connect(data_dir / "monitoring.sqlite3", timeout=10) as db:
        return [row[0] for row in db.execute("SELECT id FROM events")]


def _storm(
    url: str, events: list[dict], stop_at: int
) -> tuple[list[str], list[dict], list[threading.Thread], threading.Event]:
    """SENDERS threads POST one event at a time until the service dies. Returns the ids
    acknowledged and the events that got no answer (both filled as the threads run), the
    threads, and an Event set once `stop_at` events are acknowledged: the moment to kill."""
    acked: list[str] = []
    unanswered: list[dict] = []
    lock = threading.Lock()
    reached = threading.Event()

    def send(share: list[dict]) -> None:
        with httpx.Client(base_url=url, timeout=10) as client:
            for n, event in enumerate(share):
                try:
                    answer = client.post("/ingest", json=event)
                except httpx.TransportError:
                    with lock:
                        unanswered.extend(share[n:])
                    return
                with lock:
                    if answer.status_code == 202:
                        acked.extend(answer.json()["ids"])
                    else:
                        unanswered.append(event)
                    if len(acked) >= stop_at:
                        reached.set()

    threads = [threading.Thread(target=send, args=(events[i::SENDERS],)) for i in range(SENDERS)]
    for thread in threads:
        thread.start()
    return acked, unanswered, threads, reached


def test_sigkill_during_an_ingest_storm_then_restart(
    serve: Any, fake_slack: FakeSlack, tmp_path: Path, figures: Figures
) -> None:
    """Kill -9 mid-storm: nothing acknowledged is lost, nothing is stored twice, and after
    a restart and the flush every alert has exactly one root."""
    data_dir = tmp_path / "var"
    events = storm_of(ALERTS, REPEATS, prefix="kill")
    first = serve()
    acked, unanswered, threads, reached = _storm(first.url, events, KILL_AFTER)
    assert reached.wait(timeout=60), "the storm never reached the kill point"
    first.kill()
    for thread in threads:
        thread.join(timeout=30)
    acked_at_kill = list(acked)
    stored = _stored_ids(data_dir)
    assert len(stored) == len(set(stored))
    lost = set(acked_at_kill) - set(stored)
    assert not lost, f"{len(lost)} acknowledged events are not in the store"
    assert len(acked_at_kill) + len(unanswered) == len(events)  # every event accounted for

    second = serve()  # restart on the same file; the senders re-send what got no answer
    with httpx.Client(base_url=second.url, timeout=10) as client:
        for event in unanswered:
            answer = client.post("/ingest", json=event)
            assert answer.status_code == 202, answer.text
            acked += answer.json()["ids"]
    time.sleep(3)  # a flush job run or so of the restarted service, on its real clock
    second.stop()

    # The flush job a while later (past the claim of a post the kill cut short), on a
    # clock shared with the fake's rate limits, so that it need not wait for real.
    later = FakeClock(start=time.time() + CLAIM_S + 60)
    fake_slack.clock = later.now
    settings = Settings(
        _env_file=None, data_dir=data_dir, slack_bot_token="xoxb-test",
        slack_api_url=fake_slack.url, slack_alerts_channel=CHANNEL, storm_threshold=1000,
    )  # fmt: skip
    services = bootstrap(settings, clock=later)
    settle(lambda: services.delivery, later)
    assert services.alerts.list_pending(FAR_FUTURE, 10) == []

    stored = _stored_ids(data_dir)
    records = services.alerts.list_alerts(limit=1000)
    result = audit(fake_slack, records, acked, set(stored).__contains__)
    counted = sum(r.count for r in records if r.kind == "alert")
    figures.add(
        "faults",
        f"SIGKILL of `serve` after {len(acked_at_kill)} of {len(events)} events "
        f"({SENDERS} threads), restart, re-send of {len(unanswered)} unanswered",
        f"{result.line()}, {len(stored)} rows for {len(set(stored))} ids, "
        f"{len(events) - counted} stored events never alerted on",
    )
    assert len(stored) == len(set(stored)) == len(events)  # all stored, each once
    result.assert_clean()
    assert (result.alerts, result.roots) == (ALERTS, ALERTS)
    assert counted == len(events)  # every event counted in its alert, once
