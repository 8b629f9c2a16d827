"""The Lambda functions' start: logging, and the services from the composition root,
built once per cold start; and the handler of a scheduled function, from the job table."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.config import get_settings
from handlers import logs

if TYPE_CHECKING:
    from bot.services import Services


def setup_logging() -> None:
    """JSON log lines (powertools' format) for every logger: core, adapters and handlers."""
    settings = get_settings()
    logs.setup_logging(settings.log_level, settings.log_format)


@lru_cache(maxsize=1)
def services() -> Services:
    """The stores the settings name, with Slack's secrets read from SSM when their
    *_SSM_PARAM names them, and the heartbeat metric; reused by every warm invocation."""
    from adapters.factory import open_alarm_beat
    from adapters.ssm import with_secrets
    from handlers.bootstrap import bootstrap

    settings = with_secrets(get_settings())
    return bootstrap(settings, alarm=open_alarm_beat(settings))


def scheduled(function: str) -> Callable[..., dict[str, Any]]:
    """The handler of a function that EventBridge invokes on a schedule (or people, by
    hand, with the job's input as the event): its job's run, answered. The job table is
    imported here, so that the ingest function never loads it."""
    from handlers.jobs import of_function, run

    setup_logging()
    job = of_function(function)

    def handler(event: Any = None, context: Any = None) -> dict[str, Any]:
        return run(job, services(), event if isinstance(event, dict) else {})

    return handler
