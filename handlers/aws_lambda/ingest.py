"""The ingest Lambda: EventBridge rules and the SNS topic invoke it with one event each,
the SQS ingest queue with batches of messages, and alarm actions and log subscriptions
directly.

Bad input is logged (by the use case, as a warning) and answered, not raised: a retry
could never fix it. From the SQS queue, though, the answer names each message it could
not read in `batchItemFailures`: SQS deletes the rest and keeps those, until its redrive
moves them to the dead-letter queue, where people can read them (`replay-dlq --dry-run`)
rather than lose them. A store failure is raised, so that Lambda retries the delivery
(the whole batch, from SQS) and, in the end, dead-letters it: nothing is lost.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from bot.delivery import flush
from bot.services import Services
from handlers.aws_lambda.wiring import services, setup_logging

setup_logging()
log = logging.getLogger(__name__)


# Due Slack work this invocation does after its own event: on AWS no timer runs between
# the flush function's minutes, so each event also moves the queue on.
FLUSH_ON_EVENT = 20
NUDGE_SCAN = 100  # pending records looked at for channels to nudge


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    svc = services()
    outcome = svc.ingest(event)
    result = outcome.model_dump()
    messages = sqs_message_ids(event)
    if messages is not None:
        failed = sorted({r.index for r in outcome.rejected if r.index < len(messages)})
        result["batchItemFailures"] = [{"itemIdentifier": messages[i]} for i in failed]
    try:
        flush(svc.delivery, limit=FLUSH_ON_EVENT)
        nudge_channels(svc)
    except Exception:  # the event is stored and acknowledged; the flush function retries
        log.exception("flush after ingest failed; the flush function will do it")
    return result


def sqs_message_ids(event: Any) -> list[str] | None:
    """The messageIds of an SQS batch, by record; None when the event is not one."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records:
        return None
    if not all(isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records):
        return None
    return [str(r.get("messageId", "")) for r in records]


@lru_cache(maxsize=1)
def _nudges(queue_url: str) -> Any:
    import boto3

    from adapters.sqs import SqsNudges

    return SqsNudges(boto3.client("sqs"), queue_url)


def nudge_channels(svc: Services) -> int:
    """With SEND_QUEUE_URL set, nudge the notify function for each channel whose Slack
    work is still due, now or within the coalescing window (the queue delays delivery by
    that window). Returns how many channels were nudged."""
    queue_url = svc.settings.send_queue_url
    if not queue_url:
        return 0
    from adapters.sqs import NUDGE_WINDOW_S

    now = svc.clock.now()
    due = svc.alerts.list_pending(int(now) + NUDGE_WINDOW_S, limit=NUDGE_SCAN)
    channels = {record.channel or svc.delivery.channel for record in due}
    return sum(_nudges(queue_url).nudge(channel, now) for channel in sorted(channels))
