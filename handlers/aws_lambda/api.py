"""The api Lambda: the REST API (/events, and the agents' routes as they come) from the
same ASGI app the long-running service runs, through Mangum (API Gateway HTTP API)."""

from __future__ import annotations

from typing import Any

from mangum import Mangum

from handlers.aws_lambda.wiring import flushing_metrics, services, setup_logging
from handlers.http import create_app

setup_logging()
_asgi: Mangum | None = None


@flushing_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _asgi
    if _asgi is None:  # built on the first invocation, reused while warm
        _asgi = Mangum(create_app(services()), lifespan="off")
    return _asgi(event, context)
