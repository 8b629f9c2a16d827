"""Every envelope shape, its id, source, account, region and times, and every rejection."""

from __future__ import annotations

import json

import pytest

from bot.envelopes import (
    MAX_EVENT_BYTES,
    content_id,
    decode_body,
    normalize,
    split_units,
)
from bot.errors import ValidationError
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
