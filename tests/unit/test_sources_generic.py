"""Generic interpreter: any event no other family knows. Most are news (info, LOW), but a
state or status whose whole words say it failed fires (MEDIUM) and one that says it
succeeded resolves the alert of the same thing. Titles are a name and a state, never a
request id; nested details become at most ten labelled fields with times shown as times;
a console link comes from the first ARN the event names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import generic, interpret
from bot.sources.base import Context
from tests.corpus import load
from tests.factories import corpus_sns, field_values, from_envelope, make_event
from tests.strategies import assert_readable, junk_object

CTX = Context()
SNS = "SNS Notification"
FIRING = (Severity.MEDIUM, SignalState.FIRING)
RESOLVED = (Severity.INFO, SignalState.RESOLVED)
NEWS = (Severity.LOW, SignalState.INFO)
# 2024-05-02T14:05:09Z, as AWS writes it in epoch seconds and in epoch milliseconds.
EPOCH_S = 1_714_658_709
EPOCH_MS = 1_714_658_709_000
SHOWN_TIME = "2024-05-02T14:05:09Z"


def _notification(
    message: Any,
    *,
    subject: str = "",
    topic_arn: str = "arn:aws:sns:eu-west-1:123456789012:ops",
    attributes: Any = None,
    region: str | None = "eu-west-1",
) -> Event:
    """The envelope parser's shape for SNS messages that are not events."""
    detail = {
        "subject": subject,
        "message": message,
        "topic_arn": topic_arn,
        "attributes": {} if attributes is None else attributes,
    }
    return make_event(SNS, "aws.sns", detail, region=region)


def _one(event: Event) -> Signal:
    [signal] = generic.interpret(event, CTX)
    return signal


def _job(name: str, state: str, **kwargs: Any) -> Signal:
    """A Glue-like job state change with no resources: its job name is its identity."""
    detail = {"jobName": name, "state": state, "jobRunId": f"jr_{name}_{state}"}
    return _one(make_event("Glue Job State Change", "aws.glue", detail, **kwargs))


def _labels(signal: Signal) -> list[str]:
    return [field.label for field in signal.fields]


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_glue_job_failure_fires_titled_by_job_and_state() -> None:
    envelope = json.loads(corpus_sns("sns_glue_job_failed_eventbridge.json")["Message"])
    [signal] = interpret(from_envelope(envelope))  # aws.glue has no family: generic
    assert signal.family == "generic"
    assert signal.title == "Glue Job State Change: test_job FAILED"
    assert (signal.severity, signal.state) == FIRING
    # No resources: source, account, detail-type and the job's name.
    assert signal.fingerprint == "generic:aws.glue:000000000000:Glue Job State Change:test_job"
    assert signal.resource == "test_job"
    assert signal.console_url is None  # no ARN anywhere in the event
    # Names and states first, then the rest in the detail's order.
    assert _labels(signal) == ["Job name", "State", "Severity", "Job run ID", "Message"]
    assert field_values(signal) == {
        "Job name": "test_job",
        "Severity": "ERROR",
        "State": "FAILED",
        "Job run ID": "jr_ca2144d747b45ad412d3c66a1b6934b6b27aa252be9a21a95c54dfaa224a1925",
        "Message": "SystemExit: 1",
    }


def test_corpus_dms_notification_shows_the_message_keys() -> None:
    sns = corpus_sns("sns_dms_replication_task_stopped.json")
    event = _notification(
        json.loads(sns["Message"]), subject=sns["Subject"], topic_arn=sns["TopicArn"]
    )
    signal = _one(event)
    assert signal.title == "DMS Notification Message"
    assert (signal.severity, signal.state) == NEWS
    assert (
        signal.fingerprint
        == "generic:aws.sns:123456789012:SNS Notification:ExampleTopic/hello-world"
    )
    assert signal.resource == "arn:aws:sns:eu-west-1:123456789012:ExampleTopic"
    assert signal.console_url == (
        "https://eu-west-1.console.aws.amazon.com/sns/v3/home?region=eu-west-1"
        "#/topic/arn%3Aaws%3Asns%3Aeu-west-1%3A123456789012%3AExampleTopic"
    )
    shown = field_values(signal)
    assert shown["Event Message"] == "Replication task has stopped."
    assert shown["Source ID"] == "hello-world"
    assert shown["Event Source"] == "replication-task"
    assert shown["Event Time"] == "2019-02-12T15:45:24Z"  # "2019-02-12 15:45:24.091"
    assert _labels(signal)[0] == "Source ID"  # the name first
    assert _labels(signal)[-1] == "Event ID"  # an event id says least: last
    assert signal.description == ""


