"""Replaying the ingest dead-letter queue: unwrapping both senders' messages, and the
replay use case over a fake queue and the in-memory stores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.memory import MemoryAgentStore, MemoryAlertStore, MemoryEventStore
from bot.config import Settings
from bot.errors import InternalServerError
from bot.replay import (
    EVENTBRIDGE_DLQ,
    LAMBDA_RECORD,
    DeadLetter,
    NotADeadLetterError,
    replay,
    unwrap,
)
from bot.services import Services
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


def sns_alarm_id() -> str:
    return load(SNS_ALARM)["Records"][0]["Sns"]["MessageId"]


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


# --- the replay use case


class FakeQueue:
    """An in-memory queue: receive yields what is left, delete removes (or fails)."""

    def __init__(self, bodies: list[str], *, fail_delete: bool = False) -> None:
        self.letters = [DeadLetter(f"m{i}", body, receipt=f"r{i}") for i, body in enumerate(bodies)]
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
    return Services(
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
