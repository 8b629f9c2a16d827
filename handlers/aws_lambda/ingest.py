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

from typing import Any

from handlers.aws_lambda.wiring import flushing_metrics, services, setup_logging

setup_logging()


@flushing_metrics
def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """The events stored and alerted on, and other alerts' due work moved on (on AWS no
    timer runs between the flush function's minutes)."""
    outcome = services().ingest.receive(event)
    result = outcome.model_dump()
    messages = sqs_message_ids(event)
    if messages is not None:
        # Every failed record, not only those the answer lists: SQS would delete the rest.
        failed = [i for i in outcome.failed_indexes if i < len(messages)]
        result["batchItemFailures"] = [{"itemIdentifier": messages[i]} for i in failed]
    return result


def sqs_message_ids(event: Any) -> list[str] | None:
    """The messageIds of an SQS batch, by record; None when the event is not one."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records:
        return None
    if not all(isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records):
        return None
    return [str(r.get("messageId", "")) for r in records]
