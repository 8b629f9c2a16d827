"""Replaying the ingest dead-letter queues: each message is unwrapped into the event the
ingest function was given, ingested again through the normal path (idempotent on the
event id, so a redelivered message is a duplicate), and deleted only once the store has
it. Nothing is deleted that was not stored: a message that can never be ingested stays
in the queue, with its reason reported.

Two senders write to the ingest dead-letter queue (serverless.yml, `IngestDeadLetterQueue`):
- Lambda's on-failure destination, after the asynchronous retries: a record whose
  `requestPayload` is the invocation event (an EventBridge event, an SNS Lambda event,
  an alarm action or a Logs subscription's data);
- an EventBridge rule's dead-letter queue, when EventBridge could not invoke the
  function: the body is the event itself, and the reason is in message attributes
  (`ERROR_CODE`, `ERROR_MESSAGE`, `RULE_ARN`, `TARGET_ARN`).

The ingest queue's own dead-letter queue (`IngestQueueDeadLetterQueue`) gets what SQS
moves there after the function failed on a message 5 times (its redrive policy): the
message itself, whose body is what SNS or EventBridge sent (an event, an SNS
notification's JSON, or text). SQS names the queue it came from (`source_queue`), and
the message is replayed as the one-record SQS event the function was invoked with, so
that it is read as it was then, to the same ids.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bot.envelopes import decode_body, split_units
from bot.errors import MonitoringException, ValidationError
from bot.ingest import read_unit_events
from bot.models import IngestResult
from bot.services import Services

log = logging.getLogger(__name__)

LAMBDA_RECORD = "Lambda on-failure record"
EVENTBRIDGE_DLQ = "EventBridge dead letter"
SQS_DLQ = "SQS dead letter"
# EventBridge sets these on what its rule DLQ receives; their presence names the sender
# even when the body is not an event we recognise (the ingest then says what is wrong).
EVENTBRIDGE_ATTRIBUTES = frozenset({"RULE_ARN", "TARGET_ARN", "ERROR_CODE"})

_EXPECTED = (
    "expected a Lambda on-failure destination record (requestContext, requestPayload), "
    "an EventBridge event (detail-type, detail), an SNS Lambda event (Records[].Sns) "
    "or an SNS notification (Type, MessageId, Message)"
)


class NotADeadLetterError(ValidationError):
    """A message that no sender of the ingest dead-letter queue writes: never replayable."""


@dataclass(frozen=True)
class DeadLetter:
    """One queue message. `receipt` is opaque to the core: the queue's handle to delete it.

    `source_queue` is the ARN of the SQS queue that SQS moved the message from (its
    redrive policy), "" when no queue did; `sent_timestamp` is when it was first sent
    (SQS's SentTimestamp, epoch milliseconds), "" when unknown.
    """

    message_id: str
    body: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    receipt: str = ""
    source_queue: str = ""
    sent_timestamp: str = ""


@dataclass(frozen=True)
class Unwrapped:
    """The event the ingest function was invoked with, and which sender wrapped it."""

    event: Any
    kind: str


class DeadLetterQueue(Protocol):
    """The queue replay reads: messages received (and hidden) in order, deleted one by one."""

    def receive(self, limit: int) -> Iterable[DeadLetter]:
        """Up to `limit` messages, each at most once per call; MonitoringException if the
        queue cannot be read."""
        ...

    def delete(self, letter: DeadLetter) -> None:
        """Remove a replayed message; MonitoringException if the queue refused."""
        ...


def unwrap_letter(letter: DeadLetter) -> Unwrapped:
    """The event the ingest function was given for this message: for a message SQS moved
    from the ingest queue, the SQS event of that one message, whatever its body holds
    (the ingest says what is wrong with it); else what its sender wrapped (`unwrap`)."""
    if letter.source_queue:
        return Unwrapped(event=sqs_event(letter), kind=SQS_DLQ)
    return unwrap(letter.body, letter.attributes)


def sqs_event(letter: DeadLetter) -> dict[str, Any]:
    """The SQS Lambda event of one message, as the ingest queue's event source mapping
    delivers it: its id, body, attributes and queue are what the ingest reads."""
    record: dict[str, Any] = {
        "messageId": letter.message_id,
        "body": letter.body,
        "attributes": {"SentTimestamp": letter.sent_timestamp} if letter.sent_timestamp else {},
        "messageAttributes": {
            name: {"stringValue": value, "dataType": "String"}
            for name, value in letter.attributes.items()
        },
        "eventSource": "aws:sqs",
        "eventSourceARN": letter.source_queue,
    }
    return {"Records": [record]}


def unwrap(body: str | bytes, attributes: Mapping[str, str] | None = None) -> Unwrapped:
    """The original event of a dead-letter body; NotADeadLetterError says why it is none.

    An SNS Lambda event needs no unwrapping: the ingest accepts it as the function did.
    Nor does an SNS notification's JSON, the body SQS gets from SNS without raw delivery:
    only a redriven SQS message holds one, and the ingest reads it as inside the queue.
    """
    try:
        decoded = decode_body(body)
    except ValidationError as err:
        raise NotADeadLetterError(f"not a dead letter: {err}") from err
    if isinstance(decoded, Mapping) and isinstance(decoded.get("requestContext"), Mapping):
        payload = decoded.get("requestPayload")
        if payload is None:
            raise NotADeadLetterError(
                "not a dead letter: a Lambda destination record without its requestPayload"
            )
        return Unwrapped(event=payload, kind=LAMBDA_RECORD)
    if EVENTBRIDGE_ATTRIBUTES & set(attributes or {}) or _looks_like_invocation(decoded):
        return Unwrapped(event=decoded, kind=EVENTBRIDGE_DLQ)
    if _is_sns_notification(decoded):
        return Unwrapped(event=decoded, kind=SQS_DLQ)
    raise NotADeadLetterError(f"not a dead letter: {_EXPECTED}")


def _is_sns_notification(body: Any) -> bool:
    return (
        isinstance(body, Mapping)
        and body.get("Type") == "Notification"
        and isinstance(body.get("MessageId"), str)
        and "Message" in body
    )


def _looks_like_invocation(body: Any) -> bool:
    """An event the ingest function is invoked with: EventBridge's or SNS's."""
    if not isinstance(body, Mapping):
        return False
    if "detail-type" in body and "detail" in body:
        return True
    records = body.get("Records")
    return isinstance(records, list) and any(
        isinstance(r, Mapping) and isinstance(r.get("Sns"), Mapping) for r in records
    )


Status = Literal["stored", "duplicate", "rejected", "valid", "failed"]


@dataclass(frozen=True)
class Outcome:
    """What became of one message. `deleted` is False for every message left in the queue."""

    message_id: str
    status: Status
    ids: list[str] = field(default_factory=list)
    kind: str = ""
    reason: str = ""
    deleted: bool = False
    stored: int = 0
    duplicates: int = 0


@dataclass
class ReplayReport:
    """Every message's outcome, in order; `stopped` says why the run ended early."""

    dry_run: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    stopped: str | None = None

    def count(self, status: Status) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def left(self) -> int:
        """Messages still in the queue that a replay should have emptied."""
        if self.dry_run:
            return self.count("rejected") + self.count("failed")
        return sum(not o.deleted for o in self.outcomes)

    @property
    def ok(self) -> bool:
        return self.stopped is None and self.left == 0


def replay(
    queue: DeadLetterQueue,
    services: Services,
    *,
    limit: int,
    dry_run: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> ReplayReport:
    """Replay up to `limit` messages through `services.ingest`, so alerts follow as for any
    ingest. A store failure stops the run with that message kept: the next run goes on
    from there, and what was stored already comes back as duplicates."""
    report = ReplayReport(dry_run=dry_run)
    letters: Iterator[DeadLetter] = iter(queue.receive(limit))
    while True:
        try:
            letter = next(letters, None)
        except MonitoringException as err:
            report.stopped = f"could not read the queue: {err}"
            break
        if letter is None:
            break
        outcome = _check(letter, services) if dry_run else _replay_one(letter, queue, services)
        report.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
        if outcome.status == "failed":
            report.stopped = outcome.reason
            break
    return report


def _replay_one(letter: DeadLetter, queue: DeadLetterQueue, services: Services) -> Outcome:
    try:
        unwrapped = unwrap_letter(letter)
    except NotADeadLetterError as err:
        return Outcome(letter.message_id, "rejected", reason=str(err))
    kind = unwrapped.kind
    try:
        result = services.ingest(unwrapped.event)
    except ValidationError as err:
        return Outcome(letter.message_id, "rejected", kind=kind, reason=str(err))
    except MonitoringException as err:
        return Outcome(letter.message_id, "failed", kind=kind, reason=f"store failed: {err}")
    except Exception as err:  # an unexpected store error: keep the message, stop, say why
        log.exception("replaying message %s failed", letter.message_id)
        reason = f"store failed: {type(err).__name__}: {err}"
        return Outcome(letter.message_id, "failed", kind=kind, reason=reason)
    ids = list(dict.fromkeys(result.ids))
    stored, duplicates = result.stored, result.duplicates
    if result.rejected:  # kept, so that the rejected part is not lost with the rest
        reason = _rejections(result)
        return Outcome(
            letter.message_id,
            "rejected",
            ids,
            kind,
            reason,
            stored=stored,
            duplicates=duplicates,
        )
    status: Status = "stored" if result.stored else "duplicate"
    try:
        queue.delete(letter)
    except MonitoringException as err:  # stored: the next run finds it as a duplicate
        reason = f"ingested, but not deleted: {err}"
        return Outcome(
            letter.message_id, status, ids, kind, reason, stored=stored, duplicates=duplicates
        )
    return Outcome(
        letter.message_id,
        status,
        ids,
        kind,
        deleted=True,
        stored=stored,
        duplicates=duplicates,
    )


def _rejections(result: IngestResult) -> str:
    if len(result.rejected) == 1 and not result.ids:
        return result.rejected[0].error
    return "; ".join(f"event {r.index}: {r.error}" for r in result.rejected)


def _check(letter: DeadLetter, services: Services) -> Outcome:
    """Unwrap and read the events as the ingest would, storing and deleting nothing."""
    try:
        unwrapped = unwrap_letter(letter)
    except NotADeadLetterError as err:
        return Outcome(letter.message_id, "rejected", reason=str(err))
    ids, errors = validate(unwrapped.event, services)
    status: Status = "rejected" if errors else "valid"
    return Outcome(letter.message_id, status, ids, unwrapped.kind, "; ".join(errors))


def validate(event: Any, services: Services) -> tuple[list[str], list[str]]:
    """The ids the ingest would accept and why it would reject the rest, as the ingest
    reads them (bot.ingest.ingest), without touching the store."""
    units = list(split_units(event))
    if not units:
        return [], ["the body holds no event"]
    ids: list[str] = []
    errors: list[str] = []
    now = int(services.clock.now())
    for index, unit in enumerate(units):
        where = f"event {index}: " if len(units) > 1 else ""
        try:
            read = read_unit_events(unit, received_at=now, ttl=0, ctx=services.context)
            ids.extend(event.id for event, _ in read)
        except ValidationError as err:
            errors.append(f"{where}{err}")
        except Exception as err:  # as the ingest does: a bug costs this event only
            errors.append(f"{where}could not read event: {err}")
    return list(dict.fromkeys(ids)), errors
