"""The ingest Lambda: EventBridge rules and the SNS topic invoke it with one event each.

Bad input is logged (by the use case, as a warning) and answered, not raised: a retry
could never fix it, and raising would send it round the retry and dead-letter path.
A store failure is raised, so that Lambda retries the delivery and, in the end,
dead-letters it: nothing is lost.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.alerting import flush
from handlers.aws_lambda.wiring import services, setup_logging

setup_logging()
log = logging.getLogger(__name__)


# Due Slack work this invocation does after its own event: on AWS no timer runs between
# the flush function's minutes, so each event also moves the queue on.
FLUSH_ON_EVENT = 20


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    svc = services()
    result = svc.ingest(event).model_dump()
    try:
        flush(svc.delivery, limit=FLUSH_ON_EVENT)
    except Exception:  # the event is stored and acknowledged; the flush function retries
        log.exception("flush after ingest failed; the flush function will do it")
    return result
