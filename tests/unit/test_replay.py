"""Replaying the ingest dead-letter queues: unwrapping each sender's messages (Lambda's
on-failure records, EventBridge's dead letters, and what SQS moved from the ingest queue),
and the replay use case over a fake queue and the in-memory stores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from adapters.memory import MemoryAgentStore, MemoryAlertStore, MemoryEventStore
from adapters.sqs import SENT_TIMESTAMP, SOURCE_QUEUE, DeadLetters
from bot.config import Settings
from bot.errors import InternalServerError
from bot.replay import (
    EVENTBRIDGE_DLQ,
    LAMBDA_RECORD,
    SQS_DLQ,
    DeadLetter,
    NotADeadLetterError,
    replay,
    unwrap,
    unwrap_letter,
)
from bot.services import Services
from handlers.bootstrap import bootstrap
from tests.corpus import load
from tests.fakes import FakeChat, FakeClock

STACK = "cloudformation_stack_status_change_create_complete.json"
FINDING = "health_ec2_issue_minimal.json"
SNS_ALARM = "sns_cloudwatch_alarm_ok.json"
EVENTBRIDGE_ATTRIBUTES = {
    "ERROR_CODE": "SDK_CLIENT_ERROR",
    "ERROR_MESSAGE": "Unable to invoke Lambda function",
    "RULE_ARN": "arn:aws:events:us-east-1:123456789012:rule/monitoring-alarms",
    "TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:monitoring-ingest",
}


def destination_record(payload: Any) -> str:
    """A Lambda on-failure destination record, as Lambda writes it to the queue."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2024-05-01T10:00:00.000Z",
            "requestContext": {
                "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:ingest:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": payload,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
            "responsePayload": {"errorMessage": "store failed", "errorType": "InternalError"},
        }
    )


INGEST_QUEUE = "arn:aws:sqs:eu-west-1:123456789012:aws-monitoring-bot-prod-ingest"
SQS_SNS_BODY = "sqs_sns_notification_body.json"
SQS_REDRIVEN_TEXT = "sqs_dlq_redrive_plain_text.json"


def sns_alarm_id() -> str:
    return load(SNS_ALARM)["Records"][0]["Sns"]["MessageId"]


def sns_notification(sns_event: dict[str, Any]) -> str:
    """The body SQS gets from an SNS subscription without raw delivery."""
    return json.dumps(sns_event["Records"][0]["Sns"])


def redriven(body: str, message_id: str = "m-redriven", **extra: Any) -> DeadLetter:
    """A message SQS moved from the ingest queue to its dead-letter queue."""
    extra.setdefault("source_queue", INGEST_QUEUE)
    return DeadLetter(message_id, body, receipt=f"r-{message_id}", **extra)


def as_redriven(sqs_event: dict[str, Any]) -> DeadLetter:
    """The dead letter of the one message of an SQS event the function was given."""
    (record,) = sqs_event["Records"]
    return redriven(
        record["body"],
        record["messageId"],
        source_queue=record["eventSourceARN"],
        sent_timestamp=record["attributes"]["SentTimestamp"],
    )


# --- unwrap


def test_an_on_failure_record_unwraps_to_its_request_payload():
    event = load(STACK)
    unwrapped = unwrap(destination_record(event))
    assert unwrapped.event == event
    assert unwrapped.kind == LAMBDA_RECORD


def test_an_sns_lambda_event_inside_the_request_payload_is_handed_over_as_it_was():
    event = load(SNS_ALARM)
    unwrapped = unwrap(destination_record(event).encode())
    assert unwrapped.event == event
    assert unwrapped.event["Records"][0]["Sns"]["MessageId"] == sns_alarm_id()


def test_an_eventbridge_dead_letter_is_the_event_itself():
    event = load(FINDING)
    unwrapped = unwrap(json.dumps(event), EVENTBRIDGE_ATTRIBUTES)
    assert unwrapped.event == event
    assert unwrapped.kind == EVENTBRIDGE_DLQ


def test_an_eventbridge_event_is_recognised_without_its_attributes():
    event = load(STACK)
    assert unwrap(json.dumps(event)).event == event