def test_corpus_plain_text_keeps_the_message_as_description() -> None:
    sns = corpus_sns("sns_plain_text_message.json")
    event = _notification(sns["Message"], subject=sns["Subject"], topic_arn=sns["TopicArn"])
    signal = _one(event)
    assert signal.title == "All Fine"
    assert signal.description == sns["Message"]  # passed through; escaping is Slack's job
    assert field_values(signal) == {"Topic": "ExampleTopic"}
    assert (signal.severity, signal.state) == NEWS


def test_corpus_s3_object_created_shows_request_ids_last() -> None:
    event = from_envelope(load("generic_s3_object_created.json"))
    signal = _one(event)
    assert signal.title == "Object Created: DOC-EXAMPLE-BUCKET1"
    assert signal.fingerprint == "generic:aws.s3:arn:aws:s3:::DOC-EXAMPLE-BUCKET1"
    assert signal.console_url == "https://console.aws.amazon.com/s3/buckets/DOC-EXAMPLE-BUCKET1"
    assert _labels(signal)[:3] == ["Bucket name", "Object key", "Object size"]
    assert _labels(signal)[-1] == "Request ID"
    assert "N4N7GDK58NMKJ12R" not in signal.title


# ---------------------------------------------------------------------------------------------
# SNS notifications
# ---------------------------------------------------------------------------------------------


def test_empty_subject_takes_the_first_non_blank_line() -> None:
    signal = _one(_notification("\n\n  Disk almost full on db-1  \nmore details"))
    assert signal.title == "Disk almost full on db-1"


def test_long_first_line_is_clipped() -> None:
    signal = _one(_notification("x" * 400))
    assert len(signal.title) == 150
    assert signal.title.endswith("…")


def test_object_message_without_subject_is_titled_by_its_identity() -> None:
    signal = _one(_notification({"clusterName": "prod", "status": "DEGRADED", "nested": {"a": 1}}))
    assert signal.title == "Notification: prod DEGRADED"
    assert (signal.severity, signal.state) == NEWS  # DEGRADED is neither word list
    # The nested value is flattened into a field of its own, not dropped nor dumped.
    assert field_values(signal) == {"Cluster name": "prod", "Status": "DEGRADED", "A": "1"}
    assert signal.fingerprint == "generic:aws.sns:123456789012:SNS Notification:ops/prod"


def test_object_message_status_fires_and_resolves_per_identity() -> None:
    failed = _one(_notification({"jobName": "etl-a", "status": "FAILED"}))
    other = _one(_notification({"jobName": "etl-b", "status": "SUCCEEDED"}))
    again = _one(_notification({"jobName": "etl-a", "status": "SUCCEEDED"}))
    assert (failed.severity, failed.state) == FIRING
    assert (other.severity, other.state) == RESOLVED
    assert other.fingerprint != failed.fingerprint
    assert again.fingerprint == failed.fingerprint


def test_text_message_shows_topic_and_attributes() -> None:
    signal = _one(_notification("hello", attributes={"Team": "payments"}))
    assert field_values(signal) == {"Topic": "ops", "Team": "payments"}


def test_queue_message_shows_its_queue() -> None:
    queue = "arn:aws:sqs:eu-west-1:123456789012:jobs"
    event = make_event(
        "SQS Message", "aws.sqs", {"message": "hello", "topic_arn": queue}, region="eu-west-1"
    )
    signal = _one(event)
    assert field_values(signal) == {"Queue": "jobs"}
    assert signal.console_url is not None
    assert signal.console_url.startswith("https://eu-west-1.console.aws.amazon.com/sqs/v3/home")


