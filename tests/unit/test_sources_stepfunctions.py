"""Step Functions interpreter: one alert per state machine. A failed, timed-out or aborted
execution fires it, the next execution that succeeds resolves it, and the rest (RUNNING…)
is news; dates in epoch milliseconds are shown as UTC times."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Severity, SignalState
from bot.sources import interpret, stepfunctions
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event
from tests.factories import stepfunctions as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
KEY = "stepfunctions:123456789012:us-east-1:orders-flow"


def _one(detail: dict[str, Any], region: str | None = "us-east-1", **kwargs: Any):
    event = make_event(f.EXECUTION_STATUS_CHANGE, f.SOURCE, detail, region=region, **kwargs)
    [signal] = stepfunctions.interpret(event, CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_failed_execution_fires_on_the_state_machine() -> None:
    [signal] = stepfunctions.interpret(
        corpus("stepfunctions_execution_status_change_failed.json"), CTX
    )
    assert signal.family == "stepfunctions"
    assert signal.title == "State machine state-machine: execution FAILED"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == "stepfunctions:012345678912:us-east-1:state-machine"
    assert signal.console_url == (
        "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions"
        "/details/arn%3Aaws%3Astates%3Aus-east-1%3A012345678912%3Aexecution%3Astate-machine-name"
        "%3Aexecution-name"
    )
    values = field_values(signal)
    assert values["Execution"] == "execution-name"
    assert values["Started"] == "2019-02-26 23:52:26 UTC"
    assert values["Stopped"] == "2019-02-26 23:52:31 UTC"
    assert values["Duration"] == "5 s"


@pytest.mark.parametrize(
    ("name", "severity", "state"),
    [
        ("stepfunctions_execution_status_change_timed_out.json", Severity.HIGH, SignalState.FIRING),
        ("stepfunctions_execution_status_change_aborted.json", Severity.HIGH, SignalState.FIRING),
        (
            "stepfunctions_execution_status_change_succeeded.json",
            Severity.INFO,
            SignalState.RESOLVED,
        ),
        ("stepfunctions_execution_status_change_running.json", Severity.INFO, SignalState.INFO),
    ],
)
def test_corpus_statuses(name: str, severity: Severity, state: SignalState) -> None:
    [signal] = stepfunctions.interpret(corpus(name), CTX)
    assert (signal.severity, signal.state) == (severity, state)
    assert signal.fingerprint == "stepfunctions:012345678912:us-east-1:state-machine"


def test_corpus_running_execution_has_no_stop_time() -> None:
    [signal] = stepfunctions.interpret(
        corpus("stepfunctions_execution_status_change_running.json"), CTX
    )
    values = field_values(signal)
    assert values["Started"] == "2019-02-26 23:54:31 UTC"
    assert "Stopped" not in values and "Duration" not in values


# ---------------------------------------------------------------------------------------------
# Statuses
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "severity", "state"),
    [
        ("FAILED", Severity.HIGH, SignalState.FIRING),
        ("TIMED_OUT", Severity.HIGH, SignalState.FIRING),
        ("ABORTED", Severity.HIGH, SignalState.FIRING),
        ("SUCCEEDED", Severity.INFO, SignalState.RESOLVED),
        ("RUNNING", Severity.INFO, SignalState.INFO),
        ("PENDING_REDRIVE", Severity.INFO, SignalState.INFO),
        ("", Severity.INFO, SignalState.INFO),
    ],
)
def test_status_decides_severity(status: str, severity: Severity, state: SignalState) -> None:
    signal = _one(f.execution(status))
    assert (signal.severity, signal.state) == (severity, state)
    assert signal.title == f"State machine orders-flow: execution {status or 'status unknown'}"


@pytest.mark.parametrize("status", ["TIMEDOUT", "ABORTEDX", "UNSUCCEEDED"])
def test_statuses_are_read_as_whole_words(status: str) -> None:
    signal = _one(f.execution(status))
    assert signal.state is SignalState.INFO


def test_the_next_execution_that_succeeds_resolves_the_failure() -> None:
    failed = _one(f.execution("FAILED", execution="run-1"))
    succeeded = _one(f.execution("SUCCEEDED", execution="run-2"))
    assert failed.state is SignalState.FIRING
    assert succeeded.state is SignalState.RESOLVED
    assert failed.fingerprint == succeeded.fingerprint == KEY


def test_state_machines_have_alerts_of_their_own() -> None:
    orders = _one(f.execution("FAILED"))
    billing = _one(f.execution("FAILED", machine="billing-flow"))
    assert orders.fingerprint != billing.fingerprint
    assert billing.title == "State machine billing-flow: execution FAILED"


def test_a_version_or_an_alias_is_the_same_state_machine() -> None:
    detail = f.execution("FAILED")
    detail["stateMachineArn"] += ":prod"
    assert _one(detail).fingerprint == KEY


def test_the_name_falls_back_to_the_execution_arn() -> None:
    detail = f.execution("FAILED")
    del detail["stateMachineArn"]
    signal = _one(detail)
    assert signal.title == "State machine orders-flow: execution FAILED"
    assert signal.fingerprint == KEY


def test_an_express_execution_arn_names_its_state_machine() -> None:
    detail = f.execution("FAILED")
    del detail["stateMachineArn"]
    detail["executionArn"] = (
        "arn:aws:states:us-east-1:123456789012:express:orders-flow:run-1:0b3e1f2a-0000"
    )
    assert _one(detail).fingerprint == KEY


# ---------------------------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------------------------


def test_failure_shows_error_cause_and_times() -> None:
    detail = f.execution(
        "FAILED",
        stop_ms=f.START_MS + 125_000,
        error="States.TaskFailed",
        cause="The payment service answered 503",
    )
    values = field_values(_one(detail))
    assert values["Error"] == "States.TaskFailed"
    assert values["Cause"] == "The payment service answered 503"
    assert values["Started"] == "2023-11-14 22:13:20 UTC"
    assert values["Stopped"] == "2023-11-14 22:15:25 UTC"
    assert values["Duration"] == "2 min"
    assert values["Execution ARN"] == f.execution_arn()


def test_a_json_cause_shows_its_message_and_keeps_the_document_out_of_the_fields() -> None:
    cause = json.dumps({"errorMessage": "Order o-1 not found", "errorType": "KeyError"})
    signal = _one(f.execution("FAILED", error="KeyError", cause=cause))
    assert field_values(signal)["Cause"] == "Order o-1 not found"
    assert signal.description == cause
    assert all(not field.value.startswith(("{", "[")) for field in signal.fields)


def test_the_input_is_not_shown() -> None:
    signal = _one(f.execution("FAILED", input_text='{"card": "4111"}'))
    assert "4111" not in " ".join(field.value for field in signal.fields)


@pytest.mark.parametrize("junk", ["soon", True, [1], {"at": 1}, -5, 10**400, float("nan")])
def test_junk_dates_are_left_out(junk: Any) -> None:
    detail = f.execution("FAILED")
    detail["startDate"] = junk
    detail["stopDate"] = junk
    values = field_values(_one(detail))
    assert "Started" not in values and "Duration" not in values


# ---------------------------------------------------------------------------------------------
# Links, partitions, dispatch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_and_keys_follow_the_partition(region: str, host: str) -> None:
    signal = _one(f.execution("FAILED", region=region), region=region)
    quoted = f.execution_arn(region=region).replace(":", "%3A")
    assert signal.console_url == (
        f"{host}/states/home?region={region}#/v2/executions/details/{quoted}"
    )
    assert signal.fingerprint == f"stepfunctions:123456789012:{region}:orders-flow"


def test_without_an_execution_arn_the_link_is_the_state_machine() -> None:
    detail = f.execution("FAILED")
    del detail["executionArn"]
    quoted = f.state_machine_arn().replace(":", "%3A")
    assert _one(detail).console_url == (
        "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1"
        f"#/statemachines/view/{quoted}"
    )


def test_region_comes_from_the_arns_when_the_envelope_lacks_it() -> None:
    signal = _one(f.execution("FAILED", region="eu-west-1"), region=None)
    assert signal.region == "eu-west-1"
    assert signal.fingerprint == "stepfunctions:123456789012:eu-west-1:orders-flow"
    assert signal.console_url is not None
    assert signal.console_url.startswith("https://eu-west-1.console.aws.amazon.com/")


def test_no_link_when_the_region_is_unknown() -> None:
    signal = _one({"name": "run-1", "status": "FAILED"}, region=None)
    assert signal.console_url is None
    assert signal.region is None
    assert signal.state is SignalState.FIRING


def test_dispatch_reaches_the_stepfunctions_interpreter() -> None:
    [signal] = interpret(corpus("stepfunctions_execution_status_change_timed_out.json"))
    assert signal.family == stepfunctions.FAMILY
    assert signal.state is SignalState.FIRING


def test_a_reduced_event_without_detail_type_is_read_by_its_shape() -> None:
    event = make_event(None, f.SOURCE, f.execution("ABORTED"))
    [signal] = stepfunctions.interpret(event, CTX)
    assert signal.state is SignalState.FIRING
    assert signal.fingerprint == KEY


def test_other_detail_types_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event("AWS API Call via CloudTrail", f.SOURCE, {"eventName": "StartExecution"})
    assert_left_to_generic(stepfunctions.interpret, event)


@settings(max_examples=60, deadline=None)
@given(
    detail=junk_like(
        f.execution("FAILED", stop_ms=f.START_MS + 1, error="E", cause='{"errorMessage": "m"}')
    ),
    resources=st.lists(st.sampled_from([f.execution_arn()]) | st.text(), max_size=2),
)
def test_any_detail_gives_a_readable_signal(detail: object, resources: list[str]) -> None:
    event = make_event(
        f.EXECUTION_STATUS_CHANGE,
        f.SOURCE,
        detail if isinstance(detail, dict) else {"status": detail},
        resources=resources,
    )
    [signal] = stepfunctions.interpret(event, CTX)
    assert_readable(signal, "stepfunctions:123456789012:us-east-1:")