def test_eventbridge_attributes_name_the_sender_whatever_the_body():
    # The ingest, not the unwrap, then says what is wrong with the event.
    assert unwrap('{"odd": true}', {"RULE_ARN": "arn"}).event == {"odd": True}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("this is not json", "not a dead letter: body is not JSON"),
        ('{"hello": "world"}', "not a dead letter: expected a Lambda on-failure"),
        ("[1, 2]", "not a dead letter: expected"),
        ('"text"', "not a dead letter: expected"),
        ('{"requestContext": {}, "responsePayload": {}}', "without its requestPayload"),
        ('{"Records": [{"s3": {}}]}', "not a dead letter: expected"),
    ],
)
def test_anything_else_is_not_a_dead_letter_with_a_reason(body, reason):
    with pytest.raises(NotADeadLetterError, match=reason):
        unwrap(body)


def test_a_message_moved_from_the_ingest_queue_is_the_sqs_event_the_function_was_given():
    letter = redriven("disk full", "m-1", sent_timestamp="1713185156609", attributes={"team": "db"})
    unwrapped = unwrap_letter(letter)
    assert unwrapped.kind == SQS_DLQ
    assert unwrapped.event == {
        "Records": [
            {
                "messageId": "m-1",
                "body": "disk full",
                "attributes": {"SentTimestamp": "1713185156609"},
                "messageAttributes": {"team": {"stringValue": "db", "dataType": "String"}},
                "eventSource": "aws:sqs",
                "eventSourceARN": INGEST_QUEUE,
            }
        ]
    }


def test_whatever_a_moved_message_holds_is_the_ingest_s_to_judge():
    # Not a sender's wrapping: the body is what SNS or EventBridge sent to the queue.
    for body in ("plain text", destination_record(load(STACK)), '{"odd": true}'):
        unwrapped = unwrap_letter(redriven(body, attributes=EVENTBRIDGE_ATTRIBUTES))
        assert unwrapped.kind == SQS_DLQ
        assert unwrapped.event["Records"][0]["body"] == body


def test_a_letter_from_no_queue_is_unwrapped_by_its_sender_as_before():
    letter = DeadLetter("m", json.dumps(load(FINDING)), EVENTBRIDGE_ATTRIBUTES)
    assert unwrap_letter(letter).kind == EVENTBRIDGE_DLQ
    assert unwrap_letter(DeadLetter("m", destination_record(load(STACK)))).kind == LAMBDA_RECORD
    with pytest.raises(NotADeadLetterError, match="body is not JSON"):
        unwrap_letter(DeadLetter("m", "plain text"))


def test_an_sns_notification_is_a_moved_message_even_without_its_queue():
    body = sns_notification(load(SNS_ALARM))
    unwrapped = unwrap(body)
    assert unwrapped.kind == SQS_DLQ
    assert unwrapped.event == json.loads(body)


# --- the replay use case


class FakeQueue:
    """An in-memory queue: receive yields what is left, delete removes (or fails)."""

    def __init__(self, bodies: list[str | DeadLetter], *, fail_delete: bool = False) -> None:
        self.letters = [
            body if isinstance(body, DeadLetter) else DeadLetter(f"m{i}", body, receipt=f"r{i}")
            for i, body in enumerate(bodies)
        ]
        self.deleted: list[str] = []
        self.fail_delete = fail_delete
        self.fail_receive = False

    def receive(self, limit: int) -> Iterator[DeadLetter]:
        if self.fail_receive:
            raise InternalServerError("SQS ReceiveMessage failed: no credentials")
        yield from list(self.letters)[:limit]

    def delete(self, letter: DeadLetter) -> None:
        if self.fail_delete:
            raise InternalServerError("SQS DeleteMessage failed: receipt handle expired")
        self.letters.remove(letter)
        self.deleted.append(letter.message_id)


class FailingEventStore(MemoryEventStore):
    def create_many(self, events):
        raise InternalServerError("DynamoDB is unavailable")


