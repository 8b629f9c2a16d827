"""The daily report at volume: one UTC day of events, reported by a fresh process, for its
wall time and peak memory: 100,000 and 1,000,000 events on SQLite, 100,000 on DynamoDB
Local.

The parent seeds the store, then runs `python -m benchmarks.daily_report --child KIND
WHERE DAY` (KIND sqlite with a file, or dynamodb with an endpoint), so that the peak RSS
is the report's process alone; the child prints its figures as JSON. `--profile` after
the child's arguments prints a cProfile of the send to stderr.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from benchmarks.environment import environment
from bot.daily_report import DAY_S, day_bounds
from bot.models import (
    Alert,
    AlertStatus,
    Event,
    HistoryEntry,
    MessageRef,
    Severity,
    Signal,
    SignalState,
    Silence,
)
from bot.sources import Context

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2026, 11, 26)
START, END = day_bounds(DAY)
NOW = END + 1 + 3600  # 01:00 UTC the next morning, when the scheduled report runs
EVENTS = 100_000
BIG_EVENTS = 1_000_000  # on SQLite
DYNAMO_EVENTS = 100_000  # on DynamoDB Local
BATCH = 500
TEMPLATES = 10_000  # events read as ingest reads them, stamped into the bigger days
STAMP_BATCH = 5_000  # events per create_many while stamping a SQLite file
DYNAMO_CHUNK = 500  # events per batch-write task (BatchWriteItem sends 25 an item call)
DYNAMO_THREADS = 8
DYNAMO_TABLE = "bench-report"
DYNAMO_REGION = "us-east-1"
# DynamoDB Local takes any credentials, but botocore signs with some: never real ones.
DUMMY_AWS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
TTL = 30 * 86400
ALARMS = 300
ALERTS = 400  # alert records of the day's fingerprints
STALE_OPEN = 60  # alerts left open from earlier days: counted as still open
NOTIFICATIONS = 80  # kind "notification": skipped by the alert pass
SILENCES = 8
RUNS = 3
DYNAMO_RUNS = 1  # DynamoDB Local reads about 3,000 items a second: one run is enough
DYNAMO_LOCAL_STORE_TIMEOUT_S = 300
CHILD_TIMEOUT_S = 600
GOAL_S = 1.0
GOAL_MB = 100.0
BIG_GOAL_S = 10.0
SECRET = "bench"
CHANNEL = "CREPORT"
ACCOUNTS = [f"{(i + 1) * 111_111_111_111 % 10**12:012d}" for i in range(10)]
NAMES = {ACCOUNTS[0]: "prod", ACCOUNTS[1]: "staging", ACCOUNTS[2]: "shared-services"}
REGIONS = ("eu-west-1", "us-east-1")
# Of every 20 events: 10 CloudWatch alarms, 5 ECS tasks, 2 CloudFormation, 2 GuardDuty,
# 1 Health.
MIX = ["alarm"] * 10 + ["ecs"] * 5 + ["cfn"] * 2 + ["guardduty"] * 2 + ["health"]


# --- seeding -----------------------------------------------------------------------------


def _iso(at: int) -> str:
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(
    n: int,
    at: int,
    source: str,
    detail_type: str,
    account: str,
    region: str,
    resources: list[str],
    detail: dict[str, Any],
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"day-{n:07d}",
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": _iso(at),
        "region": region,
        "resources": resources,
        "detail": detail,
    }


def _alarm(n: int, at: int, rng: random.Random) -> dict[str, Any]:
    k = int(ALARMS * rng.random() ** 2)  # a few alarms are much noisier than the rest
    account, region = ACCOUNTS[k % len(ACCOUNTS)], REGIONS[k % 2]
    service = ("api", "worker", "db", "queue", "cache", "lb")[k % 6]
    metric = ("CPUUtilization", "Latency", "5XXError", "FreeStorageSpace", "QueueDepth")[k % 5]
    name = f"{service}-{metric}-{k:03d}"
    state = rng.choices(("ALARM", "OK", "INSUFFICIENT_DATA"), (5, 4, 1))[0]
    return _envelope(
        n,
        at,
        "aws.cloudwatch",
        "CloudWatch Alarm State Change",
        account,
        region,
        [f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"],
        {
            "alarmName": name,
            "configuration": {
                "description": f"{metric} of {service} out of bounds",
                "metrics": [
                    {
                        "id": "m1",
                        "metricStat": {
                            "metric": {
                                "namespace": "AWS/EC2",
                                "name": metric,
                                "dimensions": {"InstanceId": f"i-{k:017x}"},
                            },
                            "period": 300,
                            "stat": "Average",
                        },
                        "returnData": True,
                    }
                ],
            },
            "state": {
                "value": state,
                "reason": "Threshold Crossed: 1 out of the last 1 "
                "datapoints was greater than the threshold (50.0)",
                "timestamp": _iso(at),
            },
            "previousState": {
                "value": "OK" if state != "OK" else "ALARM",
                "reason": "Threshold Crossed",
            },
        },
    )


def _ecs(n: int, at: int, rng: random.Random) -> dict[str, Any]:
    c, g = rng.randrange(4), rng.randrange(40)
    account, region = ACCOUNTS[c * 2], REGIONS[c % 2]
    cluster, family = f"cluster-{c}", f"svc-{g:02d}"
    task = f"{rng.getrandbits(128):032x}"
    task_arn = f"arn:aws:ecs:{region}:{account}:task/{cluster}/{task}"
    last = rng.choices(("RUNNING", "PENDING", "STOPPED"), (6, 2, 2))[0]
    container: dict[str, Any] = {
        "name": family,
        "lastStatus": last,
        "image": f"{account}.dkr.ecr.{region}.amazonaws.com/{family}:1",
    }
    detail: dict[str, Any] = {
        "clusterArn": f"arn:aws:ecs:{region}:{account}:cluster/{cluster}",
        "taskArn": task_arn,
        "taskDefinitionArn": f"arn:aws:ecs:{region}:{account}:task-definition/{family}:7",
        "group": f"service:{family}",
        "lastStatus": last,
        "desiredStatus": "STOPPED" if last == "STOPPED" else "RUNNING",
        "launchType": "FARGATE",
        "cpu": "256",
        "memory": "512",
        "containers": [container],
        "updatedAt": _iso(at),
    }
    if last == "STOPPED" and rng.random() < 0.4:
        detail["stopCode"] = "EssentialContainerExited"
        detail["stoppedReason"] = "Essential container in task exited"
        container.update(exitCode=137, reason="OutOfMemoryError: Container killed")
    return _envelope(n, at, "aws.ecs", "ECS Task State Change", account, region, [task_arn], detail)


def _cfn(n: int, at: int, rng: random.Random) -> dict[str, Any]:
    s = rng.randrange(80)
    account, region = ACCOUNTS[s % len(ACCOUNTS)], REGIONS[s % 2]
    stack_id = f"arn:aws:cloudformation:{region}:{account}:stack/stack-{s:02d}/{s:08x}-uuid"
    status = rng.choices(
        (
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE",
            "CREATE_COMPLETE",
            "UPDATE_ROLLBACK_COMPLETE",
            "UPDATE_FAILED",
        ),
        (4, 4, 1, 1, 1),
    )[0]
    detail: dict[str, Any] = {
        "stack-id": stack_id,
        "status-details": {"status": status, "status-reason": ""},
        "client-request-token": "",
    }
    detail_type = "CloudFormation Stack Status Change"
    if rng.random() < 0.4:
        detail_type = "CloudFormation Resource Status Change"
        logical = rng.choice(("Service", "TaskDefinition", "LoadBalancer", "Queue", "Table"))
        detail.update(
            {
                "logical-resource-id": logical,
                "physical-resource-id": f"{logical}-{s}",
                "resource-type": f"AWS::Bench::{logical}",
            }
        )
    return _envelope(n, at, "aws.cloudformation", detail_type, account, region, [stack_id], detail)


def _guardduty(n: int, at: int, rng: random.Random) -> dict[str, Any]:
    f = rng.randrange(150)
    account, region = ACCOUNTS[f % len(ACCOUNTS)], REGIONS[f % 2]
    kind = (
        "Recon:EC2/PortProbeUnprotectedPort",
        "UnauthorizedAccess:IAMUser/ConsoleLogin",
        "CryptoCurrency:EC2/BitcoinTool.B!DNS",
        "Discovery:S3/AnomalousBehavior",
    )[f % 4]
    return _envelope(
        n,
        at,
        "aws.guardduty",
        "GuardDuty Finding",
        account,
        region,
        [],
        {
            "id": f"finding-{f:04d}",
            "type": kind,
            "title": f"{kind.split('/')[-1]} on resource {f}",
            "severity": (2, 5, 5.5, 7.5, 8, 9.2)[f % 6],
            "accountId": account,
            "region": region,
            "description": "A finding raised by the benchmark.",
            "service": {
                "eventFirstSeen": _iso(START),
                "eventLastSeen": _iso(at),
                "count": rng.randrange(1, 500),
                "archived": False,
            },
        },
    )


def _health(n: int, at: int, rng: random.Random) -> dict[str, Any]:
    h = rng.randrange(40)
    account, region = ACCOUNTS[h % len(ACCOUNTS)], REGIONS[h % 2]
    service = ("EC2", "RDS", "ECS", "LAMBDA")[h % 4]
    code = f"AWS_{service}_{('OPERATIONAL_ISSUE', 'MAINTENANCE_SCHEDULED', 'NOTIFICATION')[h % 3]}"
    category = ("issue", "scheduledChange", "accountNotification")[h % 3]
    return _envelope(
        n,
        at,
        "aws.health",
        "AWS Health Event",
        account,
        region,
        [f"i-{h:017x}"],
        {
            "eventArn": f"arn:aws:health:{region}::event/{service}/{code}/{h:08d}",
            "service": service,
            "eventTypeCode": code,
            "eventTypeCategory": category,
            "statusCode": rng.choices(("open", "closed"), (3, 1))[0],
            "startTime": _iso(START),
            "eventDescription": [
                {"language": "en_US", "latestDescription": "A description of the event."}
            ],
            "affectedEntities": [{"entityValue": f"i-{h:017x}"}],
        },
    )


MAKERS = {"alarm": _alarm, "ecs": _ecs, "cfn": _cfn, "guardduty": _guardduty, "health": _health}


def _published(rng: random.Random) -> int:
    """A time in the day, busier in the (European) working hours."""
    return START + min(int(rng.triangular(0, DAY_S, DAY_S * 0.45)), DAY_S - 1)


def _alerts(signals: dict[str, tuple[Signal, int, int]], rng: random.Random) -> list[Alert]:
    """ALERTS records of the day's firing fingerprints, opened, acked and resolved that day;
    some left open from earlier days; some notifications, which the report skips."""
    firing = sorted(fp for fp, (s, _, _) in signals.items() if s.state is SignalState.FIRING)
    out = []
    for i, fp in enumerate(rng.sample(firing, min(ALERTS, len(firing)))):
        signal, first, last = signals[fp]
        opened = first
        acked = opened + rng.randrange(60, 3600) if rng.random() < 0.6 else None
        resolved = None
        if rng.random() < 0.6:
            resolved = min(max(opened + rng.randrange(300, 6 * 3600), acked or 0), END)
        status = (
            AlertStatus.RESOLVED if resolved else AlertStatus.ACKED if acked else AlertStatus.OPEN
        )
        history = [HistoryEntry(at=opened, action="opened")]
        if acked:
            history.append(HistoryEntry(at=acked, action="acked", by="U0BENCH"))
        if resolved:
            history.append(HistoryEntry(at=resolved, action="resolved"))
        out.append(
            Alert(
                id=f"alert-{i:05d}",
                fingerprint=fp,
                status=status,
                title=signal.title,
                severity=signal.severity,
                source=signal.source,
                account=signal.account,
                message=MessageRef(channel="CALERTS", ts=f"{opened}.{i:06d}"),
                version=len(history) + 3,
                count=rng.randrange(1, 200),
                first_seen=opened,
                last_seen=max(last, resolved or 0),
                opened_at=opened,
                acked_by="U0BENCH" if acked else None,
                acked_at=acked,
                resolved_at=resolved,
                history=history,
                channel="CALERTS",
                signal=signal,
            )
        )
    for i in range(STALE_OPEN):
        seen = START - rng.randrange(1, 7) * DAY_S
        out.append(
            Alert(
                id=f"stale-{i:05d}",
                fingerprint=f"old-{i}",
                title=f"Old alert {i}",
                severity=Severity.MEDIUM,
                first_seen=seen,
                last_seen=seen + 600,
                status=rng.choice((AlertStatus.OPEN, AlertStatus.ACKED)),
            )
        )
    for i in range(NOTIFICATIONS):
        seen = _published(rng)
        out.append(
            Alert(
                id=f"note-{i:05d}",
                fingerprint=f"note-{i}",
                kind="notification",
                title=f"Notice {i}",
                first_seen=seen,
                last_seen=seen,
                status=AlertStatus.RESOLVED,
                resolved_at=seen,
            )
        )
    return out


def _silences(rng: random.Random) -> list[Silence]:
    """Active silences, a few of them ending within 24 h, and one already over."""
    out = []
    for i in range(SILENCES):
        ends = NOW + (rng.randrange(3600, DAY_S) if i % 3 == 0 else rng.randrange(2, 14) * DAY_S)
        if i == SILENCES - 1:
            ends = NOW - 600
        out.append(
            Silence(
                id=f"silence-{i}",
                scope=("alert", "resource", "account_source")[i % 3],
                matcher=f"matcher-{i}",
                created_by="U0BENCH",
                reason="maintenance",
                created_at=START + i * 3600,
                expires_at=ends,
            )
        )
    return out


Signals = dict[str, tuple[Signal, int, int]]  # fingerprint: (first signal, first, last)


def _keeper(signals: Signals) -> Callable[[Event, list[Signal], bool], None]:
    """Ingest's `on_new`, noting each fingerprint's first signal and its first and last
    times, for the alert records that go with the day."""

    def keep(event: Event, found: list[Signal], _again: bool) -> None:
        for s in found:
            known = signals.get(s.fingerprint)
            at = event.published_at
            signals[s.fingerprint] = (
                (s, at, at) if known is None else (known[0], min(known[1], at), max(known[2], at))
            )

    return keep


def _seed_records(alerts: Any, signals: Signals, rng: random.Random) -> int:
    """The alert records and silences that go with the day; how many records."""
    records = _alerts(signals, rng)
    for alert in records:
        alerts.create_alert(alert)
    for silence in _silences(rng):
        alerts.create_silence(silence)
    return len(records)


def seed(path: Path) -> dict[str, int]:
    """EVENTS events of DAY through the ingest use case, in bodies of BATCH, and the
    alerts and silences that go with them."""
    from adapters.sqlite import SqliteAlertStore, SqliteDatabase, SqliteEventStore
    from bot.cursors import CursorCodec
    from bot.ingest import ingest
    from tests.fakes import FakeClock

    rng = random.Random(26)
    clock = FakeClock(NOW - 1800)  # received shortly before the report runs
    signals: Signals = {}
    keep = _keeper(signals)
    db = SqliteDatabase(path)
    try:
        events = SqliteEventStore(db, CursorCodec(SECRET))
        for start in range(0, EVENTS, BATCH):
            body = [
                MAKERS[rng.choice(MIX)](n, _published(rng), rng)
                for n in range(start, min(start + BATCH, EVENTS))
            ]
            result = ingest(body, events, clock, ttl=TTL, on_new=keep)
            assert result.stored == len(body), result.rejected[:1]
        records = _seed_records(SqliteAlertStore(db), signals, rng)
    finally:
        db.close()
    return {"fingerprints": len(signals), "alert_records": records}


def _stamped(count: int, rng: random.Random, signals: Signals) -> Iterator[list[Event]]:
    """`count` events of DAY in batches of STAMP_BATCH: TEMPLATES events read as ingest
    reads them (interpreted and summarised), each batch of copies stamped with ids and
    times of their own. Ingest would spend most of the seeding interpreting."""
    from bot.ingest import read_unit_events

    ctx = Context(account_names=NAMES)
    templates = [
        read
        for n in range(TEMPLATES)
        for read in read_unit_events(
            MAKERS[rng.choice(MIX)](n, _published(rng), rng),
            received_at=NOW - 1800,
            ttl=TTL,
            ctx=ctx,
        )
    ]
    keep = _keeper(signals)
    for start in range(0, count, STAMP_BATCH):
        batch = []
        for n in range(start, min(start + STAMP_BATCH, count)):
            template, found = rng.choice(templates)
            at = _published(rng)
            update = {"id": f"stamped-{n:07d}", "published_at": at, "updated_at": at}
            event = template.model_copy(update=update)
            keep(event, found, False)
            batch.append(event)
        yield batch


def seed_stamped(path: Path, count: int) -> dict[str, int]:
    """`count` stamped events of DAY, by the event store's own bulk insert (create_many,
    one transaction a batch), and the alerts and silences that go with them."""
    from adapters.sqlite import SqliteAlertStore, SqliteDatabase, SqliteEventStore
    from bot.cursors import CursorCodec

    rng = random.Random(27)
    signals: Signals = {}
    db = SqliteDatabase(path)
    try:
        events = SqliteEventStore(db, CursorCodec(SECRET))
        for batch in _stamped(count, rng, signals):
            assert all(events.create_many(batch))
        records = _seed_records(SqliteAlertStore(db), signals, rng)
    finally:
        db.close()
    return {"fingerprints": len(signals), "alert_records": records}


def seed_dynamodb(endpoint: str, count: int) -> dict[str, int]:
    """`count` stamped events of DAY on a new table: the first through the event store
    (which records the day), the rest as the store would write them, in parallel batch
    writes (BatchWriteItem, unconditional); then the alerts and silences."""
    from adapters.dynamodb.schema import create_table
    from adapters.dynamodb.stores import DynamoAlertStore, DynamoEventStore, open_table
    from bot.cursors import CursorCodec

    where = {"table": DYNAMO_TABLE, "endpoint": endpoint, "region": DYNAMO_REGION}
    create_table(**where)
    table = open_table(**where)
    events = DynamoEventStore(table, CursorCodec(SECRET))
    rng = random.Random(28)
    signals: Signals = {}

    def write(chunk: list[Event]) -> None:
        items = [events.item(event) for event in chunk]
        with type(items[0]).batch_write() as batch:
            for item in items:
                batch.save(item)

    with ThreadPoolExecutor(DYNAMO_THREADS) as pool:
        for n, batch in enumerate(_stamped(count, rng, signals)):
            if n == 0:
                assert events.create_many(batch[:1]) == [True]
            chunks = [batch[i : i + DYNAMO_CHUNK] for i in range(0, len(batch), DYNAMO_CHUNK)]
            list(pool.map(write, chunks))
    records = _seed_records(DynamoAlertStore(table), signals, rng)
    return {"fingerprints": len(signals), "alert_records": records}


# --- the child: one report, in a fresh process --------------------------------------------


class RenderingChat:
    """The report's half of the Chat port: each message rendered through the real Block Kit
    view and serialised as chat.postMessage's body would be, then dropped."""

    def __init__(self, view: Any) -> None:
        self._view = view
        self._posted: dict[str, MessageRef] = {}
        self.messages = 0
        self.bytes = 0
        self.max_blocks = 0

    def _post(
        self, channel: str, content: dict[str, Any], message_id: str, thread_ts: str | None = None
    ) -> MessageRef:
        body = json.dumps(
            {
                "channel": channel,
                **content,
                "thread_ts": thread_ts,
                "metadata": {
                    "event_type": "bot_message",
                    "event_payload": {"message_id": message_id},
                },
            }
        )
        self.messages += 1
        self.bytes += len(body)
        self.max_blocks = max(self.max_blocks, len(content["blocks"]))
        ref = MessageRef(channel=channel, ts=f"{NOW}.{self.messages:06d}")
        self._posted[message_id] = ref
        return ref

    def post_report(self, channel: str, report: Any, *, message_id: str) -> MessageRef:
        return self._post(channel, self._view.report_message(report), message_id)

    def post_report_part(self, ref: MessageRef, part: Any, *, message_id: str) -> MessageRef:
        content = self._view.report_part_message(part)
        return self._post(ref.channel, content, message_id, ref.ts)

    def check_auth(self) -> None:
        """No token to check: this chat only renders."""

    def find_alert_message(
        self, channel: str, message_id: str, oldest: int, thread_ts: str | None = None
    ) -> MessageRef | None:
        return self._posted.get(message_id)


