"""The Lambda composition root: logging, settings and services, built once per cold start."""

from __future__ import annotations

import logging
from functools import lru_cache

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from bot.config import get_settings
from bot.services import Services

SERVICE_NAME = "aws-monitoring-bot"


def setup_logging() -> None:
    """JSON log lines (powertools' format) for every logger: core, adapters and handlers."""
    handler = logging.StreamHandler()
    handler.setFormatter(LambdaPowertoolsFormatter(service=SERVICE_NAME))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(get_settings().log_level.upper())


@lru_cache(maxsize=1)
def services() -> Services:
    """Open the stores the settings name, with Slack's secrets read from SSM when their
    *_SSM_PARAM names them; reused by every warm invocation."""
    from adapters.factory import open_services
    from adapters.ssm import with_secrets

    return open_services(with_secrets(get_settings()))
