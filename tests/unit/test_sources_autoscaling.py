"""Auto Scaling interpreter: a launch or a termination that failed is HIGH, on the group's
alert for that activity; the next successful launch resolves a launch failure; successful
terminations, lifecycle hooks and instance refreshes are news."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Severity, SignalState
from bot.sources import autoscaling, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event, one_signal
from tests.factories import autoscaling as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
LAUNCH_KEY = "autoscaling:123456789012:us-east-1:web-asg:launch"
TERMINATE_KEY = "autoscaling:123456789012:us-east-1:web-asg:terminate"
ACTIVITY_LINK = (
    "https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1"
    "#AutoScalingGroupDetails:id=web-asg;view=activity"
)


_one = partial(one_signal, autoscaling.interpret, f.SOURCE)


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_launch_unsuccessful_fires_with_the_reason() -> None:
    [signal] = autoscaling.interpret(corpus("autoscaling_launch_unsuccessful_custodian.json"), CTX)
    assert signal.family == "autoscaling"
    assert signal.title == "Auto Scaling group CustodianTest: instance launch failed"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == "autoscaling:619193117841:us-west-2:CustodianTest:launch"
    values = field_values(signal)
    assert values["Status message"].startswith("snapshotId can only be modified on EBS devices")
    assert values["Status code"] == "Failed"
    assert "Instance" not in values  # EC2InstanceId is "": no instance was made
    assert signal.resource.endswith("autoScalingGroupName/CustodianTest")


@pytest.mark.parametrize(
    ("name", "severity", "state", "key"),
    [
        ("autoscaling_launch_unsuccessful.json", Severity.HIGH, SignalState.FIRING, "launch"),
        ("autoscaling_launch_successful.json", Severity.INFO, SignalState.RESOLVED, "launch"),
        ("autoscaling_terminate_unsuccessful.json", Severity.HIGH, SignalState.FIRING, "terminate"),
        ("autoscaling_terminate_successful.json", Severity.INFO, SignalState.INFO, "terminate"),
    ],
)
def test_corpus_activities(name: str, severity: Severity, state: SignalState, key: str) -> None:
    [signal] = autoscaling.interpret(corpus(name), CTX)
    assert (signal.severity, signal.state) == (severity, state)
    assert signal.fingerprint == f"autoscaling:123456789012:us-west-2:my-auto-scaling-group:{key}"


def test_corpus_lifecycle_action_is_news_on_its_activity() -> None:
    [signal] = autoscaling.interpret(
        corpus("autoscaling_launch_lifecycle_action_warm_pool_to_asg.json"), CTX
    )
    assert signal.title == (
        "Auto Scaling group my-asg: i-1234567890abcdef0 waits on the launch lifecycle hook "
        "my-launch-lifecycle-hook"
    )
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.fingerprint == "autoscaling:123456789012:us-west-2:my-asg:launch"
    values = field_values(signal)
    assert (values["Origin"], values["Destination"]) == ("WarmPool", "AutoScalingGroup")


def test_corpus_instance_refresh_is_news() -> None:
    [signal] = autoscaling.interpret(corpus("autoscaling_instance_refresh_started.json"), CTX)
    assert signal.title == "Auto Scaling group my-auto-scaling-group: Instance Refresh Started"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert field_values(signal)["Instance refresh ID"] == "c613620e-07e2-4ed2-a9e2-ef8258911ade"


# ---------------------------------------------------------------------------------------------
# Activities
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detail_type", "terminating", "severity", "state", "title"),
    [
        (f.LAUNCH_UNSUCCESSFUL, False, Severity.HIGH, SignalState.FIRING, "launch of i-1 failed"),
        (f.LAUNCH_SUCCESSFUL, False, Severity.INFO, SignalState.RESOLVED, "launched i-1"),
        (
            f.TERMINATE_UNSUCCESSFUL,
            True,
            Severity.HIGH,
            SignalState.FIRING,
            "termination of i-1 failed",
        ),
        (f.TERMINATE_SUCCESSFUL, True, Severity.INFO, SignalState.INFO, "terminated i-1"),
    ],
)
def test_detail_type_decides(
    detail_type: str, terminating: bool, severity: Severity, state: SignalState, title: str
) -> None:
    signal = _one(detail_type, f.activity(instance="i-1", terminating=terminating))
    assert (signal.severity, signal.state) == (severity, state)
    assert signal.title == f"Auto Scaling group web-asg: {title}"
    assert signal.console_url == ACTIVITY_LINK


def test_a_successful_launch_resolves_the_launch_failure() -> None:
    failed = _one(f.LAUNCH_UNSUCCESSFUL, f.activity("Failed", status_message="No capacity"))
    launched = _one(f.LAUNCH_SUCCESSFUL, f.activity("Successful", instance="i-2"))
    assert failed.state is SignalState.FIRING
    assert launched.state is SignalState.RESOLVED
    assert failed.fingerprint == launched.fingerprint == LAUNCH_KEY
    assert field_values(failed)["Status message"] == "No capacity"


def test_a_successful_launch_does_not_resolve_a_termination_failure() -> None:
    failed = _one(f.TERMINATE_UNSUCCESSFUL, f.activity("Failed", terminating=True))
    launched = _one(f.LAUNCH_SUCCESSFUL, f.activity())
    terminated = _one(f.TERMINATE_SUCCESSFUL, f.activity(terminating=True))
    assert failed.fingerprint == terminated.fingerprint == TERMINATE_KEY
    assert launched.fingerprint != failed.fingerprint
    assert terminated.state is SignalState.INFO


def test_groups_have_alerts_of_their_own() -> None:
    web = _one(f.LAUNCH_UNSUCCESSFUL, f.activity())
    batch = _one(f.LAUNCH_UNSUCCESSFUL, f.activity(group="batch-asg"))
    assert web.fingerprint != batch.fingerprint


def test_the_group_name_falls_back_to_its_arn() -> None:
    detail = f.activity()
    del detail["AutoScalingGroupName"]
    signal = _one(f.LAUNCH_UNSUCCESSFUL, detail, resources=[f.group_arn()])
    assert signal.title.startswith("Auto Scaling group web-asg: ")
    assert signal.fingerprint == LAUNCH_KEY


def test_activity_fields() -> None:
    values = field_values(_one(f.LAUNCH_UNSUCCESSFUL, f.activity("Failed", status_message="m")))
    assert values["Group"] == "web-asg"
    assert values["Availability zone"] == "us-east-1b"
    assert values["Subnet ID"] == "subnet-12345678"
    assert values["Activity ID"] == f.ACTIVITY_ID
    assert values["Cause"].startswith("At 2023-11-14T22:13:00Z")


@pytest.mark.parametrize(
    ("detail_type", "terminating", "key"),
    [(f.LAUNCH_LIFECYCLE, False, LAUNCH_KEY), (f.TERMINATE_LIFECYCLE, True, TERMINATE_KEY)],
)
def test_lifecycle_actions_are_news_on_their_activity(
    detail_type: str, terminating: bool, key: str
) -> None:
    signal = _one(detail_type, f.lifecycle_action(terminating=terminating))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.fingerprint == key
    assert "drain-hook" in signal.title


def test_instance_refresh_events_are_news_on_an_alert_of_their_own() -> None:
    signal = _one(f.REFRESH_STARTED, f.instance_refresh())
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.fingerprint not in (LAUNCH_KEY, TERMINATE_KEY)


# ---------------------------------------------------------------------------------------------
# Reduced events, links, dispatch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detail", "severity", "state", "key"),
    [
        (f.activity("Failed"), Severity.HIGH, SignalState.FIRING, LAUNCH_KEY),
        (f.activity("Failed", terminating=True), Severity.HIGH, SignalState.FIRING, TERMINATE_KEY),
        (f.activity("Successful"), Severity.INFO, SignalState.INFO, LAUNCH_KEY),
        (f.lifecycle_action(terminating=True), Severity.INFO, SignalState.INFO, TERMINATE_KEY),
    ],
)
def test_a_reduced_event_without_detail_type_is_read_by_its_shape(
    detail: dict[str, Any], severity: Severity, state: SignalState, key: str
) -> None:
    signal = _one(None, detail)
    assert (signal.severity, signal.state, signal.fingerprint) == (severity, state, key)


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_and_keys_follow_the_partition(region: str, host: str) -> None:
    signal = _one(f.LAUNCH_UNSUCCESSFUL, f.activity(), region=region)
    assert signal.console_url == (
        f"{host}/ec2/home?region={region}#AutoScalingGroupDetails:id=web-asg;view=activity"
    )
    assert signal.fingerprint == f"autoscaling:123456789012:{region}:web-asg:launch"


def test_region_comes_from_the_group_arn_when_the_envelope_lacks_it() -> None:
    signal = _one(
        f.LAUNCH_UNSUCCESSFUL,
        f.activity(),
        region=None,
        resources=[f.group_arn(region="eu-west-1")],
    )
    assert signal.fingerprint == "autoscaling:123456789012:eu-west-1:web-asg:launch"
    assert signal.console_url is not None
    assert signal.console_url.startswith("https://eu-west-1.console.aws.amazon.com/")


def test_no_link_when_the_region_is_unknown() -> None:
    signal = _one(f.LAUNCH_UNSUCCESSFUL, f.activity(), region=None)
    assert signal.console_url is None
    assert signal.state is SignalState.FIRING


def test_dispatch_reaches_the_autoscaling_interpreter() -> None:
    [signal] = interpret(corpus("autoscaling_terminate_unsuccessful.json"))
    assert signal.family == autoscaling.FAMILY
    assert signal.state is SignalState.FIRING


def test_other_detail_types_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event(
        "AWS API Call via CloudTrail", f.SOURCE, {"eventName": "UpdateAutoScalingGroup"}
    )
    assert_left_to_generic(autoscaling.interpret, event)


@settings(max_examples=60, deadline=None)
@given(
    detail_type=st.sampled_from(
        [f.LAUNCH_UNSUCCESSFUL, f.LAUNCH_SUCCESSFUL, f.TERMINATE_LIFECYCLE, f.REFRESH_STARTED, None]
    ),
    detail=junk_like({**f.activity("Failed"), **f.lifecycle_action()}),
    resources=st.lists(st.sampled_from([f.group_arn()]) | st.text(), max_size=2),
)
def test_any_detail_gives_a_readable_signal(
    detail_type: str | None, detail: object, resources: list[str]
) -> None:
    event = make_event(
        detail_type,
        f.SOURCE,
        detail if isinstance(detail, dict) else {"AutoScalingGroupName": detail},
        resources=resources,
    )
    [signal] = autoscaling.interpret(event, CTX)
    assert_readable(signal, "autoscaling:123456789012:us-east-1:")
