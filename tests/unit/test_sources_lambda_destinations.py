"""Lambda interpreter: a failure record (retries exhausted, event too old, a stream batch
given up) is HIGH, a success record is news, both on the function's one alert whatever
version or alias ran; the request payload is never shown."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, SignalState
from bot.sources import interpret, lambda_destinations
from bot.sources.base import Context
from tests.corpus import load
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event
from tests.factories import lambda_destinations as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
FUNCTION_LINK = (
    "https://us-east-1.console.aws.amazon.com/lambda/home?region=us-east-1#/functions/my-function"
)


def _record_file(name: str, detail_type: str = f.FAILURE) -> Event:
    """A corpus record as the bot stores it: account and region are left to its ARN."""
    return make_event(detail_type, f.SOURCE, load(name), account="", region=None)


def _event(
    detail: dict[str, Any], detail_type: str | None = f.FAILURE, region: str | None = "us-east-1"
) -> Event:
    return make_event(detail_type, f.SOURCE, detail, region=region)


def _one(event: Event):
    [signal] = lambda_destinations.interpret(event, CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_retries_exhausted_record_is_high() -> None:
    signal = _one(_record_file("lambda_destination_retries_exhausted_unhandled.json"))
    assert signal.family == "lambda"
    assert signal.title == "Lambda my-function failed: RetriesExhausted after 3 attempts"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == "lambda:123456789012:us-east-2:my-function"
    assert signal.console_url == (
        "https://us-east-2.console.aws.amazon.com/lambda/home?region=us-east-2"
        "#/functions/my-function"
    )
    values = field_values(signal)
    assert values["Error message"].endswith("Process exited before completing request")
    assert values["Request ID"] == "e4b46cbf-b738-xmpl-8880-a18cdf61200e"
    assert values["Attempts"] == "3"
    assert values["Function error"] == "Unhandled"
    assert "9e07af03" not in str(signal.model_dump())


def test_corpus_eventbridge_failure_shows_the_error_and_its_trace() -> None:
    signal = _one(corpus("edge_eventbridge_lambda_invocation_result_failure.json"))
    assert signal.title == "Lambda orders-reconciler failed: RetriesExhausted after 3 attempts"
    assert signal.fingerprint == "lambda:111122223333:eu-west-1:orders-reconciler"
    values = field_values(signal)
    assert values["Error type"] == "Runtime.UnhandledPromiseRejection"
    assert values["Error message"] == "Error: connect ETIMEDOUT 10.0.12.41:5432"
    assert values["Version"] == "$LATEST"
    assert signal.description.startswith("Runtime.UnhandledPromiseRejection: Error: connect")
    assert "batchId" not in str(signal.model_dump())


@pytest.mark.parametrize(
    ("name", "stream"),
    [
        (
            "lambda_destination_kinesis_retry_attempts_exhausted.json",
            "arn:aws:kinesis:us-east-2:123456789012:stream/mystream",
        ),
        (
            "lambda_destination_dynamodb_retry_attempts_exhausted.json",
            "arn:aws:dynamodb:us-east-2:123456789012:table/mytable/stream/2019-11-14T00:04:06.388",
        ),
    ],
)
def test_corpus_stream_batch_given_up_names_its_stream(name: str, stream: str) -> None:
    signal = _one(_record_file(name))
    assert signal.title == "Lambda myfunction failed: RetryAttemptsExhausted after 1 attempt"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert field_values(signal)["Batch source"] == stream
    assert signal.fingerprint == "lambda:123456789012:us-east-2:myfunction"


# ---------------------------------------------------------------------------------------------
# Failure and success
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("condition", ["RetriesExhausted", "EventAgeExceeded"])
def test_failure_records_are_high(condition: str) -> None:
    signal = _one(_event(f.record(condition, attempts=2)))
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.title == f"Lambda my-function failed: {condition} after 2 attempts"
    assert field_values(signal)["Condition"] == condition
    assert signal.console_url == FUNCTION_LINK


def test_success_is_news_on_the_alert_of_the_function_whatever_ran() -> None:
    failed = _one(_event(f.record(qualifier="$LATEST")))
    succeeded = _one(_event(f.record("Success", qualifier="live"), f.SUCCESS))
    unqualified = _one(_event(f.record(qualifier=None)))
    other = _one(_event(f.record(function="other-function")))
    assert (succeeded.severity, succeeded.state) == (Severity.INFO, SignalState.INFO)
    assert succeeded.title == "Lambda my-function succeeded"
    assert succeeded.description == ""
    assert (
        failed.fingerprint
        == succeeded.fingerprint
        == unqualified.fingerprint
        == "lambda:123456789012:us-east-1:my-function"
    )
    assert other.fingerprint == "lambda:123456789012:us-east-1:other-function"


def test_the_request_payload_is_never_shown() -> None:
    signal = _one(_event(f.record(stack=["at handler (index.js:1:1)"])))
    dumped = str(signal.model_dump())
    assert "secret-order-42" not in dumped
    assert "4111111111111111" not in dumped
    assert signal.description == "at handler (index.js:1:1)"


def test_a_long_error_message_is_clipped() -> None:
    signal = _one(_event(f.record(error_message="boom " * 200)))
    message = field_values(signal)["Error message"]
    assert len(message) <= 300
    assert message.startswith("boom boom")
    assert message.endswith("…")


def test_without_attempts_or_condition_the_title_still_says_it_failed() -> None:
    detail = f.record(attempts=None)
    del detail["requestContext"]["condition"]
    signal = _one(_event(detail))
    assert signal.title == "Lambda my-function failed: invocation failed"
    assert "Attempts" not in field_values(signal)


def test_the_function_falls_back_to_the_resources() -> None:
    detail = f.record()
    del detail["requestContext"]["functionArn"]
    event = make_event(
        f.FAILURE,
        f.SOURCE,
        detail,
        resources=["arn:aws:events:us-east-1:123456789012:event-bus/default", f.function_arn()],
    )
    assert _one(event).fingerprint == "lambda:123456789012:us-east-1:my-function"


# ---------------------------------------------------------------------------------------------
# Partitions, reduced events, dispatch and robustness
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_follow_the_partition(region: str, host: str) -> None:
    signal = _one(_event(f.record(region=region), region=region))
    assert signal.console_url == f"{host}/lambda/home?region={region}#/functions/my-function"
    assert signal.fingerprint == f"lambda:123456789012:{region}:my-function"


def test_no_link_without_a_region() -> None:
    detail = f.record()
    detail["requestContext"]["functionArn"] = "my-function"
    signal = _one(_event(detail, region=None))
    assert signal.region is None
    assert signal.console_url is None
    assert signal.severity is Severity.HIGH


@pytest.mark.parametrize(
    ("condition", "severity", "state"),
    [
        ("RetriesExhausted", Severity.HIGH, SignalState.FIRING),
        ("Success", Severity.INFO, SignalState.INFO),
        ("Unsuccessful", Severity.HIGH, SignalState.FIRING),
    ],
)
def test_a_reduced_record_without_detail_type_is_read_by_its_condition(
    condition: str, severity: Severity, state: SignalState
) -> None:
    signal = _one(_event(f.record(condition), detail_type=None))
    assert (signal.severity, signal.state) == (severity, state)


def test_dispatch_reaches_the_lambda_interpreter() -> None:
    [signal] = interpret(corpus("edge_eventbridge_lambda_invocation_result_failure.json"))
    assert signal.family == lambda_destinations.FAMILY
    assert signal.severity is Severity.HIGH


def test_cloudtrail_calls_of_lambda_are_left_to_the_generic_view() -> None:
    event = make_event("AWS API Call via CloudTrail", "aws.lambda", {"eventName": "Invoke"})
    assert_left_to_generic(lambda_destinations.interpret, event)


@settings(max_examples=60, deadline=None)
@given(
    detail_type=st.sampled_from([f.FAILURE, f.SUCCESS]),
    detail=junk_like(f.record(stack=["line"])),
    resources=st.lists(st.sampled_from([f.function_arn()]) | st.text(), max_size=2),
)
def test_any_detail_gives_one_readable_signal(
    detail_type: str, detail: object, resources: list[str]
) -> None:
    body = detail if isinstance(detail, dict) else {"requestContext": detail}
    event = make_event(detail_type, f.SOURCE, body, resources=resources)
    [signal] = lambda_destinations.interpret(event, CTX)
    assert_readable(signal, "lambda:123456789012:us-east-1:")
    assert signal.severity is (Severity.HIGH if detail_type == f.FAILURE else Severity.INFO)
    assert "secret-order-42" not in str(signal.model_dump())
