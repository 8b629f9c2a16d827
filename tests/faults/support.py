"""What every fault test shares: realistic events, a Slack client that waits on the
injected clock, the driver that feeds and flushes the service, and the audit that
compares the store with what the fake Slack shows.

The audit is the suite's one definition of "nothing lost, nothing doubled": an event is
lost when an id the bot acknowledged is not in the store; a root is doubled when one
alert shows more than one top-level message; a reply is doubled when the thread tells
more repeats (or more recoveries) than the alert record counts.
"""

from __future__ import annotations

import copy
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from adapters.slack import SlackChat
from bot.delivery import Delivery, flush
from bot.models import Alert, AlertStatus
from tests.corpus import load, transition
from tests.fakes import FakeClock
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack_e2e import CHANNEL
from tests.slack.test_storm_e2e import shown_count

Event = dict[str, Any]
FAR_FUTURE = 2**62  # list_pending(FAR_FUTURE) lists every pending record, due or not

# --- events ------------------------------------------------------------------------------


def _alarm(n: int, state: str = "ALARM") -> Event:
    event = transition(load("cloudwatch_alarm_state_change_single_metric.json"))
    event["detail"]["alarmName"] = f"FaultAlarm{n:02d}"
    event["detail"]["state"]["value"] = state
    return event


def _guardduty(n: int) -> Event:
    event = load("guardduty_finding_high_minimal.json")  # detail-only: a content id
    event["detail"]["id"] = f"fault-finding-{n:02d}"
    return event


def _ecs(n: int) -> Event:
    event = load("ecs_deployment_state_change_failed.json")
    event["resources"] = [f"arn:aws:ecs:us-west-2:111122223333:service/default/fault{n:02d}"]
    return event


def _pipeline(n: int) -> Event:
    event = load("codepipeline_pipeline_execution_failed.json")
    event["detail"]["pipeline"] = f"fault-pipeline-{n:02d}"
    event["resources"] = [f"arn:aws:codepipeline:us-west-2:123456789012:fault-pipeline-{n:02d}"]
    return event


# One firing alert per builder call, from four families of the corpus.
_FAMILIES: list[Callable[[int], Event]] = [_alarm, _guardduty, _ecs, _pipeline]


def _distinct(event: Event, tag: str) -> Event:
    """The same alert's event, but a delivery of its own: a new id (or new content, for
    the detail-only shape, whose id is a hash of its content)."""
    event = copy.deepcopy(event)
    if event.get("source") == "aws.cloudwatch":  # an alarm's repeat is a new transition
        event = transition(event)
    if "id" in event:
        event["id"] = tag
    else:
        event["detail"]["service"]["count"] = tag
    return event


def storm_of(
    alerts: int, repeats: int, *, prefix: str, resolve_alarms: bool = False
) -> list[Event]:
    """`alerts` firing alerts over four families, each delivered `repeats` times, interleaved
    round-robin as a burst brings them; with `resolve_alarms`, every alarm ends with OK."""
    bases = [_FAMILIES[a % len(_FAMILIES)](a) for a in range(alerts)]
    events = [
        _distinct(bases[a], f"{prefix}-{a:02d}-{r:03d}")
        for r in range(repeats)
        for a in range(alerts)
    ]
    if resolve_alarms:
        for a in range(0, alerts, len(_FAMILIES)):  # the alarms are every fourth alert
            events.append(_distinct(_alarm(a, "OK"), f"{prefix}-{a:02d}-ok"))
    return events


# --- Slack's retries on the injected clock -----------------------------------------------