def test_same_topic_and_subject_is_one_alert_other_subjects_are_not() -> None:
    a = _one(_notification("one", subject="Nightly report"))
    b = _one(_notification("two", subject="Nightly report"))
    c = _one(_notification("three", subject="Weekly report"))
    assert (
        a.fingerprint
        == b.fingerprint
        == "generic:aws.sns:123456789012:SNS Notification:ops/Nightly report"
    )
    assert c.fingerprint != a.fingerprint


def test_topic_in_an_unknown_region_gives_no_link() -> None:
    signal = _one(_notification("hi", topic_arn="arn:aws:sns:EXAMPLE:123456789012:ops"))
    assert signal.console_url is None
    assert field_values(signal) == {"Topic": "ops"}


# ---------------------------------------------------------------------------------------------
# States: whole words fire or resolve
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [*sorted(generic.FIRE_WORDS), "Failed", "timed out", "JOB_RUN_FAILED"]
)
def test_each_fire_word_fires_medium(status: str) -> None:
    signal = _job("nightly", status)
    assert (signal.severity, signal.state) == FIRING
    assert signal.title == f"Glue Job State Change: nightly {status}"


@pytest.mark.parametrize("status", [*sorted(generic.RESOLVE_WORDS), "Succeeded", "Success"])
def test_each_resolve_word_resolves(status: str) -> None:
    signal = _job("nightly", status)
    assert (signal.severity, signal.state) == RESOLVED


def test_fire_and_resolve_words_are_the_documented_ones() -> None:
    assert {
        "FAILED",
        "FAILURE",
        "UNSUCCESSFUL",
        "TIMED_OUT",
        "TIMEOUT",
        "ABORTED",
        "ERROR",
        "ERRORS",
    } == generic.FIRE_WORDS
    assert {"SUCCEEDED", "SUCCESS", "COMPLETED"} == generic.RESOLVE_WORDS


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("UNSUCCESSFUL", FIRING),  # holds SUCCESS, but not as a whole word
        ("SUCCEEDED", RESOLVED),
        ("SUCCESSFUL", NEWS),  # not the word SUCCESS
        ("INCOMPLETE", NEWS),  # not the word COMPLETED
        ("ERRORS_FOUND", FIRING),  # ERRORS is a failure word of its own
        ("COMPLETED_WITH_ERRORS", FIRING),  # a failure outweighs a completion
        ("ERRORLESS", NEWS),  # not the word ERROR
        ("RUNNING", NEWS),
        ("STOPPED", NEWS),
        ("", NEWS),
    ],
)
def test_only_whole_words_count(status: str, expected: tuple[Severity, SignalState]) -> None:
    assert generic.state_of(status) == expected
    signal = _job("nightly", status)
    assert (signal.severity, signal.state) == expected


def test_a_failure_word_wins_over_a_success_word() -> None:
    assert generic.state_of("SUCCEEDED_THEN_FAILED") == FIRING


def test_the_nearest_state_to_the_top_is_the_status() -> None:
    detail = {"jobName": "j", "attempt": {"state": "FAILED"}, "status": "SUCCEEDED"}
    signal = _one(make_event("Job Change", "custom.app", detail))
    assert signal.title == "Job Change: j SUCCEEDED"
    assert (signal.severity, signal.state) == RESOLVED


def test_job_b_success_never_resolves_job_a() -> None:
    a_failed = _job("job-a", "FAILED")
    b_succeeded = _job("job-b", "SUCCEEDED")
    a_succeeded = _job("job-a", "SUCCEEDED")
    assert (a_failed.severity, a_failed.state) == FIRING
    assert (b_succeeded.severity, b_succeeded.state) == RESOLVED
    assert b_succeeded.fingerprint != a_failed.fingerprint
    assert a_succeeded.fingerprint == a_failed.fingerprint
    assert a_failed.fingerprint == "generic:aws.glue:123456789012:Glue Job State Change:job-a"