def _pause(clock: Any) -> Any:
    """A pause that advances the fake clock instead of sleeping."""
    return clock.advance


def _rss_mb() -> float:
    """This process's peak RSS. VmHWM belongs to the address space that `exec` replaced,
    so it counts this program alone; ru_maxrss would keep the forking parent's peak (the
    other benchmarks of `make bench`), which Linux carries across fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _open(kind: str, where: str) -> tuple[Any, Any, Callable[[], None]]:
    """The event store, the alert store (alerts, silences and states) and how to close
    them: a SQLite file, or the benchmark's table at a DynamoDB endpoint."""
    from bot.cursors import CursorCodec

    if kind == "sqlite":
        from adapters.sqlite import SqliteAlertStore, SqliteDatabase, SqliteEventStore

        db = SqliteDatabase(where)
        return SqliteEventStore(db, CursorCodec(SECRET)), SqliteAlertStore(db), db.close
    from adapters.dynamodb.stores import DynamoAlertStore, DynamoEventStore, open_table
    from bot.config import Settings

    # DynamoDB Local takes seconds to answer one page of a 100,000-item index (AWS takes
    # milliseconds), past STORE_TIMEOUT's default: the report's figure is its own pace.
    settings = Settings(_env_file=None, store_timeout=DYNAMO_LOCAL_STORE_TIMEOUT_S)
    table = open_table(settings, table=DYNAMO_TABLE, endpoint=where, region=DYNAMO_REGION)
    return DynamoEventStore(table, CursorCodec(SECRET)), DynamoAlertStore(table), lambda: None