def services(events: MemoryEventStore | None = None) -> Services:
    return bootstrap(
        settings=Settings(_env_file=None, slack_alerts_channel="C0ALERTS"),
        events=events or MemoryEventStore(),
        agents=MemoryAgentStore(),
        alerts=MemoryAlertStore(),
        chat=FakeChat(),
        clock=FakeClock(),
    )


def stored_ids(svc: Services) -> list[str]:
    return [e.id for e in svc.events.scan(0, 253402300799, int(svc.clock.now()))]


def test_replay_stores_each_event_once_and_deletes_what_was_stored():
    stack, finding = load(STACK), load(FINDING)
    queue = FakeQueue(
        [
            destination_record(stack),
            json.dumps(finding),
            destination_record(load(SNS_ALARM)),
            json.dumps(stack),  # the same event again: a redelivery
        ]
    )
    svc = services()
    seen = []
    report = replay(queue, svc, limit=10, on_outcome=seen.append)
    assert [o.status for o in report.outcomes] == ["stored", "stored", "stored", "duplicate"]
    assert seen == report.outcomes
    assert report.outcomes[0].ids == [stack["id"]]
    assert report.outcomes[2].ids == [sns_alarm_id()]
    counts = [(o.stored, o.duplicates) for o in report.outcomes]
    assert counts == [(1, 0), (1, 0), (1, 0), (0, 1)]
    assert sorted(stored_ids(svc)) == sorted([stack["id"], finding["id"], sns_alarm_id()])
    assert queue.deleted == ["m0", "m1", "m2", "m3"]
    assert report.ok and report.left == 0
    assert svc.chat.posts, "replayed events alert as any ingest does"


def test_a_second_replay_of_the_same_events_stores_nothing_and_alerts_nothing():
    svc = services()
    replay(FakeQueue([destination_record(load(STACK))]), svc, limit=10)
    posts = len(svc.chat.posts)
    again = replay(FakeQueue([destination_record(load(STACK))]), svc, limit=10)
    assert [o.status for o in again.outcomes] == ["duplicate"]
    assert again.ok
    assert len(stored_ids(svc)) == 1
    assert len(svc.chat.posts) == posts


def test_what_can_never_be_ingested_stays_in_the_queue_with_its_reason():
    queue = FakeQueue(
        [
            "garbage",
            json.dumps({"detail-type": "X", "detail": "x"}),
            destination_record(load(STACK)),
        ]
    )
    report = replay(queue, services(), limit=10)
    garbage, invalid, good = report.outcomes
    assert (garbage.status, garbage.deleted) == ("rejected", False)
    assert garbage.reason.startswith("not a dead letter: body is not JSON")
    assert (invalid.status, invalid.deleted, invalid.kind) == ("rejected", False, EVENTBRIDGE_DLQ)
    assert invalid.reason == "detail must be a JSON object, not a string"
    assert good.status == "stored" and good.deleted
    assert queue.deleted == ["m2"]
    assert report.left == 2 and not report.ok


def test_a_message_partly_rejected_is_kept_so_the_bad_part_is_not_lost():
    sns = load(SNS_ALARM)
    sns["Records"].append({"EventSource": "aws:sns", "Sns": {"MessageId": "x", "Message": 5}})
    svc = services()
    queue = FakeQueue([destination_record(sns)])
    (outcome,) = replay(queue, svc, limit=10).outcomes
    assert outcome.status == "rejected"
    assert outcome.ids == [sns_alarm_id()] and outcome.stored == 1
    assert outcome.reason.startswith("event 1: ")
    assert queue.deleted == []
    assert stored_ids(svc) == [sns_alarm_id()]


def test_a_store_failure_stops_the_replay_and_keeps_the_message():
    queue = FakeQueue([destination_record(load(STACK)), json.dumps(load(FINDING))])
    report = replay(queue, services(FailingEventStore()), limit=10)
    assert [o.status for o in report.outcomes] == ["failed"]
    assert report.stopped == "store failed: DynamoDB is unavailable"
    assert queue.deleted == [] and len(queue.letters) == 2
    assert not report.ok


