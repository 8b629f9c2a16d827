"""Which store adapters the settings name. Called only by the composition roots."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import Settings
from bot.cursors import CursorCodec
from bot.ports import AgentTasks, Chat, Heartbeat
from bot.routing import Routes
from bot.services import Services

if TYPE_CHECKING:
    from bot.error_logs import ErrorLogSweep


def open_chat(settings: Settings) -> Chat:
    """Slack when a bot token is set, else the console (a newcomer sees alerts at once)."""
    templates = str(settings.templates_dir) if settings.templates_dir else None
    if settings.slack_bot_token:
        if not settings.slack_alerts_channel:
            raise ValueError("SLACK_ALERTS_CHANNEL must name a channel id when a token is set")
        from adapters.slack import SlackChat

        return SlackChat(settings.slack_bot_token, settings.slack_api_url, templates_dir=templates)
    from adapters.console import ConsoleChat

    return ConsoleChat(templates_dir=templates)


def open_services(settings: Settings) -> Services:
    """Open the configured store (`STORE`: sqlite or dynamodb) and wire the services.

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

        db = SqliteDatabase(settings.sqlite_path)
        events, agents, alerts = (
            SqliteEventStore(db, codec),
            SqliteAgentStore(db, codec),
            SqliteAlertStore(db),
        )
    else:
        from adapters.dynamodb.stores import open_stores

        stores = open_stores(settings, codec=codec)
        events, agents, alerts = stores.events, stores.agents, stores.alerts
    return Services(
        settings=settings,
        events=events,
        agents=agents,
        alerts=alerts,
        chat=open_chat(settings),
        routes=open_routes(settings),
        agent_tasks=open_agent_tasks(settings),
        log_sweep=open_log_sweep(settings),
        heartbeat=open_heartbeat(settings),
    )


def open_heartbeat(settings: Settings) -> Heartbeat | None:
    """A GET to HEARTBEAT_URL when it is set."""
    if not settings.heartbeat_url:
        return None
    from adapters.heartbeat import UrlHeartbeat

    return UrlHeartbeat(settings.heartbeat_url)


def open_log_sweep(settings: Settings, *, always: bool = False) -> ErrorLogSweep | None:
    """Logs Insights and EventBridge for the hourly sweep, when LOG_GROUPS names groups
    (or `always`). boto3's AWS_ENDPOINT_URL_LOGS / _EVENTS point them elsewhere."""
    if not (settings.log_groups or always):
        return None
    import boto3

    from adapters.cloudwatch_logs import InsightsLogQuery
    from adapters.eventbridge import EventBridgePublisher
    from bot.error_logs import ErrorLogSweep

    return ErrorLogSweep(
        logs=InsightsLogQuery(
            boto3.client("logs", region_name=settings.aws_region),
            timeout=settings.log_query_timeout,
        ),
        publisher=EventBridgePublisher(boto3.client("events", region_name=settings.aws_region)),
        bus=settings.event_bus_name,
        query=settings.query_string,
    )


def open_agent_tasks(settings: Settings) -> AgentTasks | None:
    """The agents' ECS tasks, when AGENT_ECS_CLUSTER and AGENT_ECS_FAMILY name them."""
    if not (settings.agent_ecs_cluster and settings.agent_ecs_family):
        return None
    import boto3

    from adapters.ecs import EcsAgentTasks

    client = boto3.client("ecs", region_name=settings.aws_region)
    return EcsAgentTasks(client, settings.agent_ecs_cluster, settings.agent_ecs_family)


def open_routes(settings: Settings) -> Routes:
    """The routing rules of ROUTES_FILE, or the defaults; a bad file stops the start."""
    if settings.routes_file is None:
        return Routes()
    from adapters.routes_file import load_routes

    return load_routes(settings.routes_file)
