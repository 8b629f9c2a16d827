"""Which store adapters the settings name. Called only by the composition roots."""

from __future__ import annotations

from bot.config import Settings
from bot.cursors import CursorCodec
from bot.services import Services


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
        return Services(
            settings=settings,
            events=SqliteEventStore(db, codec),
            agents=SqliteAgentStore(db, codec),
            alerts=SqliteAlertStore(db),
        )
    from adapters.dynamodb.stores import (
        DynamoAgentStore,
        DynamoAlertStore,
        DynamoEventStore,
        open_table,
    )

    table = open_table(settings)
    return Services(
        settings=settings,
        events=DynamoEventStore(table, codec),
        agents=DynamoAgentStore(table, codec),
        alerts=DynamoAlertStore(table),
    )