def child(kind: str, where: str, day_text: str, profile: bool = False) -> dict[str, Any]:
    """Send the day's report, as the scheduled run would, then build it alone."""
    from blocks.view import MessageView
    from bot.daily_report import ReportSender, build_report
    from tests.fakes import FakeClock

    day = date.fromisoformat(day_text)
    events, alerts, close = _open(kind, where)
    clock = FakeClock(NOW)
    chat = RenderingChat(MessageView(clock=clock))
    ctx = Context(account_names=NAMES)
    sender = ReportSender(
        events, alerts, chat, clock, CHANNEL, alerts, alerts, ctx=ctx, pause=_pause(clock)
    )
    baseline = _rss_mb()

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t = time.perf_counter()
    outcome = sender.send(day)
    send_s = time.perf_counter() - t
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(20)

    t = time.perf_counter()
    report, parts = build_report(events, alerts, alerts, day, NOW, ctx)
    build_s = time.perf_counter() - t
    close()
    assert outcome.status == "posted" and outcome.posted == 1 + len(parts), outcome
    return {
        "events": report.events,
        "alerts": report.alerts,
        "replies": len(parts),
        "opened": report.opened,
        "resolved": report.resolved,
        "still_open": report.still_open,
        "silences": report.silences_total,
        "untracked": report.untracked,
        "posted": outcome.posted,
        "bytes": chat.bytes,
        "max_blocks": chat.max_blocks,
        "waited_s": clock.now() - NOW,  # the post budget's pauses, on the fake clock
        "send_s": send_s,
        "build_s": build_s,
        "baseline_mb": baseline,
        "peak_mb": _rss_mb(),
    }


