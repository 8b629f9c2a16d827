"""The ingest use case as every entry point calls it: store a body's events once, record
what they say about the agents, then alert on them.

On AWS nothing runs between the flush function's minutes, so the ingest function also
moves other alerts' due Slack work on after a body (`receive`), and nudges the send
queue for each channel whose work is still due: at most once a second per process, so
that a burst pays for it once a second, not once per event (Slack takes about one post a
second per channel anyway).
"""

from __future__ import annotations

import logging
from typing import Any

from bot import metrics
from bot.agents import AgentNews
from bot.delivery import Delivery, EventWork, flush, intake, send_due
from bot.envelopes import decode_body
from bot.errors import UnprocessedError
from bot.ingest import ingest
from bot.log_context import about
from bot.metrics import Metrics, NoMetrics
from bot.models import Alert, Event, IngestResult, Signal
from bot.ports import Clock, EventStore, Nudges
from bot.sources import Context

log = logging.getLogger(__name__)

# Due Slack work `receive` does after its own events: enough to keep the queue moving
# without making the sender wait for a backlog.
FLUSH_ON_EVENT = 20
FLUSH_EVERY_S = 1.0  # at most this often per process
NUDGE_SCAN = 100  # pending records looked at for channels to nudge


class Intake:
    """Stores events once, tells the agents' registry, and alerts on each new one."""

    def __init__(
        self,
        events: EventStore,
        clock: Clock,
        delivery: Delivery,
        news: AgentNews,
        *,
        ttl: int,
        ctx: Context,
        nudges: Nudges | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.events = events
        self.clock = clock
        self.delivery = delivery
        self.news = news
        self.ttl = ttl
        self.ctx = ctx
        self.nudges = nudges
        self.metrics = metrics or NoMetrics()
        self._flushed_at = float("-inf")
        self._nudged: dict[str, int] = {}  # channel → the nudge window this process used

    def __call__(self, body: Any, *, max_events: int | None = None) -> IngestResult:
        """Store a decoded body's events once, then alert on them (once each); with
        `max_events`, TooManyEventsError for a body holding more (nothing stored).

        The events, the agents' news and the alert records they open are written
        together (`EventStore.together`: one commit on SQLite), and their Slack work is
        sent once that is done, so that Slack never hears of a record that was not kept.
        When a store fails an event's alerting (UnprocessedError), what the others did is
        kept and sent all the same, and the error is raised after: the sender's retry
        alerts on the rest. The events stored are counted by family as each is sent; the
        duplicates and rejections once the body is done."""
        taken: list[tuple[Event, EventWork, bool]] = []

        def take(event: Event, signals: list[Signal], again: bool) -> None:
            taken.append((event, self._take(event, signals, again), again))

        unfinished: UnprocessedError | None = None
        with self.events.together():
            try:
                result = ingest(
                    body,
                    self.events,
                    self.clock,
                    ttl=self.ttl,
                    ctx=self.ctx,
                    on_new=take,
                    max_events=max_events,
                )
            except UnprocessedError as err:
                unfinished = err
        for event, work, again in taken:
            if not again:
                self.metrics.inc(metrics.EVENTS_STORED, family=event.family)
            self._send(event, work)
        if unfinished is not None:
            raise unfinished
        if result.duplicates:
            self.metrics.inc(metrics.EVENTS_DUPLICATE, result.duplicates)
        if result.rejected_count:
            self.metrics.inc(metrics.EVENTS_REJECTED, result.rejected_count)
        return result

    def raw(self, body: bytes | str, *, max_events: int | None = None) -> IngestResult:
        """The same over a raw body; ValidationError when it is not JSON."""
        return self(decode_body(body), max_events=max_events)

    def receive(self, body: Any) -> IngestResult:
        """`self(body)`, then other alerts' due work and the nudges, unless this process
        did them within FLUSH_EVERY_S. Those failing is logged, not raised: the events
        are stored, and the flush function does the work."""
        result = self(body)
        now = self.clock.now()
        if now - self._flushed_at < FLUSH_EVERY_S:
            return result
        self._flushed_at = now
        try:
            flush(self.delivery, limit=FLUSH_ON_EVENT)
            self.nudge_channels()
        except Exception:
            log.exception("flush after ingest failed; the flush function will do it")
        return result

    def nudge_channels(self) -> int:
        """Nudge each channel whose Slack work is due now or before the nudge arrives (the
        queue delays it by `nudges.delay_s`). Returns how many channels were nudged."""
        if self.nudges is None:
            return 0
        now = self.clock.now()
        due = self.delivery.alerts.list_pending(int(now) + self.nudges.delay_s, limit=NUDGE_SCAN)
        channels = {record.channel or self.delivery.channel for record in due}
        return sum(self._nudge(channel) for channel in sorted(channels))

    def _take(self, event: Event, signals: list[Signal], again: bool) -> EventWork:
        """A newly stored event: its news for the agents, then its alert records. One
        sent `again` (its first attempt may have died before alerting) goes to its alerts
        only, which apply each event once: a stale copy must not set an agent's
        deployment back or mark a dead agent alive."""
        if not again:
            self.news.seen(event, signals)
        return intake(event, signals, self.delivery)

    def _send(self, event: Event, work: EventWork) -> None:
        """The Slack work the event's records made due now; failing costs this event's
        sends only, which stay pending for the flush."""
        with about(event_id=event.id):
            try:
                written = send_due(self.delivery, work)
            except Exception:
                log.exception("sending the alerts of event %s failed; the flush retries", event.id)
                return
        if self.nudges is not None:
            self._nudge_for(written)

    def _nudge_for(self, records: list[Alert]) -> None:
        """Nudge the channels of the records an event touched, so that the work it left
        due is not left for the flush function's minute (the last event of a burst)."""
        for channel in {record.channel or self.delivery.channel for record in records}:
            self._nudge(channel)

    def _nudge(self, channel: str) -> bool:
        """Nudge once per channel per nudge window in this process: the queue would drop
        the others anyway, and each costs a request."""
        assert self.nudges is not None
        now = self.clock.now()
        window = int(now) // max(self.nudges.delay_s, 1)
        if self._nudged.get(channel) == window:
            return True
        sent = self.nudges.nudge(channel, now)
        if sent:
            self._nudged[channel] = window
        return sent