def test_a_message_not_deleted_is_reported_as_left():
    svc = services()
    report = replay(FakeQueue([json.dumps(load(FINDING))], fail_delete=True), svc, limit=10)
    (outcome,) = report.outcomes
    assert (outcome.status, outcome.deleted) == ("stored", False)
    assert (outcome.stored, outcome.duplicates) == (1, 0)
    assert "not deleted: SQS DeleteMessage failed" in outcome.reason
    assert report.left == 1 and not report.ok
    assert stored_ids(svc) == [load(FINDING)["id"]]


def test_a_queue_that_cannot_be_read_stops_with_the_reason():
    queue = FakeQueue([])
    queue.fail_receive = True
    report = replay(queue, services(), limit=10)
    assert report.stopped == "could not read the queue: SQS ReceiveMessage failed: no credentials"
    assert not report.ok


def test_limit_bounds_the_messages_replayed():
    queue = FakeQueue([json.dumps(load(STACK)), json.dumps(load(FINDING))])
    report = replay(queue, services(), limit=1)
    assert len(report.outcomes) == 1
    assert queue.deleted == ["m0"]


def test_a_dry_run_checks_but_stores_deletes_and_posts_nothing():
    queue = FakeQueue(["garbage", destination_record(load(SNS_ALARM)), json.dumps(load(STACK))])
    svc = services()
    report = replay(queue, svc, limit=10, dry_run=True)
    assert [o.status for o in report.outcomes] == ["rejected", "valid", "valid"]
    assert report.outcomes[1].ids == [sns_alarm_id()]
    assert report.outcomes[2].ids == [load(STACK)["id"]]
    assert queue.deleted == [] and stored_ids(svc) == [] and svc.chat.posts == []
    assert report.left == 1 and not report.ok


def test_a_dry_run_of_valid_messages_only_is_ok():
    report = replay(FakeQueue([json.dumps(load(FINDING))]), services(), limit=10, dry_run=True)
    assert [o.status for o in report.outcomes] == ["valid"]
    assert report.ok


# --- the ingest queue's dead letters


@pytest.mark.parametrize("sample", [SQS_SNS_BODY, SQS_REDRIVEN_TEXT])
def test_a_moved_message_is_stored_as_the_function_would_have_stored_it(sample):
    original = load(sample)
    first = services().ingest(original)  # what the function stores from the queue
    assert first.stored and not first.rejected
    svc = services()
    queue = FakeQueue([as_redriven(original)])
    (outcome,) = replay(queue, svc, limit=10).outcomes
    assert (outcome.status, outcome.kind, outcome.deleted) == ("stored", SQS_DLQ, True)
    assert outcome.ids == first.ids
    (event,) = svc.events.scan(0, 253402300799, int(svc.clock.now()))
    sent_ms = int(original["Records"][0]["attributes"]["SentTimestamp"])
    if sample == SQS_REDRIVEN_TEXT:  # text: the SQS message is the event
        assert event.id == original["Records"][0]["messageId"]
        assert event.published_at == sent_ms // 1000
        assert (event.account, event.region) == ("123456789012", "eu-central-1")


def test_a_moved_message_the_function_stored_after_all_is_a_duplicate():
    original = load(SQS_SNS_BODY)
    svc = services()
    svc.ingest(original)
    queue = FakeQueue([as_redriven(original)])
    report = replay(queue, svc, limit=10)
    assert [(o.status, o.deleted) for o in report.outcomes] == [("duplicate", True)]
    assert report.ok


def test_moved_messages_of_every_kind_are_replayed_and_bad_ones_kept():
    stack, finding = load(STACK), load(FINDING)
    queue = FakeQueue(
        [
            redriven("the nightly export failed", "m-text", sent_timestamp="1713185156609"),
            redriven(sns_notification(load(SNS_ALARM)), "m-sns"),
            redriven(json.dumps(finding), "m-event"),
            redriven(json.dumps({"detail-type": "X", "detail": "x"}), "m-bad"),
            DeadLetter("m-record", destination_record(stack), receipt="r-record"),
        ]
    )
    svc = services()
    report = replay(queue, svc, limit=10)
    by_id = {o.message_id: o for o in report.outcomes}
    assert by_id["m-text"].ids == ["m-text"]  # a text message's id is its SQS message id
    assert by_id["m-sns"].ids == [sns_alarm_id()]  # an SNS notification's is SNS's
    assert by_id["m-event"].ids == [finding["id"]]
    assert [by_id[m].kind for m in ("m-text", "m-sns", "m-event")] == [SQS_DLQ] * 3
    assert by_id["m-bad"].status == "rejected" and not by_id["m-bad"].deleted
    assert by_id["m-bad"].reason == "detail must be a JSON object, not a string"
    assert (by_id["m-record"].status, by_id["m-record"].kind) == ("stored", LAMBDA_RECORD)
    assert queue.deleted == ["m-text", "m-sns", "m-event", "m-record"]
    assert report.left == 1