def _run_child(kind: str, where: str) -> dict[str, Any]:
    env = {
        **os.environ,
        **DUMMY_AWS,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.daily_report", "--child", kind, where, DAY.isoformat()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the report process failed:\n{out.stderr}")
    return json.loads(out.stdout)


def _forget_sends(path: Path) -> None:
    """Drop the report's progress and the channel's post budget, so that every run sends
    the report for the first time, from a full budget."""
    from adapters.sqlite import SqliteDatabase

    db = SqliteDatabase(path)
    try:
        db.execute("DELETE FROM states")
    finally:
        db.close()


@dataclass(frozen=True)
class Measured:
    """One store and day size: how it was seeded and what each report process measured."""

    seeded: dict[str, int]
    seed_s: float
    runs: list[dict[str, Any]]

    @property
    def first(self) -> dict[str, Any]:
        return self.runs[0]

    def median(self, figure: str) -> float:
        return statistics.median(r[figure] for r in self.runs)

    def peak(self, figure: str) -> float:
        return max(r[figure] for r in self.runs)


def measure_sqlite(seed_file: Callable[[Path], dict[str, int]]) -> Measured:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.sqlite3"
        t = time.perf_counter()
        seeded = seed_file(path)
        seed_s = time.perf_counter() - t
        runs = []
        for _ in range(RUNS):
            _forget_sends(path)
            runs.append(_run_child("sqlite", str(path)))
    return Measured(seeded, seed_s, runs)


