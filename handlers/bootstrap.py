"""The composition root: the adapters the settings name, opened once, and each use case
given only the ports it declares. The long-running service, the CLI and every Lambda
function start here; tests pass their own adapters in place of any of them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING

from adapters.clock import SystemClock
from adapters.factory import (
    open_account_directory,
    open_agent_tasks,
    open_alarm_reads,
    open_chat,
    open_enrich_queue,
    open_heartbeat,
    open_log_sweep,
    open_nudges,
    open_routes,
    open_stores,
)
from bot.accounts import AccountBook
from bot.agents import AgentNews
from bot.config import Settings
from bot.delivery import Delivery
from bot.enrich.run import Enricher
from bot.intake import Intake
from bot.metrics import Metrics, NoMetrics
from bot.models import Alert, Change
from bot.ports import (
    AccountDirectory,
    AgentStore,
    AgentTasks,
    AlarmTags,
    Chat,
    Clock,
    DeliveryStore,
    EnrichQueue,
    EventStore,
    Heartbeat,
    LogQuery,
    LogSources,
    MetricGraphs,
    Nudges,
)
from bot.routing import Routes
from bot.services import Services, alerts_channel, reading_context, report_channel

if TYPE_CHECKING:
    from bot.daily_report import ReportOutcome
    from bot.error_logs import ErrorLogSweep, SweepResult
    from bot.models.home import OnCall

log = logging.getLogger(__name__)


class Open(Enum):
    """An optional adapter not given: open it if the settings name one."""

    BY_SETTINGS = "by settings"


BY_SETTINGS = Open.BY_SETTINGS
ENRICH_BATCH = 20  # alerts the service enriches per run of its enrich job


def bootstrap(
    settings: Settings,
    *,
    events: EventStore | None = None,
    agents: AgentStore | None = None,
    alerts: DeliveryStore | None = None,
    chat: Chat | None = None,
    clock: Clock | None = None,
    routes: Routes | None = None,
    agent_tasks: AgentTasks | Open | None = BY_SETTINGS,
    log_sweep: ErrorLogSweep | Open | None = BY_SETTINGS,
    heartbeat: Heartbeat | Open | None = BY_SETTINGS,
    alarm: Heartbeat | None = None,
    nudges: Nudges | Open | None = BY_SETTINGS,
    enrich_queue: EnrichQueue | Open | None = BY_SETTINGS,
    graphs: MetricGraphs | Open | None = BY_SETTINGS,
    logs: LogQuery | Open | None = BY_SETTINGS,
    log_sources: LogSources | Open | None = BY_SETTINGS,
    alarm_tags: AlarmTags | Open | None = BY_SETTINGS,
    directory: AccountDirectory | Open | None = BY_SETTINGS,
    readable: Callable[[str], bool] | Open = BY_SETTINGS,
    pause: Callable[[float], None] = time.sleep,
    metrics: Metrics | None = None,
) -> Services:
    """The services of a running bot. Any adapter not given is the one the settings name
    (an optional one given as None is left out); `alarm` is the heartbeat that beats
    before HEARTBEAT_URL's (on AWS, the metric whose alarm pages people); `pause` waits
    on rate budgets (tests move a fake clock instead); `metrics` records the bot's own
    metrics (none when not given), with every store call timed."""
    if events is None or agents is None or alerts is None:
        opened = open_stores(settings)
        events, agents, alerts = events or opened[0], agents or opened[1], alerts or opened[2]
    if metrics is None:
        metrics = NoMetrics()
    else:
        events, agents, alerts = _timed_stores(events, agents, alerts, metrics)
    chat = chat if chat is not None else open_chat(settings, metrics)
    clock = clock if clock is not None else SystemClock()
    routes = routes if routes is not None else open_routes(settings)
    tasks = open_agent_tasks(settings) if agent_tasks is BY_SETTINGS else agent_tasks
    url = open_heartbeat(settings) if heartbeat is BY_SETTINGS else heartbeat
    nudge = open_nudges(settings) if nudges is BY_SETTINGS else nudges
    queue = open_enrich_queue(settings, clock) if enrich_queue is BY_SETTINGS else enrich_queue
    reads = open_alarm_reads(settings)  # builds nothing until an enrichment reads AWS
    # The console has no rate limit: nothing shown there waits on Slack's budgets.
    budgeted = bool(getattr(chat, "budgeted", True))

    delivery = Delivery(
        alerts=alerts,
        chat=chat,
        clock=clock,
        channel=alerts_channel(settings),
        reopen_window=settings.reopen_window,
        storm_threshold=settings.storm_threshold,
        routes=routes,
        budgeted=budgeted,
        enrich=queue,
        metrics=metrics,
    )
    intake = Intake(
        events,
        clock,
        delivery,
        AgentNews(agents, clock, settings.agent_stack_pattern),
        ttl=settings.aws_dynamodb_ttl,
        ctx=reading_context(settings, AccountBook(alerts, clock)),
        nudges=nudge,
        metrics=metrics,
    )
    store = alerts  # one name for the closures below, whose types mypy keeps narrowed

    def send_report(day: date | None = None, *, force: bool = False) -> ReportOutcome:
        from bot.daily_report import ReportSender, previous_day

        sender = ReportSender(  # one per send: it holds that send's progress
            events=events,
            alerts=store,
            chat=chat,
            clock=clock,
            channel=report_channel(settings),
            silences=store,
            states=store,
            ctx=intake.ctx,
            pause=pause,
            budgeted=budgeted,
        )
        return sender.send(day or previous_day(clock.now()), force=force)

    # The scheduled jobs' modules are imported on their first run, never by an ingest.
    def agents_check() -> int:
        from bot.agent_health import check_agents

        return check_agents(
            agents, store, int(clock.now()), settings.agent_stale_after, intake, tasks
        )

    def beat_now() -> dict[str, bool]:
        from bot.health import beat

        return beat(store, store, clock.now(), alarm, url)

    enricher = Enricher(
        delivery=delivery,
        events=events,
        queue=queue,
        # A kind's setting turns it off, whichever adapter was given.
        graphs=(reads.graphs if graphs is BY_SETTINGS else graphs)
        if settings.enrich_graph
        else None,
        logs=(reads.logs if logs is BY_SETTINGS else logs) if settings.enrich_logs else None,
        log_sources=reads.log_sources if log_sources is BY_SETTINGS else log_sources,
        tags=(reads.tags if alarm_tags is BY_SETTINGS else alarm_tags)
        if settings.enrich_runbook
        else None,
        readable=reads.readable if readable is BY_SETTINGS else readable,
        changes_of=_changes_of(events) if settings.enrich_changes else None,
        log_max_bytes=settings.enrich_log_max_bytes,
        log_timeout_s=settings.enrich_log_timeout,
        pause=pause,
    )

    def enrich_waiting() -> int:
        """The service's enrich queue: the alerts due now, enriched one by one."""
        take = getattr(queue, "take_due", None)
        if take is None:  # the enrich function reads the queue on AWS
            return 0
        waiting = take(int(clock.now()), ENRICH_BATCH)
        for alert_id in waiting:
            try:
                result = enricher(alert_id)
            except Exception:
                log.exception("enriching alert %s failed; it stays as posted", alert_id)
                continue
            log.info(
                "enriched alert %s: done %s, skipped %s", alert_id, result.done, result.skipped
            )
        return len(waiting)

    sweeps = _sweeps(settings, log_sweep)
    directory_of = _directory(settings, directory)

    def accounts_refresh() -> int | None:
        from bot.accounts import refresh_accounts

        found = directory_of()
        return None if found is None else refresh_accounts(found, store, clock.now())

    def sweep_logs(log_groups: list[str] | None = None) -> SweepResult | None:
        from bot.error_logs import sweep_last_hour

        groups = list(log_groups or settings.log_groups)
        return sweep_last_hour(sweeps() if groups else None, groups, clock.now())

    return Services(
        settings=settings,
        events=events,
        agents=agents,
        alerts=alerts,
        chat=chat,
        clock=clock,
        routes=routes,
        delivery=delivery,
        ingest=intake,
        send_report=send_report,
        check_agents=agents_check,
        beat=beat_now,
        sweep_logs=sweep_logs,
        enrich=enricher,
        enrich_waiting=enrich_waiting,
        refresh_accounts=accounts_refresh,
        on_call=_on_call_of(routes, alerts, clock, chat),
        metrics=metrics,
    )


