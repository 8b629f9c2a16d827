"""Start-up checks: a bot that cannot run says so in one line naming the setting to fix.

Someone starting the service at 3 a.m. needs "DATA_DIR=/srv/bot: cannot write the SQLite
database there", not a traceback. Every failure below is a StartupError, which the CLI
prints on one line and exits 2 with, before anything listens.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import ValidationError as SettingsError

from adapters.factory import open_routes, open_stores
from bot.config import Settings
from bot.ports import DeliveryStore
from bot.services import Services
from handlers.bootstrap import bootstrap

REASON_MAX = 300  # characters of a reason kept on the one line


class StartupError(ValueError):
    """What stops the bot from starting, worded for the person who configures it."""


def settings_error(err: SettingsError) -> StartupError:
    """pydantic's multi-line report as one line: each bad variable by its name."""
    parts = []
    for problem in err.errors(include_url=False):
        name = ".".join(str(p) for p in problem["loc"]).upper() or "SETTINGS"
        given = problem.get("input")
        shown = f" (got {given!r})" if isinstance(given, str | int | float) else ""
        parts.append(f"{name}: {_one_line(str(problem['msg']))}{shown}")
    return StartupError("; ".join(parts))


def store_setting(settings: Settings) -> str:
    """The settings that say where the store is, as someone would set them."""
    if settings.store == "sqlite":
        return f"DATA_DIR={settings.data_dir}"
    where = (
        f"AWS_ENDPOINT={settings.aws_endpoint}"
        if settings.aws_endpoint
        else f"AWS_REGION={settings.aws_region}"
    )
    return f"AWS_DYNAMODB_TABLE={settings.aws_dynamodb_table} ({where})"


def start_services(settings: Settings, **adapters: Any) -> Services:
    """The services of `settings`, with the store opened and answering and the routes
    file read; `adapters` go to bootstrap as they are (tests give fakes). The routes
    file is read first: a start it refuses writes nothing."""
    try:
        routes = open_routes(settings)
    except (OSError, ValueError) as err:
        reason = _reason(err).removeprefix(f"{settings.routes_file}: ")  # said once
        raise StartupError(f"ROUTES_FILE={settings.routes_file}: {reason}") from None
    try:
        events, agents, alerts = open_stores(settings)
    except Exception as err:  # whatever the store raises, the person must fix a setting
        where = settings.sqlite_path if settings.store == "sqlite" else "the table"
        raise StartupError(
            f"{store_setting(settings)}: cannot open {where}: {_reason(err)}"
        ) from None
    check_store(settings, alerts)
    return bootstrap(
        settings, events=events, agents=agents, alerts=alerts, routes=routes, **adapters
    )


def check_store(settings: Settings, alerts: DeliveryStore) -> None:
    """The write probe /healthz makes: an unreachable or missing table, or a database
    that cannot be written (a read-only DATA_DIR, a full disk), fails here rather than on
    the first event."""
    try:
        alerts.probe_write(time.time())
    except Exception as err:  # any failure means the store named by the settings is unusable
        hint = " (create it with `python app.py init-db`)" if _missing_table(err) else ""
        raise StartupError(
            f"{store_setting(settings)}: the store does not answer: {_reason(err)}{hint}"
        ) from None


def _missing_table(err: Exception) -> bool:
    text = str(err)
    return "ResourceNotFound" in text or "non-existent table" in text


def _reason(err: Exception) -> str:
    text = _one_line(str(err)) or type(err).__name__
    return text[:REASON_MAX]


def _one_line(text: str) -> str:
    return " ".join(text.split())
