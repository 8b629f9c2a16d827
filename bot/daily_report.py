"""The daily report: one UTC day's events and alerts, summed up in a Slack thread.

The summary goes to SLACK_REPORT_CHANNEL as one message; the details follow as replies in
its thread, one per source (more when a source lists many alerts). The store counts the
day's events in groups of alike events (`EventStore.tally`, bot/event_tally.py) rather than
handing over every event, and the groups are folded into counters, so time and memory grow
with the day's distinct alerts, not its events: only one record per distinct alert is
kept, and at most MAX_TRACKED of them.

A report is sent once per day. Its progress (the summary's ts, the replies sent) is kept
as a `State` in the store, so that a second run posts nothing, a run that died halfway
goes on where it stopped, and two instances never both post it. `force` starts over.

The bot's first start is recorded too (`record_first_start`): a day that ended before it,
with nothing to report, gets no report, so that a bot started for the first time does not
post an empty report of a day it never watched.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from bot.budget import POST, post_key, spend
from bot.errors import ChatUnavailableError, StaleVersionError, ValidationError
from bot.event_tally import EventGroup, EventKey, EventSummary, EventTally, event_key, hour_of
from bot.models import (
    Alert,
    AlertStatus,
    CountItem,
    DailyReport,
    Event,
    MessageRef,
    ReportAlert,
    ReportPart,
    Severity,
    State,
)
from bot.optimistic import update_state
from bot.ports import AlertStore, Chat, Clock, EventStore, SilenceStore, StateStore
from bot.sources import Context, interpret

log = logging.getLogger(__name__)

DAY_S = 86400
NOISIEST = 5
PART_ALERTS = 40  # alerts per thread reply; blocks/ keeps each reply within Slack's limits
MAX_TRACKED = 20_000  # distinct alerts listed; past it, events are counted, not listed
BREAKDOWN = 10  # rows of each "by" count kept on the summary
SILENCES_SHOWN = 10
EXPIRING_S = DAY_S
# A run's claim is a lease, renewed by each progress write (at least one per post, and a
# post waits at most about a minute for the budget and Slack's retries): one not renewed
# for 2 minutes is taken to have died, in time for Lambda's own retries to go on with it.
CLAIM_S = 120
SEND_ATTEMPTS = 4
RETRY_S = 5.0  # after Slack was unavailable and named no Retry-After
FIRST_START_KEY = "bot:first-start"

Pause = Callable[[float], None]


# --- days --------------------------------------------------------------------------------


def previous_day(now: float) -> date:
    """The UTC day before the one `now` falls in: the day a scheduled report covers."""
    return datetime.fromtimestamp(now, tz=UTC).date() - timedelta(days=1)


def parse_day(text: str, now: float) -> date:
    """A YYYY-MM-DD day that is over (UTC); ValidationError otherwise."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a day; write it as YYYY-MM-DD") from None
    if day > previous_day(now):
        raise ValidationError(f"{day} is not over yet (UTC); the latest day to report is "
                              f"{previous_day(now)}")  # fmt: skip
    return day


def day_bounds(day: date) -> tuple[int, int]:
    """The day's first and last second, inclusive, as `published_at` values."""
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    return start, start + DAY_S - 1


# --- aggregation -------------------------------------------------------------------------


@dataclass
class _Latest:
    """The keys of the events a listed alert's state and title came from: the latest."""

    state_at: EventKey
    title_at: EventKey | None  # None while every title was empty


