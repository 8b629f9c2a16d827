"""The update_deployment Lambda: a deployment payload {agent_id, region, status,
deployed_at}, invoked directly or as an EventBridge event's detail. It updates the agent
(or registers it) and posts the deployment, as POST /agents/{id}/deployments does."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from bot.agents import update_deployment
from bot.models import DeploymentDTO
from handlers.aws_lambda.wiring import flushing_metrics, services, setup_logging

setup_logging()
log = logging.getLogger(__name__)


@flushing_metrics
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    payload = event.get("detail", event) if isinstance(event, dict) else event
    try:
        dto = DeploymentDTO.model_validate(payload)
    except ValidationError as err:  # answered, not raised: a retry could never fix it
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        why = f"{where}: {str(first['msg']).removeprefix('Value error, ')}"
        log.warning("bad deployment payload: %s", why)
        return {"error": f"bad deployment payload: {why}"}
    svc = services()
    agent, created = update_deployment(svc.agents, dto, int(svc.clock.now()), svc.ingest)
    return {"agent": agent.model_dump(mode="json"), "created": created}
