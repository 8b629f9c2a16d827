"""CloudFormation interpreter: failures fire, completions resolve the same alert, drift is
its own alert, and every link opens the stack in its partition's console."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Severity, SignalState
from bot.sources import cloudformation, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event
from tests.factories import cloudformation as cfn
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
CORPUS_STACK_LINK = (
    "https://us-west-1.console.aws.amazon.com/cloudformation/home?region=us-west-1"
    "#/stacks/stackinfo?stackId=arn%3Aaws%3Acloudformation%3Aus-west-1%3A111122223333"
    "%3Astack%2Fteststack"
)


def _stack_event(status: str, **kwargs):
    region = kwargs.pop("region", "us-east-1")
    detail = cfn.stack_status(status, region=region, **kwargs)
    return make_event(cfn.STACK, cfn.SOURCE, detail, region=region)


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_stack_create_complete_resolves_the_stack() -> None:
    [signal] = cloudformation.interpret(
        corpus("cloudformation_stack_status_change_create_complete.json"), CTX
    )
    assert signal.family == "cloudformation"
    assert signal.title == "Stack teststack CREATE_COMPLETE"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.RESOLVED)
    assert signal.fingerprint == "cloudformation:111122223333:us-west-1:teststack"
    assert signal.console_url == CORPUS_STACK_LINK
    assert field_values(signal) == {
        "Stack": "teststack",
        "Status": "CREATE_COMPLETE",
    }


def test_corpus_resource_create_complete_is_keyed_by_logical_id() -> None:
    [signal] = cloudformation.interpret(corpus("cloudformation_resource_status_change.json"), CTX)
    assert signal.title == "teststack: my-s3-bucket (AWS::S3::Bucket) CREATE_COMPLETE"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.RESOLVED)
    assert signal.fingerprint == "cloudformation:111122223333:us-west-1:teststack:my-s3-bucket"
    assert signal.console_url == CORPUS_STACK_LINK
    values = field_values(signal)
    assert values["Physical ID"] == "arn:aws:s3:::my-s3-bucket-us-east-1"
    assert values["Resource type"] == "AWS::S3::Bucket"
    assert values["Logical ID"] == "my-s3-bucket"


# ---------------------------------------------------------------------------------------------
# Status branches
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "severity", "state"),
    [
        ("CREATE_FAILED", Severity.HIGH, SignalState.FIRING),
        ("UPDATE_ROLLBACK_COMPLETE", Severity.HIGH, SignalState.FIRING),
        ("ROLLBACK_IN_PROGRESS", Severity.HIGH, SignalState.FIRING),
        ("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", Severity.HIGH, SignalState.FIRING),
        ("DELETE_FAILED", Severity.HIGH, SignalState.FIRING),
        ("UPDATE_IN_PROGRESS", Severity.INFO, SignalState.INFO),
        ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", Severity.INFO, SignalState.INFO),
        ("REVIEW_IN_PROGRESS", Severity.INFO, SignalState.INFO),
        ("UPDATE_COMPLETE", Severity.INFO, SignalState.RESOLVED),
        ("DELETE_COMPLETE", Severity.INFO, SignalState.RESOLVED),
        ("IMPORT_COMPLETE", Severity.INFO, SignalState.RESOLVED),
        ("", Severity.INFO, SignalState.INFO),
    ],
)
def test_stack_status_decides_severity_and_state(
    status: str, severity: Severity, state: SignalState
) -> None:
    [signal] = cloudformation.interpret(_stack_event(status), CTX)
    assert (signal.severity, signal.state) == (severity, state)


def test_rollback_complete_fires_and_the_next_update_complete_resolves_it() -> None:
    [failed] = cloudformation.interpret(
        _stack_event("UPDATE_ROLLBACK_COMPLETE", reason="Resource update cancelled"), CTX
    )
    [fixed] = cloudformation.interpret(_stack_event("UPDATE_COMPLETE"), CTX)
    assert failed.title == "Stack teststack UPDATE_ROLLBACK_COMPLETE"
    assert (failed.severity, failed.state) == (Severity.HIGH, SignalState.FIRING)
    assert field_values(failed)["Reason"] == "Resource update cancelled"
    assert fixed.state is SignalState.RESOLVED
    assert (
        fixed.fingerprint == failed.fingerprint == "cloudformation:123456789012:us-east-1:teststack"
    )


def test_resource_failure_fires_with_its_own_fingerprint() -> None:
    detail = cfn.resource_status(
        "CREATE_FAILED", logical_id="Queue", resource_type="AWS::SQS::Queue", reason="denied"
    )
    [signal] = cloudformation.interpret(make_event(cfn.RESOURCE, cfn.SOURCE, detail), CTX)
    [stack] = cloudformation.interpret(_stack_event("CREATE_FAILED"), CTX)
    assert signal.title == "teststack: Queue (AWS::SQS::Queue) CREATE_FAILED"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == "cloudformation:123456789012:us-east-1:teststack:Queue"
    assert signal.fingerprint != stack.fingerprint
    assert field_values(signal)["Reason"] == "denied"


def test_retained_resource_is_news_not_a_resolution() -> None:
    detail = cfn.resource_status("DELETE_SKIPPED")
    [signal] = cloudformation.interpret(make_event(cfn.RESOURCE, cfn.SOURCE, detail), CTX)
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.title == "teststack: MyBucket (AWS::S3::Bucket) DELETE_SKIPPED"


@pytest.mark.parametrize(
    ("drift", "detection", "severity", "state"),
    [
        ("DRIFTED", "DETECTION_COMPLETE", Severity.MEDIUM, SignalState.FIRING),
        ("IN_SYNC", "DETECTION_COMPLETE", Severity.INFO, SignalState.RESOLVED),
        ("UNKNOWN", "DETECTION_FAILED", Severity.INFO, SignalState.INFO),
        ("", "DETECTION_IN_PROGRESS", Severity.INFO, SignalState.INFO),
    ],
)
def test_drift_status_decides_severity_and_state(
    drift: str, detection: str, severity: Severity, state: SignalState
) -> None:
    detail = cfn.drift_status(drift, detection=detection)
    [signal] = cloudformation.interpret(make_event(cfn.DRIFT, cfn.SOURCE, detail), CTX)
    assert (signal.severity, signal.state) == (severity, state)


def test_drift_in_sync_resolves_drifted_but_not_a_stack_failure() -> None:
    drifted, in_sync = (
        cloudformation.interpret(make_event(cfn.DRIFT, cfn.SOURCE, cfn.drift_status(s)), CTX)[0]
        for s in ("DRIFTED", "IN_SYNC")
    )
    [stack] = cloudformation.interpret(_stack_event("UPDATE_ROLLBACK_COMPLETE"), CTX)
    assert drifted.title == "Stack teststack drift DRIFTED"
    assert field_values(drifted)["Drifted resources"] == "2"
    assert drifted.fingerprint == in_sync.fingerprint
    assert drifted.fingerprint != stack.fingerprint


def test_drift_in_progress_count_is_not_shown_as_minus_one() -> None:
    detail = cfn.drift_status("", detection="DETECTION_IN_PROGRESS", drifted=-1)
    [signal] = cloudformation.interpret(make_event(cfn.DRIFT, cfn.SOURCE, detail), CTX)
    assert "Drifted resources" not in {f.label for f in signal.fields}
    assert signal.title == "Stack teststack drift DETECTION_IN_PROGRESS"


# ---------------------------------------------------------------------------------------------
# Partitions, reduced events, names and untrusted text
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "host"),
    [*OTHER_PARTITIONS, ("eu-west-1", "https://eu-west-1.console.aws.amazon.com")],
)
def test_console_link_is_in_the_region_partition(region: str, host: str) -> None:
    [signal] = cloudformation.interpret(_stack_event("CREATE_FAILED", region=region), CTX)
    assert signal.console_url is not None
    assert signal.console_url.startswith(
        f"{host}/cloudformation/home?region={region}#/stacks/stackinfo?stackId="
    )
    assert signal.fingerprint == f"cloudformation:123456789012:{region}:teststack"


def test_reduced_event_takes_account_and_region_from_the_stack_arn() -> None:
    detail = cfn.stack_status("CREATE_FAILED", region="eu-west-2", account="210987654321")
    event = make_event(cfn.STACK, cfn.SOURCE, detail, account="", region=None)
    [signal] = cloudformation.interpret(event, CTX)
    assert (signal.account, signal.region) == ("210987654321", "eu-west-2")
    assert signal.fingerprint == "cloudformation:210987654321:eu-west-2:teststack"


def test_account_name_comes_from_the_context() -> None:
    ctx = Context(account_names={"123456789012": "production"})
    [signal] = cloudformation.interpret(_stack_event("CREATE_FAILED"), ctx)
    assert signal.account_name == "production"


def test_agent_source_is_interpreted_as_cloudformation() -> None:
    event = make_event(cfn.STACK, cfn.AGENT_SOURCE, cfn.stack_status("DELETE_FAILED"))
    [signal] = interpret(event)
    assert signal.family == cloudformation.FAMILY
    assert signal.title == "Stack teststack DELETE_FAILED"
    assert signal.source == cfn.AGENT_SOURCE


@pytest.mark.parametrize(
    "detail_type",
    ["AWS API Call via CloudTrail", "CloudFormation StackSet Operation Status Change"],
)
def test_other_detail_types_of_the_source_are_left_to_the_generic_view(detail_type: str) -> None:
    event = make_event(detail_type, cfn.SOURCE, {"eventName": "CreateStack"})
    assert_left_to_generic(cloudformation.interpret, event)


def test_title_stays_on_one_line_and_short() -> None:
    detail = cfn.resource_status(
        "CREATE_FAILED\nsecond line", logical_id="A\nB", resource_type="X" * 500
    )
    [signal] = cloudformation.interpret(make_event(cfn.RESOURCE, cfn.SOURCE, detail), CTX)
    assert "\n" not in signal.title
    assert len(signal.title) <= 150
    assert signal.title.startswith("teststack: A B (")


_EVERY_KEY = {
    **cfn.resource_status(),
    **cfn.drift_status(),
    "status-details": {
        **cfn.resource_status()["status-details"],
        **cfn.drift_status()["status-details"],
    },
}


@settings(max_examples=50, deadline=None)
@given(
    detail_type=st.sampled_from([cfn.STACK, cfn.RESOURCE, cfn.DRIFT, None]),
    detail=junk_like(_EVERY_KEY),
    resources=st.lists(st.text(max_size=40), max_size=2),
    region=st.sampled_from([None, "", "us-east-1", "us-gov-west-1", "cn-north-1"]),
)
def test_any_detail_gives_one_signal(
    detail_type: str | None, detail: object, resources: list[str], region: str | None
) -> None:
    event = make_event(
        detail_type,
        cfn.SOURCE,
        detail if isinstance(detail, dict) else {"stack-id": detail},
        resources=resources,
        region=region,
    )
    [signal] = cloudformation.interpret(event, CTX)
    assert_readable(signal, "cloudformation:")
