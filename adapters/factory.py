"""Which store adapters the settings name. Called only by the composition roots."""

from __future__ import annotations

from bot.config import Settings
from bot.cursors import CursorCodec
from bot.services import Services


def open_services(settings: Settings) -> Services:
    """Open the configured store (`STORE`) and wire the services around it.

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
    raise NotImplementedError(f"STORE={settings.store} has no adapter yet; use STORE=sqlite")