def test_job_b_success_never_resolves_job_a_by_resource_either() -> None:
    job = "arn:aws:glue:us-east-1:123456789012:job/{}"
    a_failed = _job("same-name", "FAILED", resources=[job.format("a")])
    b_succeeded = _job("same-name", "SUCCEEDED", resources=[job.format("b")])
    a_succeeded = _job("other-name", "SUCCEEDED", resources=[job.format("a")])
    assert b_succeeded.fingerprint != a_failed.fingerprint
    assert a_succeeded.fingerprint == a_failed.fingerprint == f"generic:aws.glue:{job.format('a')}"


def test_the_same_name_in_another_account_is_another_alert() -> None:
    here = _job("nightly", "FAILED")
    there = _job("nightly", "SUCCEEDED", account="210987654321")
    assert here.fingerprint != there.fingerprint


# ---------------------------------------------------------------------------------------------
# Titles and identity
# ---------------------------------------------------------------------------------------------


def test_unknown_detail_uses_detail_type_name_and_state() -> None:
    detail = {"crawlerName": "nightly", "state": "Failed", "errorMessage": "boom"}
    signal = _one(make_event("Glue Crawler State Change", "aws.glue", detail))
    assert signal.title == "Glue Crawler State Change: nightly Failed"
    assert (signal.severity, signal.state) == FIRING
    assert signal.fingerprint == "generic:aws.glue:123456789012:Glue Crawler State Change:nightly"
    assert field_values(signal) == {
        "Crawler name": "nightly",
        "State": "Failed",
        "Error message": "boom",
    }


def test_an_id_stands_in_for_a_missing_name() -> None:
    detail = {"requestId": "r-1", "taskId": "t-7", "n": 2}
    signal = _one(make_event("Thing Happened", "custom.app", detail))
    assert signal.title == "Thing Happened: t-7"
    assert signal.fingerprint == "generic:custom.app:123456789012:Thing Happened:t-7"


def test_a_name_wins_over_an_id() -> None:
    detail = {"jobId": "0123", "jobName": "nightly", "status": "RUNNING"}
    signal = _one(make_event("Batch Job State Change", "aws.batch", detail))
    assert signal.title == "Batch Job State Change: nightly RUNNING"


@pytest.mark.parametrize(
    "key",
    ["requestId", "request-id", "x-amz-request-id", "RequestID", "correlationId", "messageId"],
)
def test_a_request_id_is_never_the_title(key: str) -> None:
    detail = {key: "8f5e2c1a-0000-4f6b-9d1e-5a7b3c2d1e0f", "n": 2}
    signal = _one(make_event("Thing Happened", "custom.app", detail))
    assert signal.title == "Thing Happened"
    assert "8f5e2c1a" not in signal.title
    # Still shown, after every other field.
    assert signal.fields[-1].value == "8f5e2c1a-0000-4f6b-9d1e-5a7b3c2d1e0f"


def test_a_request_id_is_never_the_title_of_a_notification() -> None:
    signal = _one(_notification({"requestId": "r-123", "status": "FAILED"}))
    assert signal.title == "Notification: FAILED"
    assert (signal.severity, signal.state) == FIRING


def test_first_resource_wins_the_fingerprint() -> None:
    event = make_event("X", "custom.app", {"name": "a"}, resources=["arn:aws:s3:::b"])
    signal = _one(event)
    assert signal.fingerprint == "generic:custom.app:arn:aws:s3:::b"
    assert signal.resource == "arn:aws:s3:::b"
    assert signal.title == "X: a"
    assert signal.console_url == "https://console.aws.amazon.com/s3/buckets/b"


def test_without_detail_type_the_source_titles_it() -> None:
    signal = _one(make_event(None, "custom.app", {}))
    assert signal.title == "custom.app"
    assert signal.fields == []
    assert (signal.severity, signal.state) == NEWS


def test_titles_stay_on_one_line() -> None:
    signal = _one(make_event("Line\nBreak", "custom.app", {"name": "a\r\nb\tc"}))
    assert signal.title == "Line Break: a b c"


# ---------------------------------------------------------------------------------------------
# S3 notifications
# ---------------------------------------------------------------------------------------------


def _s3_record() -> dict[str, Any]:
    record: dict[str, Any] = load("s3_notification_object_created_put.json")["Records"][0]
    return record


