"""What the driving side (HTTP, Slack, Lambda, the scheduler, the CLI) is handed: the
ports and use cases of a running bot, each built once by the composition root
(handlers/bootstrap.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

from bot.config import Settings
from bot.metrics import Metrics, NoMetrics
from bot.models import IngestResult
from bot.models.home import OnCall
from bot.ports import AgentStore, Chat, Clock, DeliveryStore, EventStore
from bot.routing import Routes
from bot.sources import Context
from bot.sources.base import AccountLookup

if TYPE_CHECKING:  # built by the composition root, which imports them: not needed here
    from bot.daily_report import ReportOutcome
    from bot.delivery import Delivery
    from bot.enrich.run import Enricher
    from bot.error_logs import SweepResult
    from bot.intake import Intake

CONSOLE_CHANNEL = "console"


def reading_context(settings: Settings, accounts: AccountLookup | None = None) -> Context:
    """What reading events needs from the settings, and the organisation's accounts as
    cached (names ACCOUNT_NAMES leaves out, and tags)."""
    return Context(
        account_names=settings.account_names,
        ingest_function=settings.ingest_function,
        own_region=settings.aws_region,
        accounts=accounts,
    )


def alerts_channel(settings: Settings) -> str:
    """SLACK_ALERTS_CHANNEL; the console's when it is unset."""
    return settings.slack_alerts_channel or CONSOLE_CHANNEL


def report_channel(settings: Settings) -> str:
    """SLACK_REPORT_CHANNEL; the alerts channel when it is unset."""
    return settings.slack_report_channel or alerts_channel(settings)


class SendReport(Protocol):
    """`send_report(day=None, *, force=False)`: the daily report of `day` (by default
    the previous UTC day), posted once."""

    def __call__(self, day: date | None = None, *, force: bool = False) -> ReportOutcome: ...


class SweepLogs(Protocol):
    """`sweep_logs(log_groups=None)`: the last full hour's error lines of `log_groups`
    (by default LOG_GROUPS); None when there is nothing to sweep."""

    def __call__(self, log_groups: list[str] | None = None) -> SweepResult | None: ...


@dataclass(frozen=True)
class Services:
    """The ports and the use cases, wired once: nothing here is built on access."""

    settings: Settings
    events: EventStore
    agents: AgentStore
    alerts: DeliveryStore  # alert records, silences and delivery state
    chat: Chat
    clock: Clock
    routes: Routes
    delivery: Delivery
    ingest: Intake
    send_report: SendReport
    check_agents: Callable[[], int]  # the agents' health check; how many verdicts changed
    beat: Callable[[], dict[str, bool]]  # the dead man's switch; which heartbeats beat
    sweep_logs: SweepLogs
    enrich: Enricher  # one alert's enrichment, by id
    enrich_waiting: Callable[[], int]  # the service's own enrich queue; how many were due
    # The organisation's accounts read into the cache: how many; None when not read.
    refresh_accounts: Callable[[], int | None]
    # Who is on call, by rotation or route, for the Home tab; None: no rotations configured.
    on_call: OnCall | None = None
    metrics: Metrics = field(default_factory=NoMetrics)  # where the bot's own metrics go

    @property
    def context(self) -> Context:
        return self.ingest.ctx

    @property
    def report_channel(self) -> str:
        return report_channel(self.settings)

    def ingest_raw(self, body: bytes | str, max_events: int | None = None) -> IngestResult:
        """`ingest` over a raw body; ValidationError when it is not JSON, and
        TooManyEventsError when it holds over `max_events` events."""
        return self.ingest.raw(body, max_events=max_events)
