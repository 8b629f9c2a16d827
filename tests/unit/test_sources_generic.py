"""Generic interpreter: unknown events are news (info, LOW) with a readable one-line title
made of identifying values, and fields that are never JSON dumps."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import generic, interpret
from bot.sources.base import Context
from tests.factories import corpus_sns, field_values, from_envelope, make_event
from tests.strategies import assert_readable, junk_object

CTX = Context()
SNS = "SNS Notification"


def _notification(
    message: Any,
    *,
    subject: str = "",
    topic_arn: str = "arn:aws:sns:eu-west-1:123456789012:ops",
    attributes: dict[str, str] | None = None,
    region: str | None = "eu-west-1",
) -> Event:
    """The envelope parser's shape for SNS messages that are not events."""
    detail = {
        "subject": subject,
        "message": message,
        "topic_arn": topic_arn,
        "attributes": attributes or {},
    }
    return make_event(SNS, "aws.sns", detail, region=region)


def _one(event: Event) -> Signal:
    [signal] = generic.interpret(event, CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_glue_job_failure_is_titled_by_job_and_state() -> None:
    envelope = json.loads(corpus_sns("sns_glue_job_failed_eventbridge.json")["Message"])
    [signal] = interpret(from_envelope(envelope))  # aws.glue has no family: generic
    assert signal.family == "generic"
    assert signal.title == "Glue Job State Change: test_job FAILED"
    assert (signal.severity, signal.state) == (Severity.LOW, SignalState.INFO)
    assert signal.fingerprint == "generic:aws.glue:Glue Job State Change:000000000000:test_job"
    assert signal.console_url is None
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
    assert (signal.severity, signal.state) == (Severity.LOW, SignalState.INFO)
    assert (
        signal.fingerprint
        == "generic:aws.sns:SNS Notification:123456789012:ExampleTopic/hello-world"
    )
    assert signal.resource == "arn:aws:sns:eu-west-1:123456789012:ExampleTopic"
    shown = field_values(signal)
    assert shown["Event Message"] == "Replication task has stopped."
    assert shown["Source ID"] == "hello-world"
    assert shown["Event Source"] == "replication-task"
    assert signal.description == ""


def test_corpus_plain_text_keeps_the_message_as_description() -> None:
    sns = corpus_sns("sns_plain_text_message.json")
    event = _notification(sns["Message"], subject=sns["Subject"], topic_arn=sns["TopicArn"])
    signal = _one(event)
    assert signal.title == "All Fine"
    assert signal.description == sns["Message"]  # passed through; escaping is Slack's job
    assert field_values(signal) == {"Topic": "ExampleTopic"}


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
    assert signal.title == "SNS message: prod DEGRADED"
    assert field_values(signal) == {"Cluster name": "prod", "Status": "DEGRADED"}


def test_text_message_shows_topic_and_attributes() -> None:
    signal = _one(_notification("hello", attributes={"Team": "payments"}))
    assert field_values(signal) == {"Topic": "ops", "Team": "payments"}


def test_same_topic_and_subject_is_one_alert_other_subjects_are_not() -> None:
    a = _one(_notification("one", subject="Nightly report"))
    b = _one(_notification("two", subject="Nightly report"))
    c = _one(_notification("three", subject="Weekly report"))
    assert (
        a.fingerprint
        == b.fingerprint
        == "generic:aws.sns:SNS Notification:123456789012:ops/Nightly report"
    )
    assert c.fingerprint != a.fingerprint


# ---------------------------------------------------------------------------------------------
# Other details
# ---------------------------------------------------------------------------------------------


def test_unknown_detail_uses_detail_type_name_and_state() -> None:
    detail = {"crawlerName": "nightly", "state": "Failed", "errorMessage": "boom"}
    signal = _one(make_event("Glue Crawler State Change", "aws.glue", detail))
    assert signal.title == "Glue Crawler State Change: nightly Failed"
    assert signal.fingerprint == "generic:aws.glue:Glue Crawler State Change:123456789012:nightly"


def test_an_id_stands_in_for_a_missing_name() -> None:
    signal = _one(make_event("Thing Happened", "custom.app", {"requestId": "r-1", "n": 2}))
    assert signal.title == "Thing Happened: r-1"


def test_first_resource_wins_the_fingerprint() -> None:
    event = make_event("X", "custom.app", {"name": "a"}, resources=["arn:aws:s3:::b"])
    signal = _one(event)
    assert signal.fingerprint == "generic:custom.app:X:123456789012:arn:aws:s3:::b"
    assert signal.resource == "arn:aws:s3:::b"


def test_without_detail_type_the_source_titles_it() -> None:
    signal = _one(make_event(None, "custom.app", {}))
    assert signal.title == "custom.app"
    assert signal.fields == []


def test_nested_values_are_never_dumped_and_fields_are_bounded() -> None:
    detail: dict[str, Any] = {f"key{n}": n for n in range(15)}
    detail["config"] = {"a": [1, 2]}
    detail["items"] = [1, 2]
    signal = _one(make_event("Big", "custom.app", detail))
    assert len(signal.fields) == 10
    assert all(not f.value.startswith(("{", "[")) for f in signal.fields)


def test_titles_stay_on_one_line() -> None:
    signal = _one(make_event("Line\nBreak", "custom.app", {"name": "a\r\nb\tc"}))
    assert signal.title == "Line Break: a b c"


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------


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
    assert (signal.severity, signal.state) == (Severity.LOW, SignalState.INFO)
    assert len(signal.fields) <= 10
