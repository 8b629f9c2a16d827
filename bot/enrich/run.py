"""Enrich one posted alert: the changes before it on its root, then its graph and its
error lines in its thread. The enrich function (AWS) or the service's worker calls it
for each alert its queue hands over.

The kinds: the changes before it (from the bot's own store), its graph and error lines,
and the runbook its alarm's tags name when nothing else gave it one. Alarms of another
account are read only where `readable` says the bot may (a read role there).

Each kind runs at most once per alert per EVERY_S, claimed on the record first, so that
two workers, or a redelivered message, never post it twice. Each is optional and fails
alone: an API we may not call (AccessDeniedError) leaves the alert as posted, with one
warning per kind for the life of the process; anything else is logged and left. Slack
calls are paid from the channel's post budget like every other post.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from bot import budget, lifecycle, runbook, storm
from bot.delivery import Delivery, flush, members_of, save
from bot.enrich import error_lines, graph, log_groups
from bot.enrich.alarm import AlarmFacts, read_alarm
from bot.errors import (
    AccessDeniedError,
    ChatError,
    MonitoringException,
    NotFoundError,
)
from bot.models import Alert, Change, Event, LogFindings
from bot.ports import AlarmTags, EnrichQueue, EventStore, LogQuery, LogSources, MetricGraphs
from bot.sources import registry
from bot.timeutil import to_iso

log = logging.getLogger(__name__)

EVERY_S = 600  # at most one of each kind per alert per 10 minutes
LONGEST_PAUSE_S = 10.0  # a budget that would keep us waiting longer: that kind waits
REDRAW_LIMIT = 20  # due work the root's redraw moves on with it
GRAPH, LOGS, CHANGES, RUNBOOK = "graph", "logs", "changes", "runbook"
RUNBOOK_MAX_LENGTH = 3000  # a link button's url limit; the view checks its own again

ChangesOf = Callable[[Alert, int], list[Change]]


class BudgetSpentError(Exception):
    """The channel's post budget would keep this kind waiting too long: it is skipped."""


@dataclass
class Enriched:
    """What one call did: the kinds done, skipped (and why), and when to look again."""

    done: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    again_at: int | None = None


