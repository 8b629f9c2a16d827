"""Every envelope shape, its id, source, account, region and times, and every rejection."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from bot import envelopes
from bot.envelopes import (
    MAX_EVENT_BYTES,
    REFUSALS,
    SHAPE_NAMES,
    SHAPES,
    NotAnEventError,
    content_id,
    decode_body,
    normalize,
    read_unit,
    split_units,
)
from bot.errors import ValidationError
from bot.ingest import read_event
from bot.sources import Context
from tests.corpus import load


def only(body):
    units = list(split_units(body))
    assert len(units) == 1
    return normalize(units[0])


def test_eventbridge_envelope_keeps_its_fields():
    raw = only(load("cloudwatch_alarm_state_change_single_metric.json"))
    assert raw.id == "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92"
    assert raw.source == "aws.cloudwatch"
    assert raw.detail_type == "CloudWatch Alarm State Change"
    assert raw.account == "123456789012"
    assert raw.region == "us-east-1"
    assert raw.published_at == 1570035880  # 2019-10-02T17:04:40Z
    assert raw.resources == ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh"]


def test_json_array_of_events_splits_in_order():
    a = load("codepipeline_pipeline_execution_failed.json")
    b = load("ecs_task_state_change_running.json")
    units = list(split_units([a, b]))
    assert [normalize(u).source for u in units] == ["aws.codepipeline", "aws.ecs"]


def test_reduced_event_gets_content_id_inferred_source_and_detail_fields():
    body = load("guardduty_finding_high_minimal.json")
    raw = only(body)
    assert raw.id == content_id(body)
    assert len(raw.id) == 32
    assert raw.source == "aws.guardduty"  # inferred from the detail-type AWS fixes
    assert raw.account == "123456789"  # a 9-digit account id is kept as given
    assert raw.region == "us-east-1"
    assert raw.published_at is None  # nothing in it says when: ingest uses received_at


def test_content_id_is_canonical_json_sha256():
    import hashlib

    obj = {"b": 1, "a": "é"}
    expected = hashlib.sha256('{"a":"é","b":1}'.encode()).hexdigest()[:32]
    assert content_id(obj) == expected
    assert content_id({"a": "é", "b": 1}) == content_id(obj)  # key order does not matter


def test_classic_alarm_body_maps_display_region_and_account():
    body = load("cloudwatch_alarm_sns_message_body.json")
    raw = only(body)
    assert raw.source == "aws.cloudwatch"
    assert raw.detail_type == "CloudWatch Alarm State Change"
    assert raw.region == "eu-west-1"  # "EU - Ireland"
    assert raw.account == "000000000000"
    assert raw.id == content_id(body)
    assert raw.published_at == 1484238642  # 2017-01-12T16:30:42.236+0000
    assert raw.detail["AlarmName"] == "Example"


def test_sns_wrapped_classic_alarm_takes_message_id():
    raw = only(load("sns_cloudwatch_alarm_ok.json"))
    assert raw.id == "f86e3c5b-cd17-1ab8-80e9-c0776d4f1e7a"
    assert raw.source == "aws.cloudwatch"
    assert raw.detail["NewStateValue"] == "OK"
    assert raw.region == "us-east-1"  # "US (Virginia)"
    assert raw.account == "735598076380"


def test_sns_wrapped_eventbridge_keeps_inner_id():
    raw = only(load("sns_guardduty_malware_s3_scan_threats_found.json"))
    assert raw.id == "72c7d362-737a-6dce-fc78-9e27a0171419"
    assert raw.detail_type == "GuardDuty Malware Protection Object Scan Result"
    assert raw.account == "111122223333"


def test_sns_wrapped_reduced_event_takes_message_id_and_topic_account():
    raw = only(load("sns_guardduty_finding_govcloud.json"))
    assert raw.id == "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
    assert raw.region == "us-gov-east-1"
    assert raw.account == "123456789"  # from the detail, where AWS puts it
    assert raw.published_at is None  # the SNS timestamp is the epoch: unknown


def test_sns_plain_text_becomes_notification():
    raw = only(load("sns_plain_text_message.json"))
    assert raw.source == "aws.sns"
    assert raw.detail_type == "SNS Notification"
    assert raw.detail["subject"] == "All Fine"
    assert raw.detail["message"].startswith("This\nis")
    assert raw.region == "us-gov-west-1"
    assert raw.account == "123456789012"
    assert raw.published_at == 1549986324


def test_sns_other_json_message_is_kept_as_object():
    raw = only(load("sns_dms_replication_task_stopped.json"))
    assert raw.source == "aws.sns"
    assert raw.detail["message"]["SourceId"] == "hello-world"


def test_sns_backup_text_is_recognised_record_by_record():
    units = list(split_units(load("sns_backup_job_notifications.json")))
    raws = [normalize(u) for u in units]
    assert len(raws) == 4
    assert {r.source for r in raws} == {"aws.backup"}
    assert {r.detail_type for r in raws} == {"AWS Backup Notification"}
    assert [r.detail["attributes"]["State"] for r in raws][:2] == ["COMPLETED", "FAILED"]
    assert len({r.id for r in raws}) == 2  # 3 of 4 records share one MessageId


def test_put_events_entry_is_health_by_detail_type():
    body = load("health_putevents_entry_ecs_task_patching_scheduled_change.json")
    raw = only(body)
    assert raw.source == "com.samplevent"  # kept; the family comes from the detail-type
    assert raw.detail_type == "AWS Health Event"
    assert raw.detail["eventTypeCategory"] == "scheduledChange"
    assert raw.region == "us-east-1"  # eventRegion
    assert raw.id == content_id(body[0])
    assert raw.published_at == 1692227932  # lastUpdatedTime, Wed, 16 Aug 2023 23:18:52 GMT


def test_put_events_request_with_entries_list():
    entry = load("health_putevents_entry_ecs_task_patching_scheduled_change.json")[0]
    units = list(split_units({"Entries": [entry, entry]}))
    assert len(units) == 2


def test_detail_only_guardduty_finding_is_wrapped():
    body = load("guardduty_finding_detail_only_iam_recon.json")
    raw = only(body)
    assert raw.source == "aws.guardduty"
    assert raw.detail_type == "GuardDuty Finding"
    assert raw.account == "123456789012"
    assert raw.region == "us-east-1"
    assert raw.published_at == 1642032047  # updatedAt
    assert raw.id == content_id(body)


def test_unknown_detail_type_without_source_is_kept_as_unknown():
    raw = only({"detail-type": "Something Custom", "detail": {"x": 1}})
    assert raw.source == "unknown"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"hello": "world"}, "unrecognised event shape"),
        (42, "must be a JSON object"),
        ("text", "must be a JSON object"),
        ({"detail-type": "GuardDuty Finding", "detail": "oops"}, "detail must be a JSON object"),
        ({"id": 5, "source": "aws.ecs", "detail": {}}, "id must be a string"),
        ({"source": ["a"], "detail": {}}, "source must be a string"),
        ({"source": "x", "detail": {}, "resources": "r"}, "resources must be a list"),
        ({"detail": {}}, "needs a source or a detail-type"),
        ({"DetailType": "X", "Detail": "{not json"}, "Detail is not JSON"),
        ({"Records": [{"Sns": {"Message": 3}}]}, "Sns.Message must be a string"),
    ],
)
def test_rejections_name_why(body, message):
    units = list(split_units(body))
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        normalize(units[0])


def test_oversized_event_is_rejected_with_its_size():
    big = {"source": "aws.ecs", "detail": {"blob": "x" * (300 * 1024)}}
    with pytest.raises(ValidationError, match=f"over the {MAX_EVENT_BYTES}-byte limit"):
        normalize(big)


def test_decode_body_explains_non_json():
    with pytest.raises(ValidationError, match="body is not JSON: Expecting value at line 1"):
        decode_body(b"this is not json")
    with pytest.raises(ValidationError, match="not UTF-8"):
        decode_body(b"\xff\xfe\x00garbage")
    assert decode_body(json.dumps([1]).encode()) == [1]


def test_unpaired_surrogate_is_a_clear_error():
    body = decode_body(b'{"source": "aws.ecs", "detail": {"x": "\\ud800"}}')
    with pytest.raises(ValidationError, match=r"\\ud800, an unpaired surrogate"):
        normalize(body)


# ---------------------------------------------------------------------------------------------
# Lenient times
# ---------------------------------------------------------------------------------------------

T0 = 1_700_000_000
ACCOUNT = "111122223333"
TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"
QUEUE = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:monitoring-ingest"
SNS_TIME = "2024-05-14T10:02:11.348Z"
SNS_TIME_S = 1715680931
SQS_SENT_S = 1715676012  # SentTimestamp 1715676012380 (ms)


def _sns(
    message: str,
    *,
    subject: str | None = None,
    message_id: str = "sns-1",
    topic: str = TOPIC,
    timestamp: str = SNS_TIME,
) -> dict[str, Any]:
    """An SNS notification, as SNS posts it over HTTP(S) or puts it in an SQS body."""
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": topic,
        "Subject": subject,
        "Message": message,
        "Timestamp": timestamp,
        "SignatureVersion": "1",
        "MessageAttributes": {},
    }


def _sns_event(message: str, **kwargs: Any) -> dict[str, Any]:
    """A Lambda SNS event of one record."""
    return {
        "Records": [
            {"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": _sns(message, **kwargs)}
        ]
    }


def _sqs(body: Any, *, message_id: str = "sqs-1", queue: str = QUEUE) -> dict[str, Any]:
    """One record of a Lambda SQS event."""
    return {
        "messageId": message_id,
        "receiptHandle": "AQEBqk3WrV1pG0s8v4cYy7w2ZkQ1xg0hT4c9nB3uO6e5dR2aL8mJ7fK1iH0g==",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1715676012380"},
        "messageAttributes": {},
        "md5OfBody": "0d5b2c6a9f1e4d3b8a7c6e5f4a3b2c1d",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue,
        "awsRegion": "eu-west-1",
    }


def _eventbridge(event_id: str | None = "eb-1", **detail: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "0",
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": ACCOUNT,
        "time": "2024-05-14T08:41:07Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {"lastStatus": "STOPPED", **detail},
    }
    if event_id is not None:
        event["id"] = event_id
    return event


CLASSIC_ALARM = {
    "AlarmName": "orders-5xx",
    "NewStateValue": "ALARM",
    "OldStateValue": "OK",
    "NewStateReason": "Threshold Crossed",
    "StateChangeTime": "2024-05-14T08:41:07.515+0000",
    "AlarmArn": f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:orders-5xx",
    "AWSAccountId": ACCOUNT,
    "Region": "EU (Ireland)",
}


def test_an_unreadable_time_costs_the_event_its_time_not_the_event():
    raw = only({"id": "e-1", "source": "x", "detail": {}, "time": "yesterday"})
    assert (raw.id, raw.source) == ("e-1", "x")
    assert raw.published_at is None
    event, _ = read_event(raw, received_at=T0, ttl=3600, ctx=Context())
    assert event.id == "e-1"
    assert event.published_at == T0  # stored, with its arrival as its time


@pytest.mark.parametrize("bad", ["yesterday", "yyyy-mm-ddThh:mm:ssZ", True, {"at": 1}, [1]])
def test_an_unreadable_time_falls_back_to_the_detail_then_the_envelope(bad):
    in_detail = only({"source": "x", "time": bad, "detail": {"updatedAt": "2024-05-14T09:15:42Z"}})
    assert in_detail.published_at == 1715678142
    inner = {"id": "e-2", "source": "x", "time": bad, "detail": {}}
    wrapped = only(_sns_event(json.dumps(inner)))
    assert wrapped.id == "e-2"
    assert wrapped.published_at == SNS_TIME_S


def test_unreadable_times_of_other_shapes_never_reject_them():
    alarm = only({**CLASSIC_ALARM, "StateChangeTime": "yyyy-mm-ddThh:mm:ssZ"})
    assert alarm.published_at is None
    assert alarm.detail["AlarmName"] == "orders-5xx"
    put = only({"Source": "app", "DetailType": "Thing", "Detail": "{}", "Time": "soon"})
    assert put.published_at is None
    in_sns = only(_sns_event("hello", timestamp="not a time"))
    assert in_sns.published_at is None
    assert in_sns.id == "sns-1"


# ---------------------------------------------------------------------------------------------
# Shapes: order and id rules
# ---------------------------------------------------------------------------------------------


def test_shapes_are_tried_in_a_fixed_order_each_with_an_id_rule():
    assert SHAPE_NAMES == (
        "sns",
        "sns-http",
        "sqs",
        "s3-notification",
        "logs-subscription",
        "alarm-action",
        "lambda-failure-record",
        "alertmanager",
        "cost-anomaly",
        "rds-notification",
        "eventbridge",
        "put-events-entry",
        "classic-alarm",
        "guardduty-finding",
    )
    assert SHAPE_NAMES.index("sns") < SHAPE_NAMES.index("eventbridge")
    assert len(set(SHAPE_NAMES)) == len(SHAPE_NAMES)
    assert all(shape.id_rule.strip() for shape in SHAPES)


def test_earlier_shapes_win_over_eventbridge_for_units_that_look_like_both():
    webhook = {**_webhook(_alert()), "detail-type": "Prometheus Alert"}
    assert read_unit(webhook)[0].shape == "alertmanager"
    action = {**load("alarm_action_single_metric_insufficient_to_alarm.json"), "detail": "x"}
    assert read_unit(action)[0].shape == "alarm-action"  # a detail that is no object
    notification = {**_sns("hello"), "detail-type": "Something"}
    assert read_unit(notification)[0].shape == "sns-http"


# ---------------------------------------------------------------------------------------------
# Alarm actions
# ---------------------------------------------------------------------------------------------

ALARM_ACTIONS = [
    (
        "alarm_action_single_metric_insufficient_to_alarm.json",
        "444455556666",
        "us-east-1",
        1691152575,
        "lambda-demo-metric-alarm",
    ),
    # accountId says 123456789012 while the ARN says 912397435824: the payload's field wins
    (
        "alarm_action_metric_math_ok_to_alarm.json",
        "123456789012",
        "eu-west-1",
        1708170788,
        "Test alert",
    ),
    (
        "alarm_action_composite_suppressed_by_wait_period.json",
        "111122223333",
        "us-east-1",
        1691153806,
        "CompositeDemo.Main",
    ),
]


@pytest.mark.parametrize(("name", "account", "region", "time", "alarm"), ALARM_ACTIONS)
def test_alarm_action_is_an_alarm_state_change(name, account, region, time, alarm):
    body = load(name)
    [raw] = read_unit(body)
    assert raw.shape == "alarm-action"
    assert raw.source == "aws.cloudwatch"
    assert raw.detail_type == "CloudWatch Alarm State Change"
    assert raw.resources == [body["alarmArn"]]
    assert (raw.account, raw.region) == (account, region)
    assert raw.published_at == time
    assert raw.detail == body["alarmData"]
    assert raw.detail["alarmName"] == alarm
    assert raw.id == content_id(body)


def test_alarm_action_delivered_twice_has_one_id_and_another_transition_another():
    body = load("alarm_action_single_metric_insufficient_to_alarm.json")
    again = json.loads(json.dumps(body))
    assert only(again).id == only(body).id
    later = json.loads(json.dumps(body))
    later["alarmData"]["state"]["timestamp"] = "2023-08-04T13:00:00.000+0000"
    later["time"] = "2023-08-04T13:00:00.000+0000"
    assert only(later).id != only(body).id


def test_alarm_action_without_account_or_region_takes_the_arns():
    arn = "arn:aws-us-gov:cloudwatch:us-gov-west-1:123456789012:alarm:disk"
    raw = only({"alarmArn": arn, "alarmData": {"alarmName": "disk"}, "time": "garbage"})
    assert (raw.account, raw.region) == ("123456789012", "us-gov-west-1")
    assert raw.resources == [arn]
    assert raw.published_at is None


ALARM_ARN = f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:checkout-latency-p99"


def _alarm_envelope() -> dict[str, Any]:
    """An EventBridge-style alarm state change that carries `alarmData`, not `detail`."""
    return {
        "version": "0",
        "id": "a3e9c1d2-6f4b-8e07-2c5d-9b1a0f3e7d64",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": ACCOUNT,
        "time": "2024-05-14T09:15:42Z",
        "region": "eu-west-1",
        "resources": [ALARM_ARN],
        "alarmData": {
            "alarmName": "checkout-latency-p99",
            "state": {"value": "ALARM", "timestamp": "2024-05-14T09:15:42.318+0000"},
            "previousState": {"value": "OK", "timestamp": "2024-05-14T08:03:41.210+0000"},
        },
    }


def test_alarm_state_envelope_holding_alarm_data_keeps_its_id():
    body = _alarm_envelope()
    [raw] = read_unit(body)
    assert raw.shape == "alarm-action"
    assert raw.id == body["id"]
    assert raw.detail == body["alarmData"]
    assert raw.detail_type == "CloudWatch Alarm State Change"
    assert raw.region == "eu-west-1"
    assert raw.published_at == 1715678142


def test_alarm_state_envelope_holding_alarm_data_keeps_its_account_and_resources():
    [raw] = read_unit(_alarm_envelope())
    assert raw.account == ACCOUNT
    assert raw.resources == [ALARM_ARN]


def test_envelope_with_both_detail_and_alarm_data_is_read_by_its_detail():
    body = {**_alarm_envelope(), "detail": {"alarmName": "from-detail"}}
    [raw] = read_unit(body)
    assert raw.shape == "eventbridge"
    assert raw.detail == {"alarmName": "from-detail"}
    assert raw.account == ACCOUNT


# ---------------------------------------------------------------------------------------------
# SQS
# ---------------------------------------------------------------------------------------------


def test_sqs_plain_text_body_is_an_sqs_message():
    record, _ = split_units(load("edge_sqs_batch_plain_text_and_eventbridge_alarm.json"))
    [raw] = read_unit(record)
    assert raw.shape == "sqs"
    assert raw.source == "aws.sqs"
    assert raw.detail_type == "SQS Message"
    assert raw.id == "3f9a1c2e-7b4d-4e8f-a6c1-2d9e0b7f5a13"  # the SQS messageId
    assert raw.detail["message"] == record["body"]
    assert raw.detail["topic_arn"] == "arn:aws:sqs:eu-west-1:111122223333:monitoring-ingest"
    assert (raw.account, raw.region) == (ACCOUNT, "eu-west-1")
    assert raw.published_at == 1715676012  # SentTimestamp, in milliseconds


def test_sqs_body_holding_an_eventbridge_event_keeps_its_id():
    _, record = split_units(load("edge_sqs_batch_plain_text_and_eventbridge_alarm.json"))
    [raw] = read_unit(record)
    assert raw.shape == "sqs"
    assert raw.id == "5d1f7c3a-2b9e-4c1d-9a8e-7f0b3c6d2e41"
    assert raw.source == "aws.cloudwatch"
    assert raw.detail_type == "CloudWatch Alarm State Change"
    assert raw.published_at == 1715676067  # the event's own time, not the queue's


def test_sqs_body_holding_an_sns_notification_takes_the_sns_message_id():
    [raw] = read_unit(load("sqs_sns_notification_body.json")["Records"][0])
    assert raw.shape == "sqs"
    assert raw.id == "d88d4479-6ec0-54fe-b63f-1cf9df4bb16e"  # not the SQS 79406a00-…
    assert raw.source == "aws.sns"  # its message is application JSON, not an event
    assert raw.detail["message"] == {"message": "hello world", "username": "lessa"}
    assert raw.account == "231436140809"
    assert raw.published_at == 1611050827  # the SNS Timestamp


def test_sqs_body_holding_an_sns_notification_of_an_event_takes_the_events_id():
    body = json.dumps(_sns(json.dumps(_eventbridge("eb-7")), message_id="sns-7"))
    [raw] = read_unit(_sqs(body))
    assert raw.id == "eb-7"
    assert raw.source == "aws.ecs"
    no_id = json.dumps(_sns(json.dumps(CLASSIC_ALARM), message_id="sns-8"))
    [alarm] = read_unit(_sqs(no_id))
    assert alarm.id == "sns-8"
    assert alarm.source == "aws.cloudwatch"
    assert alarm.shape == "sqs"


def test_sqs_body_holding_an_event_without_id_takes_the_message_id():
    [raw] = read_unit(_sqs(json.dumps(CLASSIC_ALARM), message_id="sqs-9"))
    assert raw.id == "sqs-9"
    assert raw.source == "aws.cloudwatch"
    assert raw.region == "eu-west-1"


def test_sqs_body_holding_several_events_numbers_them_after_the_message_id():
    entries = {
        "Entries": [
            {"Source": "app", "DetailType": "Deploy", "Detail": json.dumps({"n": 1})},
            {"Source": "app", "DetailType": "Deploy", "Detail": json.dumps({"n": 2})},
        ]
    }
    raws = read_unit(_sqs(json.dumps(entries), message_id="m-1"))
    assert [r.id for r in raws] == ["m-1:0", "m-1:1"]
    assert [r.detail for r in raws] == [{"n": 1}, {"n": 2}]
    mixed = read_unit(_sqs(json.dumps([_eventbridge("own"), _eventbridge(None)]), message_id="m-2"))
    assert [r.id for r in mixed] == ["own", "m-2:1"]  # an event's own id still wins


def test_sns_message_holding_several_events_numbers_them_after_the_sns_message_id():
    message = json.dumps([CLASSIC_ALARM, {**CLASSIC_ALARM, "NewStateValue": "OK"}])
    raws = read_unit(_sqs(json.dumps(_sns(message, message_id="sns-3")), message_id="m-3"))
    assert [r.id for r in raws] == ["sns-3:0", "sns-3:1"]
    assert [r.detail["NewStateValue"] for r in raws] == ["ALARM", "OK"]


def test_sqs_body_holding_an_s3_notification_numbers_its_records():
    [one] = read_unit(load("sqs_s3_notification_body.json")["Records"][0])
    assert one.id == "ca3e7a89-c358-40e5-8aa0-5da01403c267"  # one record: the messageId
    assert one.source == "aws.s3"
    records = load("s3_notification_two_object_created_records.json")
    raws = read_unit(_sqs(json.dumps(records), message_id="m-4"))
    assert [r.id for r in raws] == ["m-4:0", "m-4:1"]
    assert [r.resources for r in raws] == [
        ["arn:aws:s3:::sourcebucket/HappyFace.jpg"],
        ["arn:aws:s3:::sourcebucket/New+File.jpg"],
    ]


@pytest.mark.parametrize(
    ("body", "kind"), [({"a": 1}, "an object"), (None, "null"), (42, "a number"), ([], "an array")]
)
def test_sqs_body_that_is_not_a_string_is_a_clear_error(body, kind):
    with pytest.raises(ValidationError, match=f"SQS record's body must be a string, not {kind}"):
        read_unit(_sqs(body))


@pytest.mark.parametrize("body", ["[]", '{"Entries": []}', "[1, 2]", '["a", {"b": 1}]'])
def test_sqs_body_of_json_holding_no_event_is_kept_as_a_message(body):
    """JSON that holds no event is the message itself, like any other text: never lost
    (no events) and never refused."""
    raws = read_unit(_sqs(body, message_id="m-5"))
    assert [(r.id, r.source) for r in raws] == [("m-5", "aws.sqs")]
    assert raws[0].detail["message"] == json.loads(body)


def test_sqs_raw_delivery_of_budgets_text_is_a_budgets_notification():
    text = load("edge_sns_budgets_actual_threshold_exceeded.json")["Records"][0]["Sns"]["Message"]
    [raw] = read_unit(_sqs(text, message_id="m-6"))
    assert raw.source == "aws.budgets"
    assert raw.detail_type == "AWS Budgets Notification"
    assert raw.id == "m-6"


# ---------------------------------------------------------------------------------------------
# S3 notifications
# ---------------------------------------------------------------------------------------------


def test_s3_notification_record_names_its_object():
    record = load("s3_notification_object_created_put.json")["Records"][0]
    [raw] = read_unit(record)
    assert raw.shape == "s3-notification"
    assert raw.source == "aws.s3"
    assert raw.detail_type == "S3 Event Notification"
    assert raw.resources == ["arn:aws:s3:::DOC-EXAMPLE-BUCKET/b21b84d653bb07b05b1e6b33684dc11b"]
    assert raw.region == "us-east-2"
    assert raw.published_at == 1567539447
    assert raw.id == content_id(record)
    assert raw.detail == record


def test_s3_notification_records_are_units_with_ids_of_their_own():
    records = list(split_units(load("s3_notification_two_object_created_records.json")))
    raws = [normalize(r) for r in records]
    assert len(raws) == 2
    assert [r.id for r in raws] == [content_id(r) for r in records]
    assert raws[0].id != raws[1].id
    assert raws[0].published_at is None  # 1970-01-01: unknown


def test_s3_notification_arn_follows_the_partition_and_may_lack_a_bucket():
    record = {
        "eventSource": "aws:s3",
        "awsRegion": "cn-north-1",
        "eventName": "ObjectRemoved:Delete",
        "s3": {"bucket": {"name": "logs"}, "object": {"key": "a/b.gz"}},
    }
    assert only(record).resources == ["arn:aws-cn:s3:::logs/a/b.gz"]
    no_key = {**record, "s3": {"bucket": {"name": "logs"}}}
    assert only(no_key).resources == ["arn:aws-cn:s3:::logs"]
    no_bucket = {**record, "s3": "junk"}
    assert only(no_bucket).resources == []


# ---------------------------------------------------------------------------------------------
# CloudWatch Logs subscriptions
# ---------------------------------------------------------------------------------------------

LOG_GROUP = "/aws/lambda/orders-api"


def _awslogs_of(raw: bytes) -> dict[str, Any]:
    return {"awslogs": {"data": base64.b64encode(raw).decode("ascii")}}


def _awslogs(payload: Any) -> dict[str, Any]:
    """Subscription data as Logs sends it: base64 of gzip of JSON."""
    return _awslogs_of(gzip.compress(json.dumps(payload).encode("utf-8")))


def _log_data(*lines: str) -> dict[str, Any]:
    return {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT,
        "logGroup": LOG_GROUP,
        "logStream": "2024/05/14/[$LATEST]9f1c0b7e",
        "subscriptionFilters": ["orders-api-errors"],
        "logEvents": [
            {"id": f"3827615382251724509721643556118736191274028234811514880{i}",
             "timestamp": 1715677921114 + i * 4000, "message": line}
            for i, line in enumerate(lines)
        ],
    }  # fmt: skip


def test_logs_subscription_gives_one_event_per_line_with_the_log_events_id():
    raws = read_unit(_awslogs(_log_data("ERROR timeout", "ERROR refused")))
    assert [r.id for r in raws] == [
        "38276153822517245097216435561187361912740282348115148800",
        "38276153822517245097216435561187361912740282348115148801",
    ]
    assert {r.shape for r in raws} == {"logs-subscription"}
    assert {r.source for r in raws} == {"aws.logs"}
    assert {r.detail_type for r in raws} == {"CloudWatch Logs Line"}
    assert [r.detail["message"] for r in raws] == ["ERROR timeout", "ERROR refused"]
    assert raws[0].detail["logGroup"] == LOG_GROUP
    assert raws[0].detail["subscriptionFilters"] == ["orders-api-errors"]
    assert [r.published_at for r in raws] == [1715677921, 1715677925]
    assert {r.account for r in raws} == {ACCOUNT}


def test_logs_subscription_corpus_sample_and_a_numeric_id():
    raws = read_unit(load("logs_subscription_two_error_lines.json"))
    assert [r.id for r in raws] == ["eventId1", "eventId2"]
    assert raws[0].account == "123456789123"
    payload = _log_data("one")
    payload["logEvents"][0]["id"] = 42
    assert [r.id for r in read_unit(_awslogs(payload))] == ["42"]


def test_logs_control_message_gives_no_event():
    control = {
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [
            {"id": "", "timestamp": 1715677921114,
             "message": "CWL CONTROL MESSAGE: Checking health of destination Lambda."}
        ],
    }  # fmt: skip
    assert read_unit(_awslogs(control)) == []
    assert read_unit(load("edge_logs_subscription_control_message.json")) == []


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        ({"awslogs": {"data": "not base64!"}}, "awslogs.data is not base64"),
        ({"awslogs": {"data": "é"}}, "awslogs.data is not base64"),
        ({"awslogs": {"data": 5}}, "awslogs.data must be a string"),
        ({"awslogs": {}}, "awslogs.data must be a string"),
        (_awslogs_of(json.dumps(_log_data("x")).encode()), "awslogs.data is not gzip"),
        (_awslogs_of(gzip.compress(json.dumps(_log_data("x")).encode())[:-12]), "cut short"),
        (_awslogs_of(gzip.compress(b"x")[:5]), "cut short"),
        (_awslogs_of(gzip.compress(b"\xff\xfe\xfa")), "awslogs.data is not UTF-8"),
        (_awslogs_of(gzip.compress(b"{oops")), "awslogs.data is not JSON"),
        (_awslogs([1, 2]), "awslogs.data must hold a JSON object"),
        (_awslogs({**_log_data("x"), "logGroup": ""}), "logGroup must be a string of 1 to 512"),
        (_awslogs({**_log_data("x"), "logEvents": "x"}), "needs logEvents"),
        (
            _awslogs({**_log_data("x"), "logEvents": [{"id": "1"}]}),
            r"logEvents\[0\] needs a message",
        ),
        (
            _awslogs({**_log_data("x"), "logEvents": [{"message": "m"}]}),
            r"logEvents\[0\] needs an id",
        ),
        (
            _awslogs({**_log_data("x"), "logEvents": [{"id": True, "message": "m"}]}),
            r"logEvents\[0\] needs an id",
        ),
    ],
)
def test_logs_subscription_data_that_cannot_be_read_is_a_clear_error(unit, message):
    with pytest.raises(ValidationError, match=message):
        read_unit(unit)


def test_logs_subscription_inflating_past_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(envelopes, "MAX_INFLATED_BYTES", 1024 * 1024)
    unit = _awslogs(_log_data("x" * (2 * 1024 * 1024)))
    assert len(json.dumps(unit)) < 64 * 1024  # a small body, not the event size limit
    with pytest.raises(ValidationError, match=r"awslogs\.data inflates past 1 MB: refused"):
        read_unit(unit)


def test_logs_subscription_inflating_to_exactly_the_limit_is_read(monkeypatch):
    raw = json.dumps(_log_data("ERROR at the edge")).encode()
    unit = _awslogs_of(gzip.compress(raw))
    monkeypatch.setattr(envelopes, "MAX_INFLATED_BYTES", len(raw))
    assert [r.detail["message"] for r in read_unit(unit)] == ["ERROR at the edge"]
    monkeypatch.setattr(envelopes, "MAX_INFLATED_BYTES", len(raw) - 1)
    with pytest.raises(ValidationError, match="inflates past"):
        read_unit(unit)


# ---------------------------------------------------------------------------------------------
# Alertmanager webhooks
# ---------------------------------------------------------------------------------------------


def _alert(
    status: str | None = "firing",
    *,
    fingerprint: str | None = "a1bc48475b20e73d",
    starts: str = "2024-05-14T09:00:00Z",
    ends: str = "0001-01-01T00:00:00Z",
    summary: str = "p99 over 2 s",
    **labels: str,
) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "labels": {"alertname": "HighLatency", "severity": "critical", **labels},
        "annotations": {"summary": summary},
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "https://prometheus.example.com/graph?g0.expr=latency",
    }
    if status is not None:
        alert["status"] = status
    if fingerprint is not None:
        alert["fingerprint"] = fingerprint
    return alert


def _webhook(*alerts: dict[str, Any], status: str = "firing", receiver: str = "bot") -> dict:
    return {
        "version": "4",
        "receiver": receiver,
        "status": status,
        "groupKey": '{}:{alertname="HighLatency"}',
        "externalURL": "https://alertmanager.example.com",
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {},
        "commonAnnotations": {},
        "alerts": list(alerts),
    }


def test_alertmanager_webhook_gives_one_event_per_alert():
    raws = read_unit(load("alertmanager_firing_critical_two_alerts.json"))
    assert len(raws) == 2
    assert {r.shape for r in raws} == {"alertmanager"}
    assert {r.source for r in raws} == {"prometheus.alertmanager"}
    assert {r.detail_type for r in raws} == {"Prometheus Alert"}
    assert [r.detail["fingerprint"] for r in raws] == ["a1bc48475b20e73d", "c2ea85182f28cbd9"]
    assert raws[0].id != raws[1].id
    assert {r.detail["status"] for r in raws} == {"firing"}
    assert raws[0].detail["receiver"] == "ops-zulip"
    assert raws[0].detail["labels"]["host"] == "andromeda"
    assert raws[0].published_at == 1580948278  # startsAt


def test_alertmanager_firing_and_its_resolution_are_two_events_of_one_alert():
    [firing, _] = read_unit(load("alertmanager_firing_critical_two_alerts.json"))
    [resolved] = read_unit(load("alertmanager_resolved_critical_single_alert.json"))
    assert firing.detail["fingerprint"] == resolved.detail["fingerprint"]
    assert firing.id != resolved.id
    assert resolved.detail["status"] == "resolved"


def test_alertmanager_repeated_notification_of_one_firing_is_a_duplicate():
    first = only(_webhook(_alert()))
    # Alertmanager repeats a firing (repeat_interval) with fresh annotations and endsAt
    repeat = _webhook(_alert(summary="p99 over 3 s", ends="2024-05-14T13:04:00Z"), receiver="other")
    assert only(repeat).id == first.id
    refired = only(_webhook(_alert(starts="2024-05-15T09:00:00Z")))
    assert refired.id != first.id  # a new firing of the same alert is news


def test_alertmanager_resolutions_differ_by_their_end():
    one = only(_webhook(_alert("resolved", ends="2024-05-14T10:00:00Z"), status="resolved"))
    two = only(_webhook(_alert("resolved", ends="2024-05-14T11:00:00Z"), status="resolved"))
    assert one.id != two.id
    assert one.published_at == 1715680800  # endsAt, once resolved


def test_alertmanager_alert_without_status_or_fingerprint_takes_the_bodys_and_its_labels():
    raw = only(_webhook(_alert(None, fingerprint=None), status="RESOLVED"))
    assert raw.detail["status"] == "resolved"
    reordered = _alert(None, fingerprint=None)
    reordered["labels"] = dict(reversed(list(reordered["labels"].items())))
    assert only(_webhook(reordered, status="resolved")).id == raw.id
    assert len(raw.detail["fingerprint"]) == 16
    other = only(_webhook(_alert(None, fingerprint=None, host="b"), status="resolved"))
    assert other.detail["fingerprint"] != raw.detail["fingerprint"]


def test_alertmanager_account_and_region_labels():
    raw = only(_webhook(_alert(account_id="123456789012", region="eu-west-1")))
    assert (raw.account, raw.region) == ("123456789012", "eu-west-1")
    named = only(_webhook(_alert(account="prod")))
    assert named.account == ""  # a name, not an account id


def test_alertmanager_webhook_without_alerts_is_a_clear_error():
    with pytest.raises(ValidationError, match="Alertmanager notification with no alerts"):
        read_unit(_webhook())


# ---------------------------------------------------------------------------------------------
# Amazon Managed Service for Prometheus: Alertmanager's default SNS text
# ---------------------------------------------------------------------------------------------

AMP_SOURCE = "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/graph?g0.expr="

AMP_TEXT = (
    "Host high CPU load\n"  # the common annotations' values, before the lists
    "Alerts Firing:\n"
    "Labels:\n"
    " - alertname = HostHighCpuLoad\n"
    " - instance = ip-10-0-3-17:9100\n"
    " - severity = warning\n"
    "Annotations:\n"
    " - description = load = 93% for 10 minutes\n"
    " - summary = Host high CPU load\n"
    f"Source: {AMP_SOURCE}cpu\n"
    "Labels:\n"
    " - alertname = HostOutOfMemory\n"
    " - instance = ip-10-0-3-18:9100\n"
    "Annotations:\n"
    " - summary = Host out of memory\n"
    f"Source: {AMP_SOURCE}mem\n"
    "\n"
    "Alerts Resolved:\n"
    "Labels:\n"
    " - alertname = DiskFull\n"
    " - severity = critical\n"
    "Annotations:\n"
    f"Source: {AMP_SOURCE}disk\n"
)


def _amp(status: str, message_id: str) -> dict[str, Any]:
    text = (
        f"Alerts {status}:\nLabels:\n - alertname = DiskFull\n - severity = critical\n"
        f"Annotations:\n - summary = Disk full\nSource: {AMP_SOURCE}disk\n"
    )
    return _sns_event(text, subject=f"[{status.upper()}:1] DiskFull", message_id=message_id)


def test_amp_default_sns_text_is_read_as_prometheus_alerts():
    [raw] = read_unit(next(split_units(load("edge_sns_amp_alertmanager_default_text.json"))))
    assert raw.shape == "sns"
    assert raw.source == "prometheus.alertmanager"
    assert raw.detail_type == "Prometheus Alert"
    assert raw.detail["status"] == "firing"
    assert raw.detail["labels"] == {
        "alertname": "HostHighCpuLoad",
        "instance": "ip-10-0-3-17.eu-west-1.compute.internal:9100",
        "job": "node-exporter",
        "severity": "warning",
    }
    assert raw.detail["annotations"]["summary"] == "Host high CPU load"
    assert raw.detail["generatorURL"].startswith("https://aps-workspaces.us-east-1.amazonaws.com/")
    assert (raw.account, raw.region) == (ACCOUNT, "us-east-1")
    assert raw.published_at == 1715686925  # the SNS Timestamp: the text has no start


def test_amp_text_with_firing_and_resolved_sections():
    raws = read_unit(next(split_units(_sns_event(AMP_TEXT))))
    assert [(r.detail["labels"]["alertname"], r.detail["status"]) for r in raws] == [
        ("HostHighCpuLoad", "firing"),
        ("HostOutOfMemory", "firing"),
        ("DiskFull", "resolved"),
    ]
    assert raws[0].detail["annotations"] == {
        "description": "load = 93% for 10 minutes",
        "summary": "Host high CPU load",
    }
    assert [r.detail["generatorURL"] for r in raws] == [
        f"{AMP_SOURCE}cpu",
        f"{AMP_SOURCE}mem",
        f"{AMP_SOURCE}disk",
    ]
    assert raws[2].detail["annotations"] == {}
    assert len({r.id for r in raws}) == 3
    assert (raws[0].account, raws[0].region) == (ACCOUNT, "eu-west-1")


def test_amp_firing_and_resolved_share_a_fingerprint_and_each_notification_is_an_event():
    """AMP's text says no start time, so two notifications of a firing cannot be told from
    two firings: each is an event (a firing the next day must never be a duplicate)."""
    [firing] = read_unit(next(split_units(_amp("Firing", "sns-a"))))
    [repeat] = read_unit(next(split_units(_amp("Firing", "sns-b"))))
    [resolved] = read_unit(next(split_units(_amp("Resolved", "sns-c"))))
    assert firing.detail["fingerprint"] == resolved.detail["fingerprint"]
    assert firing.id != resolved.id
    assert repeat.id != firing.id
    [again] = read_unit(next(split_units(_amp("Firing", "sns-a"))))
    assert again.id == firing.id  # one notification delivered twice: a duplicate


def test_amp_text_reaches_the_bot_through_sqs_raw_delivery_too():
    raws = read_unit(_sqs(AMP_TEXT))
    assert len(raws) == 3
    assert {r.source for r in raws} == {"prometheus.alertmanager"}
    assert {r.shape for r in raws} == {"sqs"}


def test_text_that_only_names_the_sections_is_a_plain_notification():
    [raw] = read_unit(next(split_units(_sns_event("Alerts Firing:\n(none)\n"))))
    assert raw.source == "aws.sns"
    assert raw.id == "sns-1"


# ---------------------------------------------------------------------------------------------
# Budgets, Cost Anomaly Detection and RDS through SNS
# ---------------------------------------------------------------------------------------------


def test_budgets_sns_text_is_a_budgets_notification():
    [raw] = read_unit(next(split_units(load("edge_sns_budgets_actual_threshold_exceeded.json"))))
    assert raw.shape == "sns"
    assert raw.source == "aws.budgets"
    assert raw.detail_type == "AWS Budgets Notification"
    assert raw.id == "6b0d9e2f-3c1a-5f47-8e2d-9a0b1c2d3e4f"
    assert raw.detail["subject"].startswith("AWS Budgets: monthly-total")
    assert raw.detail["message"].startswith("AWS Budget Notification May 14, 2024")
    assert (raw.account, raw.region) == (ACCOUNT, "us-east-1")
    assert raw.published_at == SNS_TIME_S


def test_budgets_is_known_by_its_text_without_a_subject():
    [raw] = read_unit(next(split_units(_sns_event("AWS Budget Notification May 14, 2024\n…"))))
    assert raw.source == "aws.budgets"
    [other] = read_unit(next(split_units(_sns_event("Deploy finished"))))
    assert other.source == "aws.sns"


def test_cost_anomaly_sns_json_is_anomaly_detected():
    sns_event = load("edge_sns_cost_anomaly_detection.json")
    anomaly = json.loads(sns_event["Records"][0]["Sns"]["Message"])
    [raw] = read_unit(next(split_units(sns_event)))
    assert raw.shape == "sns"
    assert raw.source == "aws.ce"
    assert raw.detail_type == "Anomaly Detected"
    assert raw.id == "0c1d2e3f-4a5b-5c6d-9e8f-7a6b5c4d3e2f"  # the SNS MessageId
    assert raw.detail == anomaly
    assert raw.resources == [anomaly["monitorArn"]]
    assert (raw.account, raw.region) == (ACCOUNT, "us-east-1")
    assert raw.published_at == 1715472000  # anomalyStartDate
    bare = only(anomaly)
    assert bare.shape == "cost-anomaly"
    assert bare.id == content_id(anomaly)
    assert bare.account == ACCOUNT  # accountId, then the monitor's ARN


def test_rds_event_subscription_sns_json_is_an_rds_event():
    [raw] = read_unit(next(split_units(load("sns_rds_db_instance_backup_finished.json"))))
    assert raw.shape == "sns"
    assert raw.source == "aws.rds"
    assert raw.detail_type == "RDS DB Instance Event"
    assert raw.id == "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
    assert raw.detail == {
        "SourceType": "DB_INSTANCE",
        "SourceIdentifier": "dbinstanceid",
        "Message": "Finished DB Instance backup",
        "EventID": "RDS-EVENT-0002",
        "Date": "2019-01-02 12:45:06.000",
        "SourceLink": "https://console.aws.amazon.com/rds/home?region=eu-west-1#dbinstance:id=dbinstanceid",
    }
    assert (raw.account, raw.region) == ("123456789012", "us-east-2")
    assert raw.published_at == 1546433106


def test_rds_notification_kind_and_id_rule():
    message = {
        "Event Source": "db-cluster",
        "Event Time": "2024-05-14 09:00:00.000",
        "Source ID": "orders",
        "Event ID": "http://docs.amazonwebservices.com/AmazonRDS/latest/UserGuide/USER_Events.html#RDS-EVENT-0173",
        "Event Message": "Database cluster has been patched",
    }
    raw = only(message)
    assert raw.shape == "rds-notification"
    assert raw.detail_type == "RDS DB Cluster Event"
    assert raw.detail["SourceType"] == "DB_CLUSTER"
    assert raw.detail["EventID"] == "RDS-EVENT-0173"
    assert raw.id == content_id(message)
    not_rds = {**message, "Event ID": "something else"}
    with pytest.raises(ValidationError, match="unrecognised event shape"):
        normalize(not_rds)


# ---------------------------------------------------------------------------------------------
# Lambda destination records
# ---------------------------------------------------------------------------------------------

OWN_INGEST = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:aws-monitoring-bot-prod-ingest"


def _record(function_arn: str, condition: str = "RetriesExhausted") -> dict[str, Any]:
    return {
        "version": "1.0",
        "timestamp": "2024-05-14T09:19:02.774Z",
        "requestContext": {
            "requestId": "1f7e2d3c-4b5a-4968-8778-695a4b3c2d1e",
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"orderId": 7},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": None if condition == "Success" else {"errorMessage": "boom"},
    }


def test_lambda_failure_record_is_a_failure_of_its_function():
    record = load("lambda_destination_retries_exhausted_unhandled.json")
    [raw] = read_unit(record)
    assert raw.shape == "lambda-failure-record"
    assert raw.source == "lambda"
    assert raw.detail_type == "Lambda Function Invocation Result - Failure"
    assert raw.resources == ["arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST"]
    assert (raw.account, raw.region) == ("123456789012", "us-east-2")
    assert raw.published_at == 1573755365
    assert raw.id == content_id(record)
    assert raw.detail == record


def test_lambda_success_record_is_a_success():
    arn = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders:live"
    raw = only(_record(arn, "Success"))
    assert raw.detail_type == "Lambda Function Invocation Result - Success"
    assert raw.resources == [arn]


def test_lambda_record_wrapped_in_sns_takes_the_message_id():
    arn = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders"
    [raw] = read_unit(next(split_units(_sns_event(json.dumps(_record(arn)), message_id="s-4"))))
    assert raw.id == "s-4"
    assert raw.detail_type == "Lambda Function Invocation Result - Failure"


@pytest.mark.parametrize(
    "arn",
    [
        OWN_INGEST,
        f"{OWN_INGEST}:$LATEST",
        f"{OWN_INGEST}:live",
        "arn:aws:lambda:eu-west-1:111122223333:function:aws-monitoring-bot-dev-ingest",
    ],
)
def test_failure_record_of_the_bots_own_ingest_function_is_refused(arn):
    with pytest.raises(NotAnEventError, match="not an event") as refused:
        read_unit(_record(arn))
    assert refused.value.kind == "ingest-failure-record"
    assert "replay-dlq" in str(refused.value)


def test_own_ingest_failure_record_is_refused_inside_sns_and_sqs_too():
    corpus = load("edge_lambda_failure_record_own_ingest_function.json")
    with pytest.raises(NotAnEventError) as by_file:
        read_unit(corpus)
    assert by_file.value.kind == "ingest-failure-record"
    for unit in (next(split_units(_sns_event(json.dumps(corpus)))), _sqs(json.dumps(corpus))):
        with pytest.raises(NotAnEventError) as refused:
            read_unit(unit)
        assert refused.value.kind == "ingest-failure-record"


def test_ingest_function_glob_decides_which_records_are_the_bots_own():
    other = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:aws-monitoring-bot-prod-ingest-worker"
    assert only(_record(other)).resources == [other]  # the glob matches whole names
    custom = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:ops-bot-ingest"
    with pytest.raises(NotAnEventError) as refused:
        read_unit(_record(custom), ingest_function="ops-bot-*")
    assert refused.value.kind == "ingest-failure-record"
    [kept] = read_unit(_record(OWN_INGEST), ingest_function="ops-bot-*")
    assert kept.resources == [OWN_INGEST]
    with pytest.raises(NotAnEventError):  # an empty setting means the default
        read_unit(_record(OWN_INGEST), ingest_function="")


# ---------------------------------------------------------------------------------------------
# Other services' Lambda payloads, refused by name
# ---------------------------------------------------------------------------------------------

REFUSED = {
    "config-rule-evaluation": {
        "version": "1.0",
        "invokingEvent": '{"messageType":"ScheduledNotification"}',
        "ruleParameters": "{}",
        "resultToken": "myResultToken",
        "configRuleName": "periodic-config-rule",
        "accountId": ACCOUNT,
    },
    "secrets-manager-rotation": {
        "SecretId": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:db-AbCdEf",
        "ClientRequestToken": "0f2e5c9a-8d7b-4e6f-9a1b-2c3d4e5f6a7b",
        "Step": "createSecret",
    },
    "codepipeline-job": {"CodePipeline.job": {"id": "11111111-abcd", "accountId": ACCOUNT}},
    "dashboard-widget": {"widgetContext": {"dashboardName": "ops", "width": 600}},
    "api-gateway-request": {
        "version": "2.0",
        "routeKey": "POST /ingest",
        "rawPath": "/ingest",
        "requestContext": {"apiId": "abc123", "http": {"method": "POST", "path": "/ingest"}},
        "body": json.dumps(_eventbridge()),
    },
    "dynamodb-stream": {"eventSource": "aws:dynamodb", "eventName": "INSERT", "dynamodb": {}},
    "kinesis-stream": {"eventSource": "aws:kinesis", "kinesis": {"data": "e30="}},
    "cognito-trigger": {
        "version": "1",
        "triggerSource": "PreSignUp_SignUp",
        "userPoolId": "eu-west-1_EXAMPLE",
        "request": {"userAttributes": {}},
        "response": {},
    },
}


def test_every_refusal_kind_is_covered_here():
    assert set(REFUSED) == {refusal.kind for refusal in REFUSALS}


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_other_services_payloads_are_refused_by_name(kind):
    with pytest.raises(NotAnEventError, match=r"^not an event: ") as refused:
        read_unit(REFUSED[kind])
    assert refused.value.kind == kind
    assert isinstance(refused.value, ValidationError)


@pytest.mark.parametrize(
    "request_",
    [
        {"httpMethod": "POST", "path": "/ingest", "requestContext": {"httpMethod": "POST"}},
        {"httpMethod": "POST", "path": "/", "requestContext": {"elb": {"targetGroupArn": "a"}}},
        {"routeKey": "$default", "requestContext": {"connectionId": "c"}},
        {"requestContext": {"apiId": "abc123"}, "body": "{}"},
    ],
)
def test_every_kind_of_http_request_is_refused_with_how_to_send_the_event(request_):
    with pytest.raises(NotAnEventError, match="POST the event itself") as refused:
        read_unit(request_)
    assert refused.value.kind == "api-gateway-request"


def test_stream_batches_are_refused_record_by_record_but_an_sqs_message_is_shown():
    batch = {"Records": [REFUSED["dynamodb-stream"], REFUSED["dynamodb-stream"]]}
    units = list(split_units(batch))
    assert len(units) == 2
    for unit in units:
        with pytest.raises(NotAnEventError) as refused:
            read_unit(unit)
        assert refused.value.kind == "dynamodb-stream"
    # Inside an SQS body the same JSON is an application's message: shown, not refused.
    [raw] = read_unit(_sqs(json.dumps(REFUSED["kinesis-stream"])))
    assert (raw.source, raw.detail_type) == ("aws.sqs", "SQS Message")


# ---------------------------------------------------------------------------------------------
# JSON inside a string is held to a body's limits
# ---------------------------------------------------------------------------------------------


def test_a_lone_surrogate_inside_an_sqs_body_rejects_that_record_only():
    from adapters.memory import MemoryEventStore
    from bot.ingest import ingest
    from tests.fakes import FakeClock

    bad = _sqs(json.dumps({"detail-type": "Custom", "source": "app", "detail": {"n": "\ud800"}}))
    good = _sqs("plain text", message_id="sqs-2")
    result = ingest({"Records": [bad, good]}, MemoryEventStore(), FakeClock(), ttl=3600)
    assert result.ids == ["sqs-2"]
    assert [r.index for r in result.rejected] == [0]
    assert "unpaired surrogate" in result.rejected[0].error


def test_json_nested_too_deep_inside_an_sns_message_is_refused():
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(200):
        cursor["a"] = {}
        cursor = cursor["a"]
    message = json.dumps({"source": "app", "detail-type": "Custom", "detail": deep})
    with pytest.raises(ValidationError, match="nested over 64 levels"):
        read_unit(_sns_event(message)["Records"][0])


def test_a_put_events_detail_over_the_event_limit_is_refused():
    entry = {"Source": "app", "DetailType": "Custom", "Detail": json.dumps({"x": "y" * 300_000})}
    with pytest.raises(ValidationError, match="byte limit"):
        read_unit(entry)


# ---------------------------------------------------------------------------------------------
# Logs subscription data is bounded in count and in each event's size
# ---------------------------------------------------------------------------------------------


def test_more_log_events_than_logs_sends_are_refused(monkeypatch):
    monkeypatch.setattr(envelopes, "MAX_LOG_EVENTS", 3)
    with pytest.raises(ValidationError, match="over the 3 CloudWatch Logs sends"):
        read_unit(_awslogs(_log_data("a", "b", "c", "d")))
    assert len(read_unit(_awslogs(_log_data("a", "b", "c")))) == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"logStream": "s" * 513}, "logStream must be a string of 1 to 512"),
        ({"logGroup": "g" * 513}, "logGroup must be a string of 1 to 512"),
        ({"subscriptionFilters": ["f"] * 11}, "subscriptionFilters must be at most 10"),
        ({"subscriptionFilters": [{"x": 1}]}, "subscriptionFilters must be at most 10"),
    ],
)
def test_shared_fields_copied_into_every_line_are_bounded(change, message):
    with pytest.raises(ValidationError, match=message):
        read_unit(_awslogs({**_log_data("a"), **change}))


def test_a_huge_log_line_is_cut_to_what_one_event_holds():
    [raw] = read_unit(_awslogs(_log_data("E" * 400_000)))
    assert raw.detail["message"].endswith("… (truncated)")
    assert len(envelopes.canonical_json(raw.detail).encode()) <= envelopes.MAX_EVENT_BYTES


def test_subscription_lines_take_the_bots_region_where_the_data_names_none():
    [raw] = read_unit(_awslogs(_log_data("ERROR x")), own_region="eu-west-1")
    assert raw.region == "eu-west-1"
    [unplaced] = read_unit(_awslogs(_log_data("ERROR x")))
    assert unplaced.region is None


# ---------------------------------------------------------------------------------------------
# Review findings
# ---------------------------------------------------------------------------------------------


def test_two_amp_notifications_of_one_alert_are_two_events():
    text = "Alerts Firing:\nLabels:\n - alertname = HighCPU\n - severity = critical\n"
    first = read_unit(_sns_event(text, message_id="m-1")["Records"][0])
    second = read_unit(_sns_event(text, message_id="m-2")["Records"][0])
    assert first[0].id != second[0].id
    again = read_unit(_sns_event(text, message_id="m-1")["Records"][0])
    assert again[0].id == first[0].id  # the same notification delivered again


def test_a_time_no_date_can_hold_costs_only_the_time():
    [raw] = read_unit({"Source": "app", "DetailType": "Custom",
                       "Detail": json.dumps({"time": 1_715_677_921_114_000_000})})  # fmt: skip
    assert raw.published_at is None  # read_event gives it its arrival


def test_json_that_looks_like_another_services_payload_inside_sns_is_a_message():
    api_like = json.dumps({"httpMethod": "POST", "path": "/orders", "body": "{}"})
    [raw] = read_unit(_sns_event(api_like)["Records"][0])
    assert raw.detail_type == "SNS Notification"
    assert raw.detail["message"]["path"] == "/orders"


def test_nesting_is_counted_in_containers_up_to_the_limit():
    def nested(levels: int) -> dict[str, Any]:
        root: dict[str, Any] = {"leaf": "x"}
        for _ in range(levels - 1):
            root = {"a": root}
        return root

    detail = nested(envelopes.MAX_DEPTH - 1)  # the event's own object is one more level
    assert read_unit({"source": "app", "detail-type": "Deep", "detail": detail})
    too_deep = nested(envelopes.MAX_DEPTH)
    with pytest.raises(ValidationError, match="nested over 64 levels"):
        read_unit({"source": "app", "detail-type": "Deep", "detail": too_deep})


def test_brackets_that_do_not_nest_are_not_counted_as_levels():
    """Over MAX_DEPTH brackets, in strings and in side-by-side lists, but shallow: kept."""
    many = envelopes.MAX_DEPTH
    detail = {"text": "[{" * many, "pairs": [[n] for n in range(many)]}
    [raw] = read_unit({"source": "app", "detail-type": "Flat", "detail": detail})
    assert raw.detail == detail


def test_json_holding_no_event_inside_a_message_is_held_to_the_limits_too():
    deep: list[Any] = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(ValidationError, match="nested over 64 levels"):
        read_unit(_sqs(json.dumps(deep)))
    [kept] = read_unit(_sqs(json.dumps([[1, 2], [3]])))
    assert kept.detail["message"] == [[1, 2], [3]]