def test_s3_notification_is_titled_by_event_name_bucket_and_key() -> None:
    record = _s3_record()
    object_arn = "arn:aws:s3:::DOC-EXAMPLE-BUCKET/b21b84d653bb07b05b1e6b33684dc11b"
    event = make_event(
        "S3 Event Notification", "aws.s3", record, region="us-east-2", resources=[object_arn]
    )
    signal = _one(event)
    assert (
        signal.title == "S3 ObjectCreated:Put: DOC-EXAMPLE-BUCKET/b21b84d653bb07b05b1e6b33684dc11b"
    )
    assert (signal.severity, signal.state) == NEWS
    assert signal.fingerprint == f"generic:aws.s3:{object_arn}"
    assert signal.console_url == (
        "https://console.aws.amazon.com/s3/object/DOC-EXAMPLE-BUCKET"
        "?prefix=b21b84d653bb07b05b1e6b33684dc11b"
    )
    shown = field_values(signal)
    assert _labels(signal)[0] == "Bucket name"
    assert shown["Bucket name"] == "DOC-EXAMPLE-BUCKET"
    assert shown["Object key"] == "b21b84d653bb07b05b1e6b33684dc11b"
    assert shown["Event time"] == "2019-09-03T19:37:27Z"
    assert len(signal.fields) <= 10


def test_s3_notification_without_resources_is_one_alert_per_object() -> None:
    record = _s3_record()
    signal = _one(make_event("S3 Event Notification", "aws.s3", record))
    assert signal.fingerprint == (
        "generic:aws.s3:123456789012:S3 Event Notification:"
        "DOC-EXAMPLE-BUCKET/b21b84d653bb07b05b1e6b33684dc11b"
    )
    # The link comes from the first ARN in the detail: the bucket's.
    assert signal.console_url == (
        "https://console.aws.amazon.com/s3/buckets/lambda-artifacts-deafc19498e3f2df"
    )


def test_s3_notification_without_event_name_still_says_s3() -> None:
    detail = {"s3": {"bucket": {"name": "b"}, "object": {"key": "k"}}}
    signal = _one(make_event("S3 Event Notification", "aws.s3", detail))
    assert signal.title == "S3: b/k"


# ---------------------------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["startedAt", "endTime", "eventTime", "creationDate", "timestamp"])
@pytest.mark.parametrize("value", [EPOCH_S, EPOCH_MS, str(EPOCH_MS), "2024-05-02T14:05:09.123Z"])
def test_times_under_time_like_keys_are_shown_as_times(key: str, value: Any) -> None:
    signal = _one(make_event("Job Change", "custom.app", {"jobName": "j", key: value}))
    [shown] = [f.value for f in signal.fields if f.label != "Job name"]
    assert shown == SHOWN_TIME


def test_the_same_number_under_another_key_stays_a_number() -> None:
    detail = {"jobName": "j", "recordCount": EPOCH_S, "bytes": EPOCH_MS}
    signal = _one(make_event("Job Change", "custom.app", detail))
    assert field_values(signal) == {
        "Job name": "j",
        "Record count": str(EPOCH_S),
        "Bytes": str(EPOCH_MS),
    }


def test_a_time_key_whose_value_is_not_a_time_is_shown_as_it_is() -> None:
    detail = {"startTime": "soon", "endTime": True}
    signal = _one(make_event("Job Change", "custom.app", detail))
    assert field_values(signal) == {"Start time": "soon", "End time": "true"}


def test_nested_fields_are_flattened_with_their_parents_label() -> None:
    detail = {
        "bucket": {"name": "my-bucket", "arn": "arn:aws:s3:::my-bucket"},
        "object": {"key": "a/b.txt", "size": 5, "storageClass": "GLACIER"},
        "job": {"details": {"startedAt": EPOCH_MS}},
    }
    signal = _one(make_event("Object Stored", "custom.app", detail))
    assert field_values(signal) == {
        "Bucket name": "my-bucket",
        "Bucket ARN": "arn:aws:s3:::my-bucket",
        "Object key": "a/b.txt",
        "Object size": "5",
        "Storage class": "GLACIER",  # says enough alone: no parent
        "Started at": SHOWN_TIME,
    }
    assert signal.title == "Object Stored: my-bucket"
    assert all(not f.value.startswith(("{", "[")) for f in signal.fields)