def measure_dynamodb() -> Measured:
    from tests.contract.dynamodb_local import DynamoDBLocal

    with DynamoDBLocal() as local, environment(DUMMY_AWS):
        t = time.perf_counter()
        seeded = seed_dynamodb(local.endpoint, DYNAMO_EVENTS)
        seed_s = time.perf_counter() - t
        runs = [_run_child("dynamodb", local.endpoint) for _ in range(DYNAMO_RUNS)]
    return Measured(seeded, seed_s, runs)


def _verdict(ok: bool) -> str:
    return "meets" if ok else "misses"


def _rows(name: str, m: Measured, goal_s: float | None, goal_mb: float | None) -> str:
    """The table rows of one store and day size: send, build alone, peak RSS, baseline."""
    send_s, peak = m.median("send_s"), m.peak("peak_mb")
    time_goal = "" if goal_s is None else f"≤ {goal_s:.0f} s"
    rss_goal = "" if goal_mb is None else f"≤ {goal_mb:.0f} MB"
    return (
        f"| {name}: send (build and post) | {time_goal} | {send_s:.2f} s | "
        f"{'' if goal_s is None else _verdict(send_s <= goal_s)} |\n"
        f"| {name}: `build_report` alone | | {m.median('build_s'):.2f} s | |\n"
        f"| {name}: peak RSS of the process | {rss_goal} | {peak:.0f} MB | "
        f"{'' if goal_mb is None else _verdict(peak <= goal_mb)} |\n"
        f"| {name}: … of which before the report (interpreter, imports, open store) | | "
        f"{m.peak('baseline_mb'):.0f} MB | |\n"
    )


