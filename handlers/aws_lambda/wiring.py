"""The Lambda composition root: logging, settings and services, built once per cold start."""

from __future__ import annotations

from functools import lru_cache

from bot.config import get_settings
from bot.services import Services
from handlers import logs


def setup_logging() -> None:
    """JSON log lines (powertools' format) for every logger: core, adapters and handlers."""
    settings = get_settings()
    logs.setup_logging(settings.log_level, settings.log_format)


@lru_cache(maxsize=1)
def services() -> Services:
    """Open the stores the settings name, with Slack's secrets read from SSM when their
    *_SSM_PARAM names them; reused by every warm invocation."""
    from adapters.factory import open_services
    from adapters.ssm import with_secrets

    return open_services(with_secrets(get_settings()))