def test_lists_of_scalars_are_joined_and_lists_of_objects_flattened() -> None:
    detail = {
        "jobName": "j",
        "command": ["sleep", "600", "--quiet", "--now"],
        "attempts": [{"exitCode": 1, "reason": "oom"}, {"exitCode": 0, "reason": "ok"}],
    }
    signal = _one(make_event("Job Change", "custom.app", detail))
    assert field_values(signal) == {
        "Job name": "j",
        "Command": "sleep, 600, --quiet (+1 more)",
        # A label appears once: the first item's.
        "Exit code": "1",
        "Reason": "oom",
    }


def test_nested_values_are_never_dumped_and_fields_are_bounded() -> None:
    detail: dict[str, Any] = {f"key{n}": n for n in range(15)}
    detail["config"] = {"a": [1, 2]}
    detail["items"] = [1, 2]
    signal = _one(make_event("Big", "custom.app", detail))
    assert len(signal.fields) == 10
    assert _labels(signal) == [f"Key{n}" for n in range(10)]
    assert all(not f.value.startswith(("{", "[")) for f in signal.fields)


def test_a_huge_detail_gives_ten_fields_names_and_states_first() -> None:
    detail: dict[str, Any] = {
        "version": "3",
        "requestId": "r-1",
        **{f"metric{n}": n for n in range(20)},
        "run": {"jobName": "nightly", "status": "FAILED"},
        "blob": {f"k{n}": {"inner": [n, n + 1], "deep": {"x": "y" * 1000}} for n in range(5000)},
    }
    signal = _one(make_event("Huge", "custom.app", detail))
    assert len(signal.fields) == 10
    assert _labels(signal)[:2] == ["Job name", "Run status"]  # "status" says little alone
    assert "Version" not in _labels(signal) and "Request ID" not in _labels(signal)
    assert signal.title == "Huge: nightly FAILED"
    assert (signal.severity, signal.state) == FIRING
    assert all(len(f.value) <= 300 for f in signal.fields)


def test_a_long_value_is_clipped() -> None:
    signal = _one(make_event("Job Change", "custom.app", {"message": "word " * 200}))
    [field] = signal.fields
    assert len(field.value) == 300
    assert field.value.endswith("…")


# ---------------------------------------------------------------------------------------------
# Console links
# ---------------------------------------------------------------------------------------------


def test_an_arn_in_the_detail_gives_a_link() -> None:
    job = "arn:aws:batch:eu-west-1:123456789012:job/4c7599ae"
    detail = {"jobName": "nightly", "status": "FAILED", "run": {"jobArn": job}}
    signal = _one(make_event("Batch Job State Change", "custom.batch", detail))
    assert signal.console_url == (
        "https://eu-west-1.console.aws.amazon.com/batch/home?region=eu-west-1#jobs/detail/4c7599ae"
    )
    # An ARN in the detail links; it does not replace the name as the identity.
    assert signal.fingerprint == (
        "generic:custom.batch:123456789012:Batch Job State Change:nightly"
    )


def test_the_first_resource_gives_the_link_before_an_arn_in_the_detail() -> None:
    detail = {"jobArn": "arn:aws:batch:eu-west-1:123456789012:job/other"}
    event = make_event(
        "X", "custom.app", detail, resources=["arn:aws:kms:us-west-2:123456789012:key/k-1"]
    )
    signal = _one(event)
    assert signal.console_url == (
        "https://us-west-2.console.aws.amazon.com/kms/home?region=us-west-2#/kms/keys/k-1"
    )


def test_an_unknown_region_gives_no_console_link() -> None:
    event = make_event(
        "Glue Job State Change",
        "aws.glue",
        {"jobName": "nightly", "state": "FAILED"},
        region="EXAMPLE",
        resources=["arn:aws:glue:EXAMPLE:123456789012:job/nightly"],
    )
    signal = _one(event)
    assert signal.console_url is None
    assert signal.fingerprint == "generic:aws.glue:arn:aws:glue:EXAMPLE:123456789012:job/nightly"


