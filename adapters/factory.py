"""Which adapters the settings name. Called only by the composition root
(handlers/bootstrap.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.cursors import CursorCodec
from bot.metrics import Metrics
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

if TYPE_CHECKING:
    from adapters.assumed_roles import MemberReads
    from bot.error_logs import ErrorLogSweep


def open_chat(settings: Settings, metrics: Metrics | None = None) -> Chat:
    """Slack when a bot token is set, else the console (a newcomer sees alerts at once);
    Slack's calls are counted into `metrics`."""
    templates = str(settings.templates_dir) if settings.templates_dir else None
    if settings.slack_bot_token:
        if not settings.slack_alerts_channel:
            raise ValueError("SLACK_ALERTS_CHANNEL must name a channel id when a token is set")
        from adapters.slack import SlackChat

        return SlackChat(
            settings.slack_bot_token,
            settings.slack_api_url,
            templates_dir=templates,
            metrics=metrics,
        )
    from adapters.console import ConsoleChat

    return ConsoleChat(templates_dir=templates)


def open_stores(settings: Settings) -> tuple[EventStore, AgentStore, DeliveryStore]:
    """The configured store (`STORE`: sqlite or dynamodb): events, agents, and the alert
    records with their silences and state.

    Imports the chosen adapter only, so a Lambda never loads what it does not use.
    """
    codec = CursorCodec(settings.cursor_secret)
    if settings.store == "sqlite":
        from adapters.sqlite import (
            SqliteAgentStore,
            SqliteAlertStore,
            SqliteDatabase,
            SqliteEventStore,
        )

        db = SqliteDatabase(settings.sqlite_path, timeout_s=settings.store_timeout)
        return SqliteEventStore(db, codec), SqliteAgentStore(db, codec), SqliteAlertStore(db)
    from adapters.dynamodb.stores import open_stores as open_dynamodb

    stores = open_dynamodb(settings, codec=codec)
    return stores.events, stores.agents, stores.alerts


