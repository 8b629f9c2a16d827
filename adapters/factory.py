"""Which store adapters the settings name. Called only by the composition roots."""

from __future__ import annotations

from bot.config import Settings
from bot.cursors import CursorCodec
from bot.ports import AgentTasks, Chat
from bot.routing import Routes
from bot.services import Services


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