def test_an_arn_of_an_unknown_region_in_the_detail_gives_no_link() -> None:
    detail = {"jobName": "n", "jobArn": "arn:aws:batch:EXAMPLE:123456789012:job/x"}
    signal = _one(make_event("Batch Job State Change", "custom.batch", detail))
    assert signal.console_url is None


def test_no_arn_gives_no_link() -> None:
    signal = _one(make_event("X", "custom.app", {"jobName": "n", "region": "us-east-1"}))
    assert signal.console_url is None


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------


def test_a_list_where_attributes_belong_is_not_shown() -> None:
    # Anyone who can call PutEvents can send detail-type "SNS Notification" with any detail.
    signal = _one(_notification("hello", attributes=["a", "b"]))
    assert field_values(signal) == {"Topic": "ops"}


@pytest.mark.parametrize("value", [253_402_300_800_000, 10**16])
def test_an_epoch_beyond_year_9999_under_a_time_key_does_not_crash(value: int) -> None:
    # generic is the fallback of every family: an exception here loses the event.
    [signal] = interpret(make_event("Job Change", "custom.app", {"jobName": "j", "endTime": value}))
    assert signal.family == "generic"
    assert signal.title == "Job Change: j"
    assert [f.label for f in signal.fields] == ["Job name", "End time"]


@settings(max_examples=50, deadline=None)
@given(
    detail=junk_object(["subject", "message", "topic_arn", "attributes"], other_keys=True),
    kind=st.sampled_from([(SNS, "aws.sns"), ("Something", "custom.app"), (None, "x")]),
)
def test_any_detail_still_gives_one_readable_signal(
    detail: dict[str, Any], kind: tuple[str | None, str]
) -> None:
    [signal] = generic.interpret(make_event(kind[0], kind[1], detail), CTX)
    assert_readable(signal, f"generic:{kind[1]}:")
    assert (signal.severity, signal.state) in (FIRING, RESOLVED, NEWS)
    assert len(signal.fields) <= 10


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("timeout", 60, "60"),  # a duration, though "time" is in its name
        ("Time", 5753.0, "5753"),  # SSM's duration in seconds: too small to be an epoch
        ("updateCount", 1_714_658_709, "1714658709"),  # "update" is not "date"
        ("heartbeat", 1_714_658_709, "1714658709"),
        ("startDate", EPOCH_MS, SHOWN_TIME),
        ("createdAt", EPOCH_S, SHOWN_TIME),
        ("ExecutionStartTime", "Nov 29, 2016 7:43:20 PM", "2016-11-29T19:43:20Z"),
    ],
)
def test_only_times_are_shown_as_times(key: str, value: object, shown: str) -> None:
    [signal] = generic.interpret(make_event("Custom Thing", "custom.app", {key: value}), CTX)
    assert field_values(signal)[generic.humanize(key)] == shown


def test_the_current_state_wins_over_the_previous_one_whatever_their_order() -> None:
    detail = {"previousState": "FAILED", "currentState": "SUCCEEDED", "queryExecutionId": "q-2"}
    [signal] = generic.interpret(make_event("Athena Query State Change", "aws.athena", detail), CTX)
    assert (signal.severity, signal.state) == RESOLVED
    assert generic.status_of({"previousState": "FAILED"}) == "FAILED"  # nothing else said


def test_one_query_never_resolves_another_and_an_account_is_no_identity() -> None:
    def query(execution: str, state: str):
        detail = {"currentState": state, "queryExecutionId": execution, "workgroupName": "primary"}
        [signal] = generic.interpret(
            make_event("Athena Query State Change", "aws.athena", detail), CTX
        )
        return signal

    assert query("q-1", "FAILED").fingerprint != query("q-2", "SUCCEEDED").fingerprint
    job = {"accountId": "123456789012", "jobId": "1234-abcd", "status": "ERROR"}
    [signal] = generic.interpret(
        make_event("MediaConvert Job State Change", "aws.mediaconvert", job), CTX
    )
    assert "123456789012" not in signal.title
    assert "1234-abcd" in signal.title
