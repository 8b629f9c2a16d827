"""The enrich Lambda: the enrich queue's consumer. Each message names an alert whose root
was just posted ({"alert_id": A}); its enrichment (the changes before it, its graph, its
error lines) is done here, away from the ingest's first post and the flush's minute.

An alert's enrichment is claimed on its record, kind by kind, so that a message delivered
twice posts nothing twice. A message whose alert could not be read is reported as a
failed item, so SQS delivers it again; one that is not an enrich request is dropped.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from handlers.aws_lambda.wiring import flushing_metrics, services, setup_logging

setup_logging()
log = logging.getLogger(__name__)


def _alert_id(record: dict[str, Any]) -> str | None:
    try:
        body = json.loads(record.get("body", ""))
    except (ValueError, TypeError):
        return None
    alert_id = body.get("alert_id") if isinstance(body, dict) else None
    return alert_id if isinstance(alert_id, str) and alert_id else None


@flushing_metrics
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    records = event.get("Records", []) if isinstance(event, dict) else []
    failures = []
    for record in records:
        if not isinstance(record, dict):
            continue
        alert_id = _alert_id(record)
        if alert_id is None:
            log.warning("dropping an enrich-queue message that names no alert: %.200s", record)
            continue
        try:
            result = services().enrich(alert_id)
        except Exception:
            log.exception("enriching alert %s failed; SQS will deliver it again", alert_id)
            failures.append({"itemIdentifier": record.get("messageId")})
            continue
        log.info("enriched alert %s: done %s, skipped %s", alert_id, result.done, result.skipped)
    return {"batchItemFailures": failures}
