"""A storm end to end: 3,000 events over 60 alarms in one channel within 60 s, through
POST /ingest of the running service, against the fake Slack with its budgets on.

The service's clock and the fake's rate-limit clock are one injected clock; `flush`
stands in for the scheduler's job. Two ingest workers in separate processes against one
SQLite file give the same result.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from bot.config import Settings
from bot.delivery import flush
from bot.models import Alert
from bot.ports import ListEventsDTO
from handlers.bootstrap import bootstrap
from tests.corpus import load, transition
from tests.e2e.conftest import ROOT, RunningService, client_for, service_factory  # noqa: F401
from tests.fakes import FakeClock
from tests.slack.fake_slack import FakeSlack, message_blocks
from tests.slack.test_lifecycle_e2e import clock, http, service  # noqa: F401
from tests.slack.test_slack_e2e import CHANNEL, roots

ALARMS = 60
EVENTS = 3000
PER_BODY = 50


def storm_events() -> list[dict]:
    """EVENTS alarm events over ALARMS alarms, interleaved as a storm would bring them."""
    sample = load("cloudwatch_alarm_state_change_single_metric.json")
    events = []
    for n in range(EVENTS):
        event = transition(sample)
        event["id"] = f"storm-{n}"
        event["detail"]["alarmName"] = f"Alarm{n % ALARMS:02d}"
        events.append(event)
    return events


def shown_count(message: dict) -> int:
    found = re.search(r"Seen ([\d,]+) times", json.dumps(message_blocks(message)))
    return int(found.group(1).replace(",", "")) if found else 1


def check_outcome(alerts: list[Alert], fake_slack: FakeSlack, *, paced: bool = True) -> None:
    """What a storm must end in, however many workers ingested it."""
    top = roots(fake_slack)
    assert len(top) <= 21  # up to 20 roots before the storm, plus the summary
    ids = [m["metadata"]["event_payload"]["alert_id"] for m in top]
    assert len(ids) == len(set(ids))  # no doubled root
    if paced:  # on the injected clock; real processes' timing is the OS scheduler's
        assert all(c.status != 429 for c in fake_slack.calls())  # our pacing provoked none
    records = {a.id: a for a in alerts}
    assert sum(a.count for a in alerts if a.kind == "alert") == EVENTS
    (summary,) = [a for a in alerts if a.kind == "storm"]
    for message in top:  # after the storm, every root shows its true count
        record = records[message["metadata"]["event_payload"]["alert_id"]]
        if record.kind == "alert":
            assert shown_count(message) == record.count
    shown = json.dumps(message_blocks(next(m for m in top if m["ts"] == summary.message.ts)))
    members = [records[m] for m in summary.members]
    assert f"{sum(m.count for m in members):,} events" in shown and "Storm over" in shown


def test_a_storm_of_3000_events_over_60_alarms(http, service, fake_slack, clock):  # noqa: F811
    events = storm_events()
    for start in range(0, EVENTS, PER_BODY):  # 60 bodies over 60 s
        answer = http.post("/ingest", json=events[start : start + PER_BODY])
        assert answer.status_code == 202 and answer.json()["stored"] == PER_BODY
        clock.advance(1)
        if start % (PER_BODY * 5) == 0:
            flush(service.services.delivery)
    for _ in range(40):  # the storm ends after a quiet minute; held-back work goes out
        clock.advance(5)
        flush(service.services.delivery)
    stored = service.services.events.list(ListEventsDTO(limit=100, start_date=0), int(clock.now()))
    assert stored.items  # listed, and all counted below
    check_outcome(service.services.alerts.list_alerts(limit=1000), fake_slack)
    calls = len(fake_slack.calls())
    assert calls <= 25 * EVENTS / 1000, f"{calls} Slack calls for {EVENTS} events"


def test_two_ingest_workers_in_separate_processes_give_the_same_result(
    tmp_path: Path, fake_slack: FakeSlack
):
    fake_slack.rate_limits = True
    fake_slack.clock = time.time  # the workers pace themselves on the real clock
    events = storm_events()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake_slack.url,
        "SLACK_ALERTS_CHANNEL": CHANNEL,
        "DATA_DIR": str(tmp_path),
        "STORE": "sqlite",
    }
    files = []
    for worker in range(2):
        path = tmp_path / f"worker{worker}.json"
        path.write_text(json.dumps(events[worker::2]))
        files.append(path)
    workers = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "ingest", str(path)],
            cwd=ROOT,
            env={**_base_env(), **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for path in files
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err.decode()[-2000:]
    # What the workers left due (paced posts, held-back edits, the storm's end), done by
    # a flusher on a clock that runs ahead in steps, as the scheduler's job would.
    later = FakeClock(start=time.time())
    fake_slack.clock = later.now
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in env.items()})
    services = bootstrap(settings, clock=later)
    for _ in range(60):
        later.advance(5)
        flush(services.delivery)
    check_outcome(services.alerts.list_alerts(limit=1000), fake_slack, paced=False)


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STORE"))}