def run() -> str:
    day = measure_sqlite(seed)
    big = measure_sqlite(lambda path: seed_stamped(path, BIG_EVENTS))
    dynamo = measure_dynamodb()
    first = day.first
    assert first["events"] == EVENTS, first
    assert big.first["events"] == BIG_EVENTS, big.first
    assert dynamo.first["events"] == DYNAMO_EVENTS, dynamo.first
    return (
        "## Daily report at volume\n\n"
        f"Goals: the report of a day of {EVENTS:,} events in ≤ {GOAL_S:.0f} s and ≤ "
        f"{GOAL_MB:.0f} MB RSS on SQLite; of {BIG_EVENTS:,} events in ≤ {BIG_GOAL_S:.0f} s. "
        "The store counts the day's events in groups (`EventStore.tally`: SQL GROUP BY on "
        "SQLite; on DynamoDB a query of the summary attributes alone, folded by the "
        "adapter), and the report folds the groups. "
        f"{EVENTS:,} events published within one UTC day (busier in working hours), over "
        f"{len(ACCOUNTS)} accounts, are ingested through the ingest use case in bodies of "
        f"{BATCH}: half of them CloudWatch alarm changes ({ALARMS} alarms, a few much "
        "noisier than the rest), then ECS task, CloudFormation stack and resource, "
        f"GuardDuty and Health events; with them {day.seeded['alert_records']} alert "
        "records (opened, acknowledged and resolved that day, some left open from earlier "
        f"days, some notifications) and {SILENCES} silences, one of them over (seeding took "
        f"{day.seed_s:.0f} s, not counted). The {BIG_EVENTS:,} events on SQLite and the "
        f"{DYNAMO_EVENTS:,} on DynamoDB Local are stamped from {TEMPLATES:,} events of the "
        "same mix read as ingest reads them (interpreted and summarised), each copy with an "
        "id and a time of its own, and stored by the event store's bulk insert "
        f"(`create_many`, {STAMP_BATCH:,} a transaction; seeding took {big.seed_s:.0f} s) "
        "or, on DynamoDB Local, as the store writes them but in parallel batch writes "
        f"({DYNAMO_THREADS} threads of BatchWriteItem; seeding took {dynamo.seed_s:.0f} s), "
        "with their alert records and silences. Then a fresh process "
        "(`python -m benchmarks.daily_report --child`, so that its peak RSS is the report's "
        "alone) opens the store and sends the report end to end through `ReportSender`: "
        "its progress and the post budget in the store, every message rendered through the "
        "Block Kit view and serialised as chat.postMessage's body; the budget's pauses "
        "advance a fake clock instead of sleeping. It then builds the report once more, "
        f"alone. Median time and highest peak of {RUNS} processes on SQLite, "
        f"{DYNAMO_RUNS} on DynamoDB Local; `make bench`.\n\n"
        f"The report of {EVENTS:,} events: {first['alerts']:,} distinct alerts, a "
        f"summary and {first['replies']} thread replies ({first['bytes'] / 1024:,.0f} KiB "
        f"of Block Kit, at most {first['max_blocks']} blocks a message); "
        f"{first['opened']} alerts opened that day, {first['resolved']} resolved, "
        f"{first['still_open']} still open, {first['silences']} active silences. At Slack's "
        f"pace the {first['posted']} posts also wait {first['waited_s']:.0f} s for the "
        "channel's budget, which is not counted below. The report of "
        f"{BIG_EVENTS:,} events lists {big.first['alerts']:,} distinct alerts in "
        f"{big.first['replies']} replies.\n\n"
        "| what | goal | measured | |\n|---|---|---|---|\n"
        + _rows(f"{EVENTS:,} events, SQLite", day, GOAL_S, GOAL_MB)
        + _rows(f"{BIG_EVENTS:,} events, SQLite", big, BIG_GOAL_S, None)
        + _rows(f"{DYNAMO_EVENTS:,} events, DynamoDB Local", dynamo, None, None)
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        kind, where, day_text = sys.argv[2:5]
        figures = child(kind, where, day_text, profile="--profile" in sys.argv[5:])
        print(json.dumps(figures))
    else:
        print(run())