def _timed_stores(
    events: EventStore, agents: AgentStore, alerts: DeliveryStore, metrics: Metrics
) -> tuple[EventStore, AgentStore, DeliveryStore]:
    """The stores with every call timed into the store-latency histogram."""
    from adapters.timed_store import timed

    return (
        timed(events, "events", metrics),
        timed(agents, "agents", metrics),
        timed(alerts, "alerts", metrics),
    )


def _on_call_of(routes: Routes, states: DeliveryStore, clock: Clock, chat: Chat) -> OnCall | None:
    """Who is on call for each rotation of the routes file, now, for the Home tab; None
    when the file has no rotations (the home then says how to set them up)."""
    if not routes.oncall:
        return None
    from bot.oncall import on_call_now

    return lambda: on_call_now(routes, states, int(clock.now()), chat.usergroup_members)


def _changes_of(events: EventStore) -> Callable[[Alert, int], list[Change]]:
    """The changes before an alert, from the events this bot stored."""
    from bot.changes import changes_before

    return lambda alert, now: changes_before(events, alert, now)


def _directory(
    settings: Settings, given: AccountDirectory | Open | None
) -> Callable[[], AccountDirectory | None]:
    """The organisation's directory, opened on the accounts job's first run."""
    if not isinstance(given, Open):
        return lambda: given
    return lru_cache(maxsize=1)(lambda: open_account_directory(settings))


def _sweeps(
    settings: Settings, given: ErrorLogSweep | Open | None
) -> Callable[[], ErrorLogSweep | None]:
    """The log sweep, opened on the first sweep (its AWS clients cost a cold start that
    sweeps nothing): for LOG_GROUPS, or for the groups a schedule's input names."""
    if not isinstance(given, Open):
        return lambda: given
    opened: list[ErrorLogSweep | None] = []

    def sweep() -> ErrorLogSweep | None:
        if not opened:
            opened.append(open_log_sweep(settings, always=True))
        return opened[0]

    return sweep
