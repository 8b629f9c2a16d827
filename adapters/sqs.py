"""SQS: the FIFO send queue's nudges, and the ingest dead-letter queues read for replay.

The send queue: nudges that a channel has Slack work due, one message group per
channel, so that the notify function does each channel's work in order and promptly.

The store stays the outbox (what to send lives on the alert records, claimed by
conditional writes); a nudge only says "look now". A lost nudge delays the work until
the flush function's next minute; a doubled one finds nothing left to do.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.errors import InternalServerError
from bot.replay import DeadLetter

log = logging.getLogger(__name__)

NUDGE_WINDOW_S = 10  # one nudge per channel per coalescing window (FIFO deduplication)

# System attributes of a received message: when it was first sent, and the queue SQS
# moved it from when it came by a redrive policy.
SENT_TIMESTAMP = "SentTimestamp"
SOURCE_QUEUE = "DeadLetterQueueSourceArn"


class SqsNudges:
    """Sends {"channel": C} with MessageGroupId C, deduplicated per window."""

    delay_s = NUDGE_WINDOW_S  # the queue's DelaySeconds (serverless.yml)

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def nudge(self, channel: str, now: float) -> bool:
        """True if SQS took it (or had it already); False, logged, if it failed."""
        try:
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=json.dumps({"channel": channel}),
                MessageGroupId=channel,
                MessageDeduplicationId=f"{channel}:{int(now) // NUDGE_WINDOW_S}",
            )
        except (ClientError, BotoCoreError) as err:
            log.warning("could not nudge the send queue for %s: %s", channel, err)
            return False
        return True


class SqsEnrichQueue:
    """Sends {"alert_id": A} to the enrich queue, delayed until it is due (SQS delays a
    message by at most MAX_DELAY_S; a later one is asked again by the enrich function)."""

    MAX_DELAY_S = 900

    def __init__(self, client: Any, queue_url: str, clock: Any) -> None:
        self._client = client
        self._queue_url = queue_url
        self._clock = clock

    def enqueue(self, alert_id: str, not_before: int) -> bool:
        """True if SQS took it; False, logged, if it failed."""
        delay = min(max(not_before - int(self._clock.now()), 0), self.MAX_DELAY_S)
        try:
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=json.dumps({"alert_id": alert_id}),
                DelaySeconds=delay,
            )
        except (ClientError, BotoCoreError) as err:
            log.warning("could not queue alert %s for enrichment: %s", alert_id, err)
            return False
        return True


class DeadLetters:
    """An ingest dead-letter queue, read for replay (bot.replay's DeadLetterQueue).

    Messages are received in batches of up to 10 (SQS's most), each batch hidden for
    `visibility` seconds while it is replayed, and deleted one by one once stored. A
    message kept (rejected) reappears after its visibility timeout; within one call it
    is yielded once, and a batch of nothing new ends the call.

    A message SQS moved here from another queue (the ingest queue's redrive policy)
    names that queue in its DeadLetterQueueSourceArn attribute. Without it, the queue is
    asked once which queues dead-letter to it, and the first one stands for the source
    (none does for the ingest dead-letter queue, whose senders are Lambda and EventBridge).
    """

    BATCH = 10

    def __init__(
        self, client: Any, queue_url: str, *, visibility: int = 60, wait_seconds: int = 1
    ) -> None:
        self._client = client
        self._queue_url = queue_url
        self._visibility = visibility
        self._wait_seconds = wait_seconds  # long polling: asks every SQS host, not a sample
        self._redrive_source: str | None = None  # looked up once, when first needed

    def receive(self, limit: int) -> Iterator[DeadLetter]:
        seen: set[str] = set()
        while len(seen) < limit:
            try:
                answer = self._client.receive_message(
                    QueueUrl=self._queue_url,
                    MaxNumberOfMessages=min(self.BATCH, limit - len(seen)),
                    VisibilityTimeout=self._visibility,
                    WaitTimeSeconds=self._wait_seconds,
                    MessageAttributeNames=["All"],
                    MessageSystemAttributeNames=[SENT_TIMESTAMP, SOURCE_QUEUE],
                )
            except (ClientError, BotoCoreError) as err:
                raise InternalServerError(f"SQS ReceiveMessage failed: {err}") from err
            fresh = [m for m in answer.get("Messages", []) if m["MessageId"] not in seen]
            if not fresh:
                return
            for message in fresh:
                seen.add(message["MessageId"])
                system = message.get("Attributes", {})
                yield DeadLetter(
                    message_id=message["MessageId"],
                    body=message.get("Body", ""),
                    attributes=_string_attributes(message.get("MessageAttributes", {})),
                    receipt=message["ReceiptHandle"],
                    source_queue=system.get(SOURCE_QUEUE) or self.redrive_source(),
                    sent_timestamp=system.get(SENT_TIMESTAMP, ""),
                )

    def redrive_source(self) -> str:
        """The ARN of a queue whose redrive policy moves its messages here (the first by
        URL when several do), "" when none does or SQS would not say (logged)."""
        if self._redrive_source is None:
            self._redrive_source = ""
            try:
                answer = self._client.list_dead_letter_source_queues(QueueUrl=self._queue_url)
                urls = sorted(answer.get("queueUrls", []))
                if urls:
                    found = self._client.get_queue_attributes(
                        QueueUrl=urls[0], AttributeNames=["QueueArn"]
                    )
                    self._redrive_source = str(found["Attributes"]["QueueArn"])
            except (ClientError, BotoCoreError, KeyError) as err:
                log.warning(
                    "could not ask which queues dead-letter to %s (%s): its messages are "
                    "read as redriven SQS messages only when they name their source queue",
                    self._queue_url,
                    err,
                )
        return self._redrive_source

    def delete(self, letter: DeadLetter) -> None:
        try:
            self._client.delete_message(QueueUrl=self._queue_url, ReceiptHandle=letter.receipt)
        except (ClientError, BotoCoreError) as err:
            raise InternalServerError(f"SQS DeleteMessage failed: {err}") from err


def _string_attributes(attributes: dict[str, Any]) -> dict[str, str]:
    """Message attributes by name: their string values (EventBridge sends only strings)."""
    return {
        name: str(value.get("StringValue", ""))
        for name, value in attributes.items()
        if isinstance(value, dict)
    }
