"""What alert delivery runs with: its ports, where alerts go, and the lifecycle's windows."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot import routing, storm
from bot.delivery.work import Due, Outcome
from bot.lifecycle import COALESCE_S
from bot.metrics import Metrics, NoMetrics
from bot.models import EscalationStep
from bot.ports import Chat, Clock, DeliveryStore, EnrichQueue


@dataclass
class Delivery:
    """Built once per process. `unrecorded` holds the outcomes of Slack work whose write
    failed (the store was down): each run writes them first, so that no claim waits for
    its expiry in a process that lives on."""

    alerts: DeliveryStore
    chat: Chat
    clock: Clock
    channel: str
    reopen_window: int = 3600
    coalesce: int = COALESCE_S
    storm_threshold: int = 20
    routes: routing.Routes = field(default_factory=routing.Routes)
    mention: str | None = None  # the route's, for the records this delivery opens
    runbook: str | None = None  # the route's, likewise
    log_groups: tuple[str, ...] = ()  # the route's, likewise
    route_name: str | None = None  # the name of the route's rule, likewise (silences)
    oncall: str | None = None  # the route's rotation, likewise
    escalation: tuple[EscalationStep, ...] = ()  # the route's ladder, likewise
    budgeted: bool = True  # False: the chat has no rate limit to pay for (the console)
    unrecorded: list[tuple[Due, Outcome | None]] = field(default_factory=list)
    # Where an alert waits for its enrichment once its root is posted (None: it is not).
    enrich: EnrichQueue | None = None
    # Storm summaries this process has seen stored: a member joining one needs no read.
    summaries_seen: set[str] = field(default_factory=set)
    # Summaries seen marked for an edit, and when it is due: until then a member's change
    # needs no read of its summary.
    summaries_marked: dict[str, int] = field(default_factory=dict)
    # Places in storm summaries this process reserved, by channel (storm.admit).
    storm_places: dict[str, storm.Places] = field(default_factory=dict)
    # Where alerts opened and resolved are counted.
    metrics: Metrics = field(default_factory=NoMetrics)

    def now(self) -> int:
        return int(self.clock.now())

    def routed(self, route: routing.Route) -> Delivery:
        """The delivery for one route: its channel, mention, runbook, log groups and ladder. The
        list of unrecorded outcomes, and what it knows of storm summaries, stay shared."""
        return replace(
            self,
            channel=route.channel,
            mention=route.mention,
            runbook=route.runbook,
            log_groups=route.log_groups,
            route_name=route.name,
            oncall=route.oncall,
            escalation=route.escalation,
        )