@dataclass
class Enricher:
    """The enrichments of a running bot; a port left None turns its kind off."""

    delivery: Delivery
    events: EventStore
    queue: EnrichQueue | None = None
    graphs: MetricGraphs | None = None
    logs: LogQuery | None = None
    log_sources: LogSources | None = None
    changes_of: ChangesOf | None = None
    tags: AlarmTags | None = None
    readable: Callable[[str], bool] = lambda account: True
    log_max_bytes: int = 1_000_000_000
    log_timeout_s: float = 20.0
    pause: Callable[[float], None] = lambda seconds: None
    warned: set[str] = field(default_factory=set)

    def __call__(self, alert_id: str) -> Enriched:
        result = Enriched()
        now = self.delivery.now()
        try:
            alert = self.delivery.alerts.get_alert(alert_id)
        except NotFoundError:
            result.skipped["alert"] = "not found (expired)"
            return result
        if alert.kind == "storm":
            self._storm(alert, now, result)
            return result
        why_not = self._why_not(alert, now, result)
        if why_not:
            result.skipped["alert"] = why_not
            return result
        event = self._event_of(alert, now)
        alarm = read_alarm(event) if event is not None else None
        wanted = self._kinds(alert, alarm, result)
        claimed = self._claim(alert, wanted, now)
        result.skipped.update({k: "ran within 10 minutes" for k in wanted if k not in claimed})
        if claimed:
            alert = self.delivery.alerts.get_alert(alert_id)  # as the claim left it
        for kind in claimed:
            self._attempt(kind, result, partial(self._run, kind, alert, alarm, now))
        return result

    # -----------------------------------------------------------------------------------

    def _storm(self, summary: Alert, now: int, result: Enriched) -> None:
        """A storm's summary gets the graph of its busiest alarm in its thread; nothing
        else (its members are not enriched one by one)."""
        members = members_of(self.delivery.alerts, summary) if summary.message else []
        alarms = [m for m in members if m.signal is not None and m.signal.family == registry.ALARM]
        if not alarms or self.graphs is None:
            result.skipped[GRAPH] = "no alarm to draw"
            return
        busiest = max(alarms, key=lambda m: (m.count, -m.first_seen))
        event = self._event_of(busiest, now)
        alarm = read_alarm(event) if event is not None else None
        if alarm is None:
            result.skipped[GRAPH] = "its busiest alarm watches no metric"
            return
        if not self.readable(alarm.account):
            result.skipped[GRAPH] = "its account has no read role"
            return
        if not self._claim(summary, [GRAPH], now):
            result.skipped[GRAPH] = "ran within 10 minutes"
            return
        self._attempt(GRAPH, result, lambda: self._graph(summary, alarm, now))

    def _attempt(self, kind: str, result: Enriched, run: Callable[[], bool]) -> None:
        """Run one kind: what it did, or why not, in `result`; it fails alone."""
        try:
            done = run()
        except AccessDeniedError as err:
            self._warn_once(kind, err)
            result.skipped[kind] = "not allowed"
            return
        except NotFoundError as err:  # the alarm, its log group or its function is gone
            log.info("%s enrichment found nothing: %s", kind, err)
            result.skipped[kind] = "nothing to show"
            return
        except BudgetSpentError:
            result.skipped[kind] = "the channel's post budget is spent"
            return
        except (MonitoringException, ChatError) as err:
            log.warning("%s enrichment failed: %s", kind, err)
            result.skipped[kind] = str(err)
            return
        if done:
            result.done.append(kind)
        else:
            result.skipped.setdefault(kind, "nothing to show")

    def _why_not(self, alert: Alert, now: int, result: Enriched) -> str:
        """Why this alert is not enriched now ("" when it is). A root posted while its
        channel may be gathering into a storm waits out the storm's first minute; one
        whose channel then went into storm mode is not enriched at all."""
        if alert.kind != "alert" or alert.message is None:
            return "not a posted alert"
        if alert.parent_id:
            return "folded into a storm"
        state = self.delivery.alerts.get_state(storm.state_key(alert.message.channel))
        if storm.active(state, now):
            return "its channel is in a storm"
        opened = alert.opened_at or alert.first_seen
        if storm.started_within(state, opened, opened + storm.WINDOW_S):
            return "its channel went into a storm within its first minute"
        posted = alert.outbox.edited_at or opened
        if storm.forming(state, now) and now < posted + storm.WINDOW_S:
            result.again_at = posted + storm.WINDOW_S
            if self.queue is not None:
                self.queue.enqueue(alert.id, result.again_at)
            return "its channel may be going into a storm"
        return ""

    def _event_of(self, alert: Alert, now: int) -> Event | None:
        event_id = alert.signal.event_id if alert.signal else ""
        if not event_id:
            return None
        try:
            return self.events.get(event_id, now)
        except NotFoundError:
            return None

    def _kinds(self, alert: Alert, alarm: AlarmFacts | None, result: Enriched) -> list[str]:
        """The kinds this alert may get: the changes always (the bot's own store); the
        AWS reads only for an alarm in an account the bot may read."""
        kinds = [CHANGES] if self.changes_of is not None else []
        if alarm is None:
            return kinds
        aws_kinds = [
            kind
            for kind, port in ((GRAPH, self.graphs), (LOGS, self.logs), (RUNBOOK, self.tags))
            if port is not None
        ]
        given = alert.signal is not None and runbook.runbook_url(
            alert.signal, alert, RUNBOOK_MAX_LENGTH
        )
        if RUNBOOK in aws_kinds and given:
            aws_kinds.remove(RUNBOOK)  # the route or the description gave one
        if aws_kinds and not self.readable(alarm.account):
            result.skipped.update(dict.fromkeys(aws_kinds, "its account has no read role"))
            return kinds
        return kinds + aws_kinds

    def _claim(self, alert: Alert, kinds: list[str], now: int) -> list[str]:
        """Mark the kinds not run within EVERY_S as run now, in one conditional write:
        the kinds this call may run."""
        claimed: list[str] = []

        def mark(record: Alert) -> Alert:
            ran = record.enrichment.ran_at
            claimed[:] = [k for k in kinds if now - ran.get(k, -EVERY_S) >= EVERY_S]
            if not claimed:
                return record
            marked = {**ran, **dict.fromkeys(claimed, now)}
            enrichment = record.enrichment.model_copy(update={"ran_at": marked})
            return record.model_copy(update={"enrichment": enrichment})

        save(self.delivery.alerts, alert, mark)
        return claimed

    def _run(self, kind: str, alert: Alert, alarm: AlarmFacts | None, now: int) -> bool:
        if kind == CHANGES:
            return self._changes(alert, now)
        assert alarm is not None and alert.message is not None
        if kind == GRAPH:
            return self._graph(alert, alarm, now)
        if kind == RUNBOOK:
            return self._runbook(alert, alarm, now)
        return self._logs(alert, alarm, now)

    def _changes(self, alert: Alert, now: int) -> bool:
        """The changes before the alert, drawn on its root by its next edit."""
        assert self.changes_of is not None
        found = self.changes_of(alert, now)
        if not found:
            return False
        self._redraw(alert, now, changes=found)
        return True

    def _runbook(self, alert: Alert, alarm: AlarmFacts, now: int) -> bool:
        """The runbook the alarm's tags name, as the root's Runbook button."""
        assert self.tags is not None
        url = (
            runbook.tagged_runbook(self.tags.tags(alarm.arn), RUNBOOK_MAX_LENGTH)
            if alarm.arn
            else None
        )
        if url is None:
            return False
        self._redraw(alert, now, runbook_url=url)
        return True

    def _redraw(self, alert: Alert, now: int, **found: object) -> None:
        """Keep what a kind found on the alert, and redraw its root by its next edit."""

        def show(record: Alert) -> Alert:
            enrichment = record.enrichment.model_copy(update=found)
            shown = record.model_copy(update={"enrichment": enrichment}).with_outbox(dirty=True)
            return lifecycle.schedule(shown, now, self.delivery.coalesce)

        save(self.delivery.alerts, alert, show)
        flush(self.delivery, limit=REDRAW_LIMIT)

    def _graph(self, alert: Alert, alarm: AlarmFacts, now: int) -> bool:
        assert self.graphs is not None and alert.message is not None
        png = self.graphs.render(graph.widget(alarm, now), alarm.region, account=alarm.account)
        self._pay(alert, GRAPH)
        self.delivery.chat.upload_file(
            alert.message,
            f"{alarm.name or 'alarm'}.png",
            png,
            title=f"{alarm.name}: {alarm.state} at {to_iso(alarm.changed_at)}",
            alt_text=f"The metrics of alarm {alarm.name} around its change to {alarm.state}",
        )
        return True

    def _logs(self, alert: Alert, alarm: AlarmFacts, now: int) -> bool:
        assert self.logs is not None and alert.message is not None
        groups = alert.log_groups or log_groups.derive(alarm, self.log_sources)
        if not groups:
            return False
        start = alarm.changed_at - error_lines.BEFORE_S
        end = min(now, alarm.changed_at + error_lines.AFTER_S)
        rows = self.logs.query(
            groups,
            error_lines.QUERY,
            start,
            end,
            max_bytes=self.log_max_bytes,
            timeout_s=self.log_timeout_s,
            account=alarm.account,
            region=alarm.region,
        )
        lines = error_lines.group(rows)
        if not lines:
            return False
        findings = LogFindings(
            groups=groups,
            start=start,
            end=end,
            lines=lines,
            read=len(rows),
            capped=len(rows) >= error_lines.LINES_READ,
        )
        self._pay(alert, LOGS)
        self.delivery.chat.post_log_findings(
            alert.message, findings, message_id=f"{alert.id}:logs:{now // EVERY_S}"
        )
        return True

    def _pay(self, alert: Alert, kind: str) -> None:
        """Pay one post in the alert's channel; a budget that would keep us waiting more
        than LONGEST_PAUSE_S gives the kind up for this round (BudgetSpentError)."""
        if not self.delivery.budgeted:
            return
        assert alert.message is not None
        key = budget.post_key(alert.message.channel)
        for _ in range(2):  # at most one pause a kind: the enrich function's time is bounded
            wait = budget.spend(self.delivery.alerts, key, budget.POST, self.delivery.clock.now())
            if not wait:
                return
            if wait > LONGEST_PAUSE_S:
                break
            self.pause(wait)
        log.info("%s of alert %s skipped: the channel's post budget is spent", kind, alert.id)
        raise BudgetSpentError(kind)

    def _warn_once(self, kind: str, err: AccessDeniedError) -> None:
        if kind in self.warned:
            log.debug("%s not allowed: %s", kind, err)
            return
        self.warned.add(kind)
        log.warning("%s enrichment is not allowed, alerts go without it: %s", kind, err)
