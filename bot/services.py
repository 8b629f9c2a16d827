"""The ports a running bot is wired with, handed from the composition roots to the handlers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.agent_health import check_agents
from bot.agents import Heartbeats, record_deployment, stack_deployment
from bot.config import Settings
from bot.delivery import Delivery, notify
from bot.envelopes import decode_body
from bot.ingest import ingest
from bot.models import Event, IngestResult, Signal
from bot.ports import (
    AgentStore,
    AgentTasks,
    AlertStore,
    Chat,
    Clock,
    EventStore,
    Heartbeat,
    SystemClock,
)
from bot.routing import Routes
from bot.sources import Context

if TYPE_CHECKING:  # imported on use: the ingest Lambda's cold start does without them
    from bot.daily_report import ReportOutcome
    from bot.error_logs import ErrorLogSweep, SweepResult

log = logging.getLogger(__name__)

CONSOLE_CHANNEL = "console"
HEARTBEAT_KEY = "heartbeat"


def reading_context(settings: Settings) -> Context:
    """What reading events needs from the settings."""
    return Context(
        account_names=settings.account_names,
        ingest_function=settings.ingest_function,
        own_region=settings.aws_region,
    )


@dataclass
class Services:
    """Everything a use case may need, chosen once by app.py or handlers/aws_lambda."""

    settings: Settings
    events: EventStore
    agents: AgentStore
    alerts: AlertStore
    chat: Chat
    clock: Clock = field(default_factory=SystemClock)
    routes: Routes = field(default_factory=Routes)
    agent_tasks: AgentTasks | None = None
    log_sweep: ErrorLogSweep | None = None  # set when LOG_GROUPS names groups
    heartbeat: Heartbeat | None = None  # set when HEARTBEAT_URL is (or on AWS)
    pause: Callable[[float], None] = time.sleep  # waits on budgets; tests move a FakeClock
    heartbeats: Heartbeats = field(init=False)

    def __post_init__(self) -> None:
        self.heartbeats = Heartbeats(self.agents)

    @property
    def context(self) -> Context:
        return reading_context(self.settings)

    @property
    def delivery(self) -> Delivery:
        channel = self.settings.slack_alerts_channel or CONSOLE_CHANNEL
        return Delivery(
            alerts=self.alerts,
            chat=self.chat,
            clock=self.clock,
            channel=channel,
            reopen_window=self.settings.reopen_window,
            storm_threshold=self.settings.storm_threshold,
            routes=self.routes,
            budgeted=self.budgeted,
        )

    @property
    def budgeted(self) -> bool:
        """Whether the chat's calls are paid from Slack's rate budgets (the console's not)."""
        return bool(getattr(self.chat, "budgeted", True))

    @property
    def report_channel(self) -> str:
        """SLACK_REPORT_CHANNEL; the alerts channel when it is unset."""
        settings = self.settings
        return settings.slack_report_channel or settings.slack_alerts_channel or CONSOLE_CHANNEL

    def send_report(self, day: date | None = None, *, force: bool = False) -> ReportOutcome:
        """The daily report of `day` (by default the previous UTC day), posted once."""
        from bot.daily_report import ReportSender, previous_day

        sender = ReportSender(
            events=self.events,
            alerts=self.alerts,
            chat=self.chat,
            clock=self.clock,
            channel=self.report_channel,
            ctx=self.context,
            pause=self.pause,
            budgeted=self.budgeted,
        )
        return sender.send(day or previous_day(self.clock.now()), force=force)

    def beat(self, *first: Heartbeat) -> bool:
        """A heartbeat, once the store answers: a bot that cannot read its store is not
        alive in any way that matters. `first` beat before HEARTBEAT_URL (on AWS, the
        metric whose alarm pages people, which a third-party monitor being down must not
        stop). True when HEARTBEAT_URL was pinged."""
        self.alerts.get_state(HEARTBEAT_KEY)
        for heartbeat in first:
            heartbeat.beat()
        if self.heartbeat is None:
            return False
        self.heartbeat.beat()
        return True

    def sweep_logs(self) -> SweepResult | None:
        """The last full hour's error lines in LOG_GROUPS, published to EventBridge; None
        when no log groups are configured."""
        if self.log_sweep is None:
            return None
        from bot.error_logs import last_hour

        start, end = last_hour(self.clock.now())
        return self.log_sweep.run(self.settings.log_groups, start, end)

    def ingest(self, body: Any) -> IngestResult:
        """Store a decoded body's events once, then alert on them (once each)."""
        delivery = self.delivery
        return ingest(
            body,
            self.events,
            self.clock,
            ttl=self.settings.aws_dynamodb_ttl,
            ctx=self.context,
            on_new=lambda event, signals, again: self._on_new(event, signals, again, delivery),
        )

    def _on_new(self, event: Event, signals: list[Signal], again: bool, delivery: Delivery) -> None:
        """A newly stored event: a heartbeat or a deployment of its agent, if it is one;
        then its alerts. One sent `again` (its first attempt may have died before
        alerting) goes to its alerts only, which apply each event once: a stale copy
        must not set an agent's deployment back or mark a dead agent alive."""
        if again:
            notify(event, signals, delivery)
            return
        try:
            self.heartbeats.seen(event)
            stack = next((f.value for s in signals for f in s.fields if f.label == "Stack"), None)
            deployment = stack_deployment(event, stack, self.settings.agent_stack_pattern)
            if deployment is not None:
                record_deployment(self.agents, deployment, int(self.clock.now()))
        except Exception:  # the registry failing must not keep the alert from Slack
            log.exception("could not update the agent of account %s", event.account)
        notify(event, signals, delivery)

    def check_agents(self) -> int:
        """The agents' health check: stale or task-less agents open alerts; recovered
        ones resolve them. Returns how many agents' verdicts changed."""
        return check_agents(
            self.agents,
            self.alerts,
            int(self.clock.now()),
            self.settings.agent_stale_after,
            self.ingest,
            self.agent_tasks,
        )

    def ingest_raw(self, body: bytes | str) -> IngestResult:
        """`ingest` over a raw body; ValidationError when it is not JSON."""
        return self.ingest(decode_body(body))
