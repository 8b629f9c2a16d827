"""The ports a running bot is wired with, handed from the composition roots to the handlers."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.ports import AgentStore, AlertStore, Clock, EventStore, SystemClock
from bot.sources import Context


@dataclass
class Services:
    """Everything a use case may need, chosen once by app.py or handlers/aws_lambda."""

    settings: Settings
    events: EventStore
    agents: AgentStore
    alerts: AlertStore
    clock: Clock = field(default_factory=SystemClock)

    @property
    def context(self) -> Context:
        return Context(account_names=self.settings.account_names)