class _Later:
    """An AWS client's adapter, built on its first use: a function that never uses it
    does not pay for the client (botocore, the service's model) on its cold start."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = lru_cache(maxsize=1)(build)

    def opened(self) -> Any:
        return self._build()


class _LaterNudges(_Later):
    def __init__(self, build: Callable[[], Any], delay_s: int) -> None:
        super().__init__(build)
        self.delay_s = delay_s

    def nudge(self, channel: str, now: float) -> bool:
        return bool(self.opened().nudge(channel, now))


class _LaterEnrichQueue(_Later):
    def enqueue(self, alert_id: str, not_before: int) -> bool:
        return bool(self.opened().enqueue(alert_id, not_before))


class _LaterHeartbeat(_Later):
    def beat(self) -> None:
        self.opened().beat()


class _LaterAgentTasks(_Later):
    def states(self) -> dict[str, str]:
        return dict(self.opened().states())


def open_nudges(settings: Settings) -> Nudges | None:
    """The FIFO send queue of SEND_QUEUE_URL (the ingest function's), when it is set."""
    queue_url = settings.send_queue_url
    if not queue_url:
        return None

    def build() -> Nudges:
        from adapters import aws_session
        from adapters.sqs import SqsNudges

        return SqsNudges(aws_session.client("sqs"), queue_url)

    from adapters.sqs import NUDGE_WINDOW_S

    return _LaterNudges(build, NUDGE_WINDOW_S)


def open_enrich_queue(settings: Settings, clock: Clock) -> EnrichQueue:
    """ENRICH_QUEUE_URL's SQS queue on AWS (the enrich function reads it); else the
    service's own queue, which its enrich job reads."""
    queue_url = settings.enrich_queue_url
    if not queue_url:
        from adapters.local_queue import LocalEnrichQueue

        return LocalEnrichQueue()

    def build() -> EnrichQueue:
        from adapters import aws_session
        from adapters.sqs import SqsEnrichQueue

        return SqsEnrichQueue(aws_session.client("sqs"), queue_url, clock)

    return _LaterEnrichQueue(build)


@dataclass(frozen=True)
class AlarmReads:
    """What the enrichments read an alarm through; None turns that kind off."""

    graphs: MetricGraphs | None
    logs: LogQuery | None
    log_sources: LogSources | None
    tags: AlarmTags | None
    readable: Callable[[str], bool]


class _LaterGraphs(_Later):
    def render(
        self, widget: dict[str, Any], region: str | None, *, account: str | None = None
    ) -> bytes:
        return bytes(self.opened().render(widget, region, account=account))


class _LaterLogQuery(_Later):
    def query(
        self, log_groups: list[str], query: str, start: int, end: int, **bounds: Any
    ) -> list[dict[str, str]]:
        return list(self.opened().query(log_groups, query, start, end, **bounds))


class _LaterLogSources(_Later):
    def metric_filter_groups(
        self, namespace: str, metric_name: str, region: str | None, *, account: str | None = None
    ) -> list[str]:
        return list(
            self.opened().metric_filter_groups(namespace, metric_name, region, account=account)
        )

    def ecs_service_groups(
        self, cluster: str, service: str, region: str | None, *, account: str | None = None
    ) -> list[str]:
        return list(self.opened().ecs_service_groups(cluster, service, region, account=account))


class _LaterAlarmTags(_Later):
    def tags(self, alarm_arn: str) -> dict[str, str]:
        return dict(self.opened().tags(alarm_arn))


def open_alarm_reads(settings: Settings) -> AlarmReads:
    """CloudWatch and Logs, read where each alarm lives, for the enrichments the settings
    leave on. Each client is made on its first use, never by an ingest's cold start;
    AWS_ENDPOINT_URL_CLOUDWATCH / _CLOUDWATCH_LOGS / _ECS point them elsewhere."""

    @lru_cache(maxsize=1)
    def member_reads() -> MemberReads:  # botocore's credentials: not for an ingest's start
        from adapters.assumed_roles import MemberReads

        return MemberReads(settings.enrich_read_role, settings.aws_region)

    def client_for(service: str, account: str | None, region: str | None) -> Any:
        return member_reads().client(service, account, region)

    def readable(account: str) -> bool:
        return member_reads().readable(account)

    def graphs() -> MetricGraphs:
        from adapters.cloudwatch_graph import CloudWatchGraphs

        return CloudWatchGraphs(client_for)

    def logs() -> LogQuery:
        from adapters.cloudwatch_logs import InsightsLogQuery

        return InsightsLogQuery(client_for=client_for, timeout=settings.enrich_log_timeout)

    def log_sources() -> LogSources:
        from adapters.log_sources import AwsLogSources

        return AwsLogSources(client_for)

    def tags() -> AlarmTags:
        from adapters.alarm_tags import CloudWatchAlarmTags

        return CloudWatchAlarmTags(client_for)

    return AlarmReads(
        graphs=_LaterGraphs(graphs) if settings.enrich_graph else None,
        logs=_LaterLogQuery(logs) if settings.enrich_logs else None,
        log_sources=_LaterLogSources(log_sources) if settings.enrich_logs else None,
        tags=_LaterAlarmTags(tags) if settings.enrich_runbook else None,
        readable=readable,
    )


def open_alarm_beat(settings: Settings) -> Heartbeat:
    """The CloudWatch metric (AwsMonitoringBot/Heartbeat) whose alarm pages people when
    the beats stop: the Lambda functions' dead man's switch."""

    def build() -> Heartbeat:
        from adapters import aws_session
        from adapters.heartbeat import CloudWatchHeartbeat

        client = aws_session.client("cloudwatch", settings.aws_region)
        return CloudWatchHeartbeat(client, table=settings.aws_dynamodb_table)

    return _LaterHeartbeat(build)


def open_heartbeat(settings: Settings) -> Heartbeat | None:
    """A GET to HEARTBEAT_URL when it is set."""
    if not settings.heartbeat_url:
        return None
    from adapters.heartbeat import UrlHeartbeat

    return UrlHeartbeat(settings.heartbeat_url)


def open_log_sweep(settings: Settings, *, always: bool = False) -> ErrorLogSweep | None:
    """Logs Insights and EventBridge for the hourly sweep, when LOG_GROUPS names groups
    (or `always`). AWS_ENDPOINT_URL_CLOUDWATCH_LOGS / _EVENTS point them elsewhere."""
    if not (settings.log_groups or always):
        return None
    from adapters import aws_session
    from adapters.cloudwatch_logs import InsightsLogQuery
    from adapters.eventbridge import EventBridgePublisher
    from bot.error_logs import ErrorLogSweep

    return ErrorLogSweep(
        logs=InsightsLogQuery(
            aws_session.client("logs", settings.aws_region),
            timeout=settings.log_query_timeout,
        ),
        publisher=EventBridgePublisher(aws_session.client("events", settings.aws_region)),
        bus=settings.event_bus_name,
        query=settings.query_string,
    )


def open_agent_tasks(settings: Settings) -> AgentTasks | None:
    """The agents' ECS tasks, when AGENT_ECS_CLUSTER and AGENT_ECS_FAMILY name them;
    the client is made on the health check's first run, not by every cold start."""
    cluster, family = settings.agent_ecs_cluster, settings.agent_ecs_family
    if not (cluster and family):
        return None

    def build() -> AgentTasks:
        from adapters import aws_session
        from adapters.ecs import EcsAgentTasks

        return EcsAgentTasks(aws_session.client("ecs", settings.aws_region), cluster, family)

    return _LaterAgentTasks(build)


def open_account_directory(settings: Settings) -> AccountDirectory:
    """AWS Organizations, through ORGANIZATIONS_ROLE_ARN when it is set (Organizations
    answers only in the management or a delegated administrator account). Opened by the
    accounts job, never by an ingest; AWS_ENDPOINT_URL_ORGANIZATIONS / _STS point it
    elsewhere."""
    from adapters import aws_session
    from adapters.assumed_roles import assumed_client
    from adapters.organizations import OrganizationsDirectory

    role = settings.organizations_role_arn
    if role:
        return OrganizationsDirectory(assumed_client("organizations", role, settings.aws_region))
    return OrganizationsDirectory(aws_session.client("organizations", settings.aws_region))


def open_routes(settings: Settings) -> Routes:
    """The routing rules of ROUTES_FILE, or the defaults; a bad file stops the start."""
    if settings.routes_file is None:
        return Routes()
    from adapters.routes_file import load_routes

    return load_routes(settings.routes_file)
