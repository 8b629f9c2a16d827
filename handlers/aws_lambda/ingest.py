"""The ingest Lambda: EventBridge rules and the SNS topic invoke it with one event each.

Bad input is logged (by the use case, as a warning) and answered, not raised: a retry
could never fix it, and raising would send it round the retry and dead-letter path.
A store failure is raised, so that Lambda retries the delivery and, in the end,
dead-letters it: nothing is lost.
"""

from __future__ import annotations

from typing import Any

from handlers.aws_lambda.wiring import services, setup_logging

setup_logging()


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    svc = services()
    return svc.ingest(event).model_dump()