class ClockRetryAfter(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, waiting out Retry-After on the injected clock (which the
    fake's rate limiter shares) instead of sleeping for real."""

    def __init__(self, clock: FakeClock, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.clock = clock
        self.waited: list[float] = []

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        value: Any = next(
            (v for k, v in response.headers.items() if k.lower() == "retry-after"), ["1"]
        )
        seconds = float(value[0] if isinstance(value, list) else value)
        self.waited.append(seconds)
        self.clock.advance(seconds)
        state.increment_current_attempt()


def fast_chat(url: str, clock: FakeClock, *, max_retries: int = 3) -> SlackChat:
    """The production SlackChat with its retry policy kept (429 for posts; 429, 5xx and
    connection errors for the rest), but its waits moved onto `clock`: Retry-After
    advances it, and 5xx/connection backoffs are zero."""
    chat = SlackChat("xoxb-test", url, timeout=5, max_retries=max_retries)
    rate = ClockRetryAfter(clock, max_retries)
    now = FixedValueRetryIntervalCalculator(fixed_internal=0.0)
    chat._post_client.retry_handlers = [rate]
    chat._client.retry_handlers = [
        rate,
        ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=now),
        ConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=now),
    ]
    return chat


# --- driving the service -----------------------------------------------------------------


def settle(delivery: Callable[[], Delivery], clock: FakeClock, *, rounds: int = 500) -> int:
    """The flush job until nothing is pending: the clock jumps to the next record due
    (a coalescing window, a backoff, a budget refill). Returns the rounds it took."""
    for done in range(rounds):
        d = delivery()
        pending = d.alerts.list_pending(FAR_FUTURE, 1000)
        if not pending:
            return done
        due = min(r.outbox.next_attempt_at for r in pending)
        clock.advance(max(1, due - clock.now()))
        flush(d)
    raise AssertionError(f"still pending after {rounds} flushes: {pending}")


# --- the audit ---------------------------------------------------------------------------

_REPEATS = re.compile(r":repeat: Fired (?:once more|(?P<n>[\d,]+) more times)")
_RESOLVED = ":white_check_mark: Resolved"


def told_repeats(text: str) -> int:
    """How many repeats a thread reply tells ("Fired once more", "Fired 16 more times")."""
    found = _REPEATS.search(text)
    if found is None:
        return 0
    return int(found.group("n").replace(",", "")) if found.group("n") else 1


def is_root(message: dict[str, Any]) -> bool:
    return message.get("thread_ts", message["ts"]) == message["ts"]


def alert_id_of(message: dict[str, Any]) -> str | None:
    return ((message.get("metadata") or {}).get("event_payload") or {}).get("alert_id")


@dataclass
class Audit:
    """The store against Slack, after the final flush."""

    events: int  # events acknowledged (202 ids)
    stored: int  # of those, found in the store
    alerts: int
    roots: int
    doubled_roots: int  # top-level messages beyond one per record
    missing_roots: int  # records with no top-level message
    doubled_replies: int  # repeats/recoveries told more than once
    untold: int  # repeats told by neither the first root nor the thread (the edits show them)
    wrong_ts: int  # records whose stored message ts is not their root's
    pending: int  # records still pending or in flight
    wrong_count: int  # roots whose "Seen N times" is not the record's count
    problems: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.events - self.stored

    @property
    def doubled(self) -> int:
        return self.doubled_roots + self.doubled_replies

    def line(self) -> str:
        return (
            f"{self.events} events, {self.alerts} alerts, {self.roots} roots, "
            f"{self.doubled} doubled, {self.lost} lost"
        )

    def assert_clean(self) -> None:
        assert self.problems == [], "\n".join(self.problems)


def audit(
    fake: FakeSlack,
    records: Iterable[Alert],
    accepted: Iterable[str],
    is_stored: Callable[[str], bool],
    channel: str = CHANNEL,
) -> Audit:
    """Compare what was acknowledged, stored and shown; every discrepancy is a problem."""
    accepted = list(dict.fromkeys(accepted))
    missing_events = [i for i in accepted if not is_stored(i)]
    messages = fake.messages(channel)
    roots = [m for m in messages if is_root(m)]
    roots_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for message in roots:
        roots_of[alert_id_of(message) or "?"].append(message)
    replies_of: dict[str, list[str]] = defaultdict(list)
    for message in messages:
        if not is_root(message):
            replies_of[message["thread_ts"]].append(message.get("text", ""))
    first_shown: dict[str, int] = {}
    for call in fake.calls("chat.postMessage"):  # the roots as first posted (applied)
        posted = call.dropped or call.response.get("ok")
        alert_id = alert_id_of(call.params)
        if posted and alert_id and not call.params.get("thread_ts"):
            first_shown.setdefault(alert_id, shown_count(call.params))
    problems = [f"event {i} was acknowledged but is not stored" for i in missing_events]
    records = [r for r in records if r.kind in ("alert", "notification")]
    doubled_roots = sum(max(0, len(v) - 1) for v in roots_of.values())
    missing = doubled_replies = untold = wrong_ts = pending = wrong_count = 0
    for record in records:
        shown = roots_of.get(record.id, [])
        if len(shown) != 1:
            problems.append(f"{record.kind} {record.id} has {len(shown)} root messages")
            missing += not shown
            continue
        (root,) = shown
        if record.message is None or record.message.ts != root["ts"]:
            wrong_ts += 1
            problems.append(f"{record.id} stores {record.message}, Slack shows ts {root['ts']}")
        if record.outbox.pending or record.outbox.in_flight:
            pending += 1
            problems.append(f"{record.id} is still pending={record.outbox.pending}")
        if record.kind != "alert":
            continue
        thread = replies_of.get(root["ts"], [])
        told = sum(told_repeats(t) for t in thread)
        resolved = sum(_RESOLVED in t for t in thread)
        # The root tells the events seen before it was posted; the thread tells the rest.
        # Told beyond the count is a doubled reply; short of it, the root's count shows them.
        first = first_shown.get(record.id, 1)
        over = max(0, first + told - record.count) + max(0, resolved - 1)
        doubled_replies += over
        untold += max(0, record.count - first - told)
        if over:
            problems.append(
                f"{record.id}: count {record.count}, root first showed {first}, "
                f"thread told {told} more"
            )
        if (record.status is AlertStatus.RESOLVED) != (resolved == 1):
            problems.append(f"{record.id}: {record.status}, thread told {resolved} recoveries")
        if shown_count(root) != record.count:
            wrong_count += 1
            problems.append(f"{record.id}: root shows {shown_count(root)}, count {record.count}")
    strays = [k for k in roots_of if k not in {r.id for r in records}]
    problems += [f"root for unknown record {k}" for k in strays]
    return Audit(
        events=len(accepted),
        stored=len(accepted) - len(missing_events),
        alerts=len(records),
        roots=len(roots),
        doubled_roots=doubled_roots,
        missing_roots=missing,
        doubled_replies=doubled_replies,
        untold=untold,
        wrong_ts=wrong_ts,
        pending=pending,
        wrong_count=wrong_count,
        problems=problems,
    )


def post_counts(fake: FakeSlack) -> Counter[str]:
    """chat.postMessage calls by outcome: ok, dropped (applied, answer lost), or status."""
    outcomes: Counter[str] = Counter()
    for call in fake.calls("chat.postMessage"):
        if call.dropped:
            outcomes["dropped"] += 1
        elif call.response.get("ok"):
            outcomes["ok"] += 1
        else:
            outcomes[str(call.status)] += 1
    return outcomes


def ingest_all(
    http: Any,
    delivery: Callable[[], Delivery],
    clock: FakeClock,
    events: list[Event],
    *,
    every: float = 1.0,
    flush_every: float = 5.0,
) -> list[str]:
    """POST each event to /ingest, `every` seconds apart on the clock, with the flush job
    every `flush_every` seconds; returns the ids the service acknowledged (202)."""
    accepted: list[str] = []
    since = 0.0
    for event in events:
        answer = http.post("/ingest", json=event)
        assert answer.status_code == 202, answer.text
        accepted += answer.json()["ids"]
        clock.advance(every)
        since += every
        if since >= flush_every:
            flush(delivery())
            since = 0.0
    return accepted


def in_store(events: Any, now: Callable[[], float]) -> Callable[[str], bool]:
    """`is_stored` for `audit`: one key lookup in the service's own event store."""
    from bot.errors import NotFoundError

    def stored(event_id: str) -> bool:
        try:
            events.get(event_id, int(now()))
        except NotFoundError:
            return False
        return True

    return stored


def throttle_put(events: Any, k: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The DynamoDB event store's k-th PutItem is throttled (once), as DynamoDB does;
    the calls so far, counted in the list."""
    model: Any = events._events
    original, calls = model.save, [0]

    def save(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == k:
            error = {"Code": "ProvisionedThroughputExceededException", "Message": "throttled"}
            raise PutError("Failed to put item", cause=ClientError({"Error": error}, "PutItem"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(model, "save", save)
    return calls
