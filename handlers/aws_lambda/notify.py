"""The notify Lambda: the SQS FIFO send queue's consumer. Each message names a channel
with Slack work due (one message group per channel, so that SQS hands one channel's
nudges to one invocation at a time); the nudge only says "look now". The work is read
from the store and done for every channel, soonest due first, as the flush function
does it, claimed record by record, so that two invocations never do one thing twice.

A failed batch is reported as failed items, so SQS delivers them again; the work stays
pending in the store either way.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.delivery import flush
from handlers.aws_lambda.wiring import flushing_metrics, services, setup_logging

setup_logging()
log = logging.getLogger(__name__)


@flushing_metrics
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    records = event.get("Records", []) if isinstance(event, dict) else []
    channels = set()
    for record in records:
        try:
            channels.add(json.loads(record.get("body", "{}")).get("channel"))
        except (ValueError, AttributeError):
            log.warning("ignoring a send-queue message that is not a nudge: %.200s", record)
    try:
        done = flush(services().delivery)
    except Exception:
        log.exception("notify failed for %s; SQS will deliver the nudges again", channels)
        failures = [{"itemIdentifier": r.get("messageId")} for r in records]
        return {"batchItemFailures": failures}
    log.info(
        "notify: %d alerts had Slack work done (nudged for %s)",
        done,
        sorted(filter(None, channels)),
    )
    return {"batchItemFailures": []}
