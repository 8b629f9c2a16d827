"""The Lambda functions' start: logging, and the services from the composition root,
built once per cold start, recording metrics that each handler writes out as it ends;
and the handler of a scheduled function, from the job table."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from bot.config import get_settings
from handlers import logs

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from adapters.emf import EmfMetrics
    from bot.services import Services

Handler = Callable[..., dict[str, Any]]  # a Lambda handler: (event, context) -> its answer
H = TypeVar("H", bound=Callable[..., Any])


def setup_logging() -> None:
    """JSON log lines (powertools' format) for every logger: core, adapters and handlers."""
    settings = get_settings()
    logs.setup_logging(settings.log_level, settings.log_format)


@lru_cache(maxsize=1)
def metrics() -> EmfMetrics:
    """The process's metrics, written as CloudWatch's embedded metric format at the end
    of each invocation; the table's name tells stages apart (as the heartbeat's does)."""
    from adapters.emf import EmfMetrics

    return EmfMetrics(dimensions={"Table": get_settings().aws_dynamodb_table})


@lru_cache(maxsize=1)
def services() -> Services:
    """The stores the settings name, with Slack's secrets read from SSM when their
    *_SSM_PARAM names them, and the heartbeat metric; reused by every warm invocation."""
    from adapters.factory import open_alarm_beat
    from adapters.ssm import with_secrets
    from handlers.bootstrap import bootstrap

    settings = with_secrets(get_settings())
    return bootstrap(settings, alarm=open_alarm_beat(settings), metrics=metrics())


def flushing_metrics(handler: H) -> H:
    """The handler, with what it recorded written out when it returns or raises."""

    @wraps(handler)
    def handle(event: Any = None, context: Any = None) -> Any:
        try:
            return handler(event, context)
        finally:
            metrics().flush()

    return cast(H, handle)


def scheduled(function: str) -> Handler:
    """The handler of a function that EventBridge invokes on a schedule (or people, by
    hand, with the job's input as the event): its job's run, answered, then the backlog
    and storm gauges if the job says so. The job table is imported here, so that the
    ingest function never loads it."""
    from handlers.jobs import of_function, run

    setup_logging()
    job = of_function(function)

    def handler(event: Any = None, context: Any = None) -> dict[str, Any]:
        ran = services()
        answer = run(job, ran, event if isinstance(event, dict) else {})
        if job.gauges:
            _measure_gauges(ran)
        return answer

    return flushing_metrics(handler)


def _measure_gauges(ran: Services) -> None:
    """The backlog and storm gauges; a store that cannot be read costs them, not the job
    (its failure is the heartbeat's alarm to report)."""
    from bot.gauges import measure_service_gauges

    try:
        measure_service_gauges(ran)
    except Exception:
        log.exception("measuring the backlog and storm gauges failed")