@dataclass
class _Tally:
    """The running counts of one day's events, folded from the store's groups in the order
    of their first events, which is the order a pass over the events would meet them in."""

    start: int
    ctx: Context
    events: int = 0
    untracked: int = 0
    sources: Counter[str] = field(default_factory=Counter)
    accounts: Counter[str] = field(default_factory=Counter)
    severities: Counter[Severity] = field(default_factory=Counter)
    hourly: list[int] = field(default_factory=lambda: [0] * 24)
    tracked: dict[str, ReportAlert] = field(default_factory=dict)
    latest: dict[str, _Latest] = field(default_factory=dict)

    def add_hours(self, hours: Mapping[int, int]) -> None:
        for hour, count in hours.items():
            self.hourly[min(max((hour - self.start) // 3600, 0), 23)] += count

    def add_event(self, event: Event) -> None:
        """An event stored without a summary to group by, interpreted again."""
        self.add_hours({hour_of(event.published_at): 1})
        summary = EventSummary.of(event, _fingerprints(event, self.ctx))
        self.add(EventGroup(summary, 1, event_key(event), event_key(event)))

    def add(self, group: EventGroup) -> None:
        summary, count = group.summary, group.count
        self.events += count
        self.sources[summary.source] += count
        self.accounts[summary.account] += count
        self.severities[summary.severity] += count
        for fp in summary.fingerprints:
            self._track(fp, group)

    def _track(self, fp: str, group: EventGroup) -> None:
        summary = group.summary
        alert = self.tracked.get(fp)
        if alert is None:
            if len(self.tracked) >= MAX_TRACKED:
                self.untracked += group.count
                return
            alert = self.tracked[fp] = ReportAlert(
                fingerprint=fp,
                title=summary.title,
                source=summary.source,
                account=self.ctx.account_label(summary.account),
                state=summary.state,
            )
            self.latest[fp] = _Latest(state_at=group.last, title_at=None)
        latest = self.latest[fp]
        alert.count += group.count
        if summary.title and (latest.title_at is None or group.last > latest.title_at):
            alert.title, latest.title_at = summary.title, group.last
        if group.last > latest.state_at:
            alert.state, latest.state_at = summary.state, group.last
        if summary.severity.rank > alert.severity.rank:
            alert.severity = summary.severity

    def add_tally(self, tally: EventTally) -> None:
        self.add_hours(tally.hours)
        for item in tally.groups:
            if isinstance(item, Event):
                self.add_event(item)
            else:
                self.add(item)


def _fingerprints(event: Event, ctx: Context) -> list[str]:
    """The event's alert fingerprints, stored at ingest; events stored before that was
    kept are interpreted again."""
    return event.fingerprints or [s.fingerprint for s in interpret(event, ctx)]


def _counts(counter: Counter[str], label: Callable[[str], str] = str) -> list[CountItem]:
    return [CountItem(label=label(k), count=v) for k, v in counter.most_common(BREAKDOWN)]


@dataclass
class _AlertTally:
    """What the alert records say of the day: opened, acknowledged, resolved."""

    start: int
    end: int
    opened: int = 0
    acked: int = 0
    ack_s: int = 0
    resolved: int = 0
    resolve_s: int = 0

    def add(self, alert: Alert) -> None:
        opened_at = alert.opened_at or alert.first_seen
        if self.start <= alert.first_seen <= self.end or self.start <= opened_at <= self.end:
            self.opened += 1
            if alert.acked_at is not None:
                self.acked += 1
                self.ack_s += max(alert.acked_at - opened_at, 0)
        if alert.resolved_at is not None and self.start <= alert.resolved_at <= self.end:
            self.resolved += 1
            self.resolve_s += max(alert.resolved_at - opened_at, 0)


def _alerts_only(alerts: Iterable[Alert]) -> Iterator[Alert]:
    return (a for a in alerts if a.kind == "alert")


def build_report(
    events: EventStore,
    alerts: AlertStore,
    silences: SilenceStore,
    day: date,
    now: int,
    ctx: Context | None = None,
) -> tuple[DailyReport, list[ReportPart]]:
    """The day's summary and its thread replies, from the store's tally of its events and
    one pass over the alerts seen since the day began."""
    ctx = ctx or Context()
    start, end = day_bounds(day)
    tally = _Tally(start=start, ctx=ctx)
    tally.add_tally(events.tally(start, end, now))

    alert_tally = _AlertTally(start=start, end=end)
    latest: dict[str, Alert] = {}
    counted: set[str] = set()  # a store reading status by status may meet one alert twice
    for alert in _alerts_only(alerts.alerts_seen_since(start)):
        if alert.id in counted:
            continue
        counted.add(alert.id)
        alert_tally.add(alert)
        known = tally.tracked.get(alert.fingerprint)
        seen = latest.get(alert.fingerprint)
        if known is not None and (seen is None or (alert.first_seen, alert.id) > (
            seen.first_seen, seen.id)):  # fmt: skip
            latest[alert.fingerprint] = alert
            known.status = alert.status
    still_open = len(
        {
            a.id
            for status in (AlertStatus.OPEN, AlertStatus.ACKED)
            for a in _alerts_only(alerts.alerts_seen_since(0, status))
        }
    )
    held = silences.list_silences(now)
    parts = _parts(day.isoformat(), tally)
    report = DailyReport(
        day=day.isoformat(),
        start=start,
        end=end,
        events=tally.events,
        alerts=len(tally.tracked),
        by_source=_counts(tally.sources),
        by_account=_counts(tally.accounts, ctx.account_label),
        by_severity=[
            CountItem(label=s.value, count=tally.severities[s])
            for s in sorted(tally.severities, key=lambda s: -s.rank)
        ],
        hourly=tally.hourly,
        opened=alert_tally.opened,
        resolved=alert_tally.resolved,
        still_open=still_open,
        acked=alert_tally.acked,
        mtta=alert_tally.ack_s // alert_tally.acked if alert_tally.acked else None,
        mttr=alert_tally.resolve_s // alert_tally.resolved if alert_tally.resolved else None,
        noisiest=heapq.nlargest(
            NOISIEST, tally.tracked.values(), key=lambda a: (a.count, a.severity.rank)
        ),
        silences=held[:SILENCES_SHOWN],
        silences_total=len(held),
        expiring=sum(s.expires_at <= now + EXPIRING_S for s in held),
        untracked=tally.untracked,
        parts=len(parts),
    )
    return report, parts


def _parts(day: str, tally: _Tally) -> list[ReportPart]:
    """One reply per source, busiest source first; a source with more than PART_ALERTS
    alerts gets one reply per PART_ALERTS, worst and noisiest alerts first."""
    by_source: dict[str, list[ReportAlert]] = {}
    for alert in tally.tracked.values():
        by_source.setdefault(alert.source, []).append(alert)
    parts: list[ReportPart] = []
    for source, events in tally.sources.most_common():
        listed = sorted(
            by_source.get(source, []), key=lambda a: (-a.severity.rank, -a.count, a.title)
        )
        chunks = [listed[i : i + PART_ALERTS] for i in range(0, len(listed), PART_ALERTS)]
        for n, chunk in enumerate(chunks or [[]], start=1):
            parts.append(
                ReportPart(
                    day=day,
                    source=source,
                    events=events,
                    alerts_total=len(listed),
                    alerts=chunk,
                    part=n,
                    parts=max(len(chunks), 1),
                )
            )
    return parts


# --- sending -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportOutcome:
    """What a run did: `posted` messages, or why it posted nothing."""

    day: str
    status: Literal["posted", "already_posted", "in_progress", "before_first_start"]
    posted: int = 0
    report: DailyReport | None = None


def report_key(day: date) -> str:
    return f"report:{day.isoformat()}"


def record_first_start(states: StateStore, now: float) -> int:
    """When the bot first started: `now` on the very first start, which records it; the
    recorded time on every later one."""

    def first(state: State) -> tuple[State, int]:
        if "at" in state.data:
            return state, int(state.data["at"])
        return state.model_copy(update={"data": {"at": int(now)}}), int(now)

    try:
        return update_state(states, FIRST_START_KEY, first, attempts=SEND_ATTEMPTS)[1]
    except StaleVersionError:  # too contended to record: this start counts as the first
        return int(now)


def first_start(states: StateStore) -> int | None:
    """The bot's recorded first start; None when no start was recorded (on AWS, where
    schedules run the report, none is)."""
    state = states.get_state(FIRST_START_KEY)
    return int(state.data["at"]) if state is not None and "at" in state.data else None


def is_empty(report: DailyReport) -> bool:
    """Nothing happened that day, and no alert was open."""
    return not (report.events or report.alerts or report.opened or report.resolved
                or report.still_open)  # fmt: skip


@dataclass
class ReportSender:
    """Posts a day's report once, through the channel's post budget."""

    events: EventStore
    alerts: AlertStore
    chat: Chat
    clock: Clock
    channel: str
    silences: SilenceStore
    states: StateStore  # the report's progress, and the channel's post budget
    ctx: Context = field(default_factory=Context)
    pause: Pause = time.sleep
    budgeted: bool = True  # False: the chat has no rate limit to pay for (the console)
    _latest: State | None = field(default=None, init=False)  # the last progress written

    def send(self, day: date, *, force: bool = False) -> ReportOutcome:
        now = int(self.clock.now())
        if not force and self._before_first_start(day, now):
            return ReportOutcome(day.isoformat(), "before_first_start")
        claimed = self._claim(day, now, force)
        if isinstance(claimed, ReportOutcome):
            return claimed
        state, posted = claimed, 0
        self._latest = claimed
        try:
            report, parts = build_report(
                self.events, self.alerts, self.silences, day, now, self.ctx
            )
            state, ref, fresh = self._summary(state, report)
            posted += fresh
            for index in range(int(state.data.get("sent", 0)), len(parts)):
                state, fresh = self._reply(state, ref, parts[index], index)
                posted += fresh
        except Exception:
            self._release(self._latest)
            raise
        self._write(state, {"done": True, "claimed_at": 0})
        log.info(
            "daily report for %s: %d events, %d replies, posted %d messages to %s",
            day,
            report.events,
            len(parts),
            posted,
            self.channel,
        )
        return ReportOutcome(day.isoformat(), "posted", posted, report)

    def _before_first_start(self, day: date, now: int) -> bool:
        """A day that ended before the bot first started, with nothing to report: a first
        start's catch-up must not post an empty report of a day the bot never watched."""
        started = first_start(self.states)
        if started is None or day_bounds(day)[1] >= started:
            return False
        report, _ = build_report(self.events, self.alerts, self.silences, day, now, self.ctx)
        if not is_empty(report):  # events ingested before the bot first served
            return False
        log.info(
            "no daily report for %s: the day ended before the bot first started (%s) "
            "and has nothing to report; --force posts it anyway",
            day,
            datetime.fromtimestamp(started, tz=UTC).isoformat(),
        )
        return True

    def _claim(self, day: date, now: int, force: bool) -> State | ReportOutcome:
        key = report_key(day)
        state = self.states.get_state(key) or State(key=key)
        data = state.data
        if not force:
            if data.get("done"):
                log.info("daily report for %s was already posted; --force posts it again", day)
                return ReportOutcome(day.isoformat(), "already_posted")
            if int(data.get("claimed_at", 0)) > now - CLAIM_S:
                log.info("daily report for %s is being posted by another run", day)
                return ReportOutcome(day.isoformat(), "in_progress")
            claim = {**data, "claimed_at": now, "run": int(data.get("run", 1))}
        else:
            claim = {"run": int(data.get("run", 0)) + 1, "claimed_at": now, "sent": 0}
        try:
            return self.states.put_state(state.model_copy(update={"data": claim}))
        except StaleVersionError:
            return ReportOutcome(day.isoformat(), "in_progress")

    def _write(self, state: State, changes: dict[str, object]) -> State:
        """Record progress. Only the claim's holder writes, so a conflict means another
        run took over (after CLAIM_S, or with force): this one stops."""
        data = {**state.data, "claimed_at": int(self.clock.now()), **changes}
        written = self.states.put_state(state.model_copy(update={"data": data}))
        self._latest = written
        return written

    def _release(self, state: State) -> None:
        """Give the claim up at once, so that a rerun need not wait for it to lapse."""
        try:
            self._write(state, {"claimed_at": 0})
        except Exception:  # the claim lapses after CLAIM_S anyway
            log.warning("could not release the claim on %s", state.key, exc_info=True)

    def _message_id(self, state: State, index: int | None = None) -> str:
        base = f"{state.key}:{state.data['run']}"
        return base if index is None else f"{base}:{index}"

    def _summary(self, state: State, report: DailyReport) -> tuple[State, MessageRef, int]:
        ts = state.data.get("ts")
        if ts:
            return state, MessageRef(channel=self.channel, ts=str(ts)), 0
        message_id = self._message_id(state)
        state, ref, fresh = self._once(
            state,
            "summary",
            lambda oldest: self.chat.find_alert_message(self.channel, message_id, oldest),
            lambda: self.chat.post_report(self.channel, report, message_id=message_id),
        )
        # The channel too: the Home tab links the last report.
        progress: dict[str, object] = {"ts": ref.ts, "channel": ref.channel, "sending": None}
        return self._write(state, progress), ref, int(fresh)

    def _reply(
        self, state: State, ref: MessageRef, part: ReportPart, index: int
    ) -> tuple[State, int]:
        message_id = self._message_id(state, index)
        state, _, fresh = self._once(
            state,
            index,
            lambda oldest: self.chat.find_alert_message(
                self.channel, message_id, oldest, thread_ts=ref.ts
            ),
            lambda: self.chat.post_report_part(ref, part, message_id=message_id),
        )
        return self._write(state, {"sent": index + 1, "sending": None}), int(fresh)

    def _once(
        self,
        state: State,
        marker: str | int,
        find: Callable[[int], MessageRef | None],
        post: Callable[[], MessageRef],
    ) -> tuple[State, MessageRef, bool]:
        """Post one message at most once. A post whose answer was lost (here, or in a run
        that died) is looked for by the id in its metadata before it is tried again."""
        maybe_posted = state.data.get("sending") == marker
        for attempt in range(1, SEND_ATTEMPTS + 1):
            if maybe_posted:
                found = find(int(state.data.get("oldest", 0)))
                if found is not None:
                    return state, found, False
            self._pay()
            if state.data.get("sending") != marker:  # marked only once paid for: a run that
                # takes over finds a mark only for a post that was made at once, or not at all
                oldest = int(self.clock.now()) - 60
                state = self._write(state, {"sending": marker, "oldest": oldest})
            try:
                return state, post(), True
            except ChatUnavailableError as err:
                if attempt == SEND_ATTEMPTS:
                    raise
                log.warning("report post failed (%s); trying again", err)
                maybe_posted = True
                self.pause(err.retry_after or RETRY_S)
        raise AssertionError("unreachable")

    def _pay(self) -> None:
        """Wait until the channel's post budget, shared with the alerts, can pay."""
        if not self.budgeted:
            return
        while (wait := spend(self.states, post_key(self.channel), POST, self.clock.now())) > 0:
            self.pause(wait)
