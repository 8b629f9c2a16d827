"""The ports a running bot is wired with, handed from the composition roots to the handlers."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.agent_health import check_agents
from bot.agents import Heartbeats, record_deployment, stack_deployment
from bot.alerting import Delivery, notify
from bot.config import Settings
from bot.envelopes import decode_body
from bot.ingest import ingest
from bot.models import Event, IngestResult, Signal
from bot.ports import AgentStore, AgentTasks, AlertStore, Chat, Clock, EventStore, SystemClock
from bot.routing import Routes
from bot.sources import Context

log = logging.getLogger(__name__)

CONSOLE_CHANNEL = "console"


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
    heartbeats: Heartbeats = field(init=False)

    def __post_init__(self) -> None:
        self.heartbeats = Heartbeats(self.agents)

    @property
    def context(self) -> Context:
        return Context(account_names=self.settings.account_names)

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
        )

    def ingest(self, body: Any) -> IngestResult:
        """Store a decoded body's events once, then alert on the new ones."""
        delivery = self.delivery
        return ingest(
            body,
            self.events,
            self.clock,
            ttl=self.settings.aws_dynamodb_ttl,
            ctx=self.context,
            on_new=lambda event, signals: self._on_new(event, signals, delivery),
        )

    def _on_new(self, event: Event, signals: list[Signal], delivery: Delivery) -> None:
        """A newly stored event: a heartbeat or a deployment of its agent, if it is one;
        then its alerts."""
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