def test_a_dry_run_reads_moved_messages_as_the_replay_would():
    queue = FakeQueue([redriven("plain text", "m-text"), as_redriven(load(SQS_SNS_BODY))])
    svc = services()
    report = replay(queue, svc, limit=10, dry_run=True)
    assert [(o.status, o.kind) for o in report.outcomes] == [("valid", SQS_DLQ)] * 2
    assert report.outcomes[0].ids == ["m-text"]
    assert queue.deleted == [] and stored_ids(svc) == []
    assert report.ok


# --- the queue adapter: which messages SQS moved, and from where


class FakeSqsClient:
    """What DeadLetters asks of boto3's SQS client, answered from memory."""

    def __init__(self, messages: list[dict[str, Any]], sources: list[str] | None = None):
        self.messages = messages
        self.sources = sources
        self.calls: list[str] = []

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append("receive_message")
        assert kwargs["MessageSystemAttributeNames"] == [SENT_TIMESTAMP, SOURCE_QUEUE]
        batch, self.messages = self.messages, []
        return {"Messages": batch}

    def list_dead_letter_source_queues(self, QueueUrl: str) -> dict[str, Any]:  # noqa: N803
        self.calls.append("list_dead_letter_source_queues")
        if self.sources is None:
            raise ClientError({"Error": {"Code": "AccessDenied"}}, "ListDeadLetterSourceQueues")
        return {"queueUrls": self.sources}

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:  # noqa: N803
        self.calls.append("get_queue_attributes")
        return {"Attributes": {"QueueArn": INGEST_QUEUE if QueueUrl.endswith("ingest") else "x"}}


def message(message_id: str, **system: str) -> dict[str, Any]:
    return {"MessageId": message_id, "Body": "b", "ReceiptHandle": "r", "Attributes": system}


def test_a_message_that_names_its_source_queue_is_a_moved_one():
    client = FakeSqsClient(
        [message("m", DeadLetterQueueSourceArn=INGEST_QUEUE, SentTimestamp="1713185156609")]
    )
    (letter,) = DeadLetters(client, "https://sqs/dlq").receive(10)
    assert (letter.source_queue, letter.sent_timestamp) == (INGEST_QUEUE, "1713185156609")
    assert "list_dead_letter_source_queues" not in client.calls


def test_without_it_the_queue_that_dead_letters_here_is_asked_once():
    sources = ["https://sqs/queue-ingest", "https://sqs/queue-other"]
    client = FakeSqsClient([message("m1"), message("m2")], sources)
    letters = list(DeadLetters(client, "https://sqs/dlq").receive(10))
    assert [letter.source_queue for letter in letters] == [INGEST_QUEUE, INGEST_QUEUE]
    assert client.calls.count("list_dead_letter_source_queues") == 1


def test_a_queue_no_queue_dead_letters_to_holds_no_moved_message():
    client = FakeSqsClient([message("m", SentTimestamp="1")], sources=[])
    (letter,) = DeadLetters(client, "https://sqs/dlq").receive(10)
    assert letter.source_queue == ""
    assert "get_queue_attributes" not in client.calls


def test_when_sqs_will_not_say_the_letters_are_read_by_their_sender(caplog):
    client = FakeSqsClient([message("m")], sources=None)
    (letter,) = DeadLetters(client, "https://sqs/dlq").receive(10)
    assert letter.source_queue == ""
    assert "could not ask which queues dead-letter to https://sqs/dlq" in caplog.text
