"""EC2 interpreter: a spot interruption warning is MEDIUM; instance state changes,
rebalance recommendations and EC2's other notices are news. Every event of one instance
shares its alert."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, SignalState
from bot.sources import ec2, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event
from tests.factories import ec2 as f
from tests.strategies import assert_readable, junk_like

CTX = Context()
INSTANCE_LINK = (
    "https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1"
    "#InstanceDetails:instanceId=i-1234567890abcdef0"
)


def _event(
    detail_type: str | None, detail: dict[str, Any], region: str | None = "us-east-1"
) -> Event:
    resources = [f.instance_arn(region=region)] if region else []
    return make_event(detail_type, f.SOURCE, detail, region=region, resources=resources)


def _one(event: Event):
    [signal] = ec2.interpret(event, CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_spot_interruption_warning_is_medium() -> None:
    signal = _one(corpus("ec2_spot_instance_interruption_warning.json"))
    assert signal.family == "ec2"
    assert signal.title == "EC2 spot instance i-1234567890abcdef0: interruption warning (action)"
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert signal.fingerprint == "ec2:123456789012:us-east-2:i-1234567890abcdef0"
    assert signal.console_url == (
        "https://us-east-2.console.aws.amazon.com/ec2/home?region=us-east-2"
        "#InstanceDetails:instanceId=i-1234567890abcdef0"
    )
    assert field_values(signal)["Instance action"] == "action"


def test_corpus_state_change_is_news() -> None:
    signal = _one(corpus("ec2_instance_state_change_pending_custodian.json"))
    assert signal.title == "EC2 instance i-a2d74f12 pending"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.fingerprint == "ec2:101010101111:us-east-1:i-a2d74f12"


def test_corpus_rebalance_recommendation_is_news_on_the_instance_alert() -> None:
    rebalance = _one(corpus("ec2_instance_rebalance_recommendation.json"))
    warning = _one(corpus("ec2_spot_instance_interruption_warning.json"))
    assert rebalance.title == "EC2 spot instance i-1234567890abcdef0: rebalance recommendation"
    assert (rebalance.severity, rebalance.state) == (Severity.INFO, SignalState.INFO)
    assert rebalance.fingerprint == warning.fingerprint


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("ec2_ami_state_change_failed.json", "EC2 AMI State Change: ami-0123456789example failed"),
        (
            "ec2_ebs_volume_notification_attach_failed.json",
            "EBS Volume Notification: vol-01234567 failed",
        ),
    ],
)
def test_corpus_other_ec2_notices_are_news(name: str, title: str) -> None:
    signal = _one(corpus(name))
    assert signal.family == "ec2"
    assert signal.title == title
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.console_url is not None
    assert "us-east-1.console.aws.amazon.com/ec2/home" in signal.console_url


# ---------------------------------------------------------------------------------------------
# Instances
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["terminate", "stop", "hibernate"])
def test_spot_interruption_fires_whatever_the_action(action: str) -> None:
    signal = _one(_event(f.SPOT_INTERRUPTION, f.spot_interruption(action)))
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert signal.title == f"EC2 spot instance {f.INSTANCE}: interruption warning ({action})"
    assert signal.console_url == INSTANCE_LINK


@pytest.mark.parametrize("state", ["pending", "running", "stopping", "stopped", "terminated"])
def test_state_changes_are_news(state: str) -> None:
    signal = _one(_event(f.STATE_CHANGE, f.state_change(state)))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.title == f"EC2 instance {f.INSTANCE} {state}"
    assert field_values(signal)["State"] == state


def test_every_event_of_an_instance_shares_its_alert() -> None:
    warning = _one(_event(f.SPOT_INTERRUPTION, f.spot_interruption()))
    stopped = _one(_event(f.STATE_CHANGE, f.state_change("stopped")))
    other = _one(_event(f.STATE_CHANGE, f.state_change(instance="i-0aaaaaaaaaaaaaaaa")))
    assert warning.fingerprint == stopped.fingerprint == f"ec2:123456789012:us-east-1:{f.INSTANCE}"
    assert other.fingerprint == "ec2:123456789012:us-east-1:i-0aaaaaaaaaaaaaaaa"


def test_the_instance_falls_back_to_the_resource_arn() -> None:
    signal = _one(_event(f.SPOT_INTERRUPTION, {"instance-action": "terminate"}))
    assert signal.title == f"EC2 spot instance {f.INSTANCE}: interruption warning (terminate)"
    assert signal.fingerprint == f"ec2:123456789012:us-east-1:{f.INSTANCE}"


def test_a_link_is_made_from_the_instance_id_without_an_arn() -> None:
    event = make_event(f.STATE_CHANGE, f.SOURCE, f.state_change(), region="us-east-1")
    assert _one(event).console_url == INSTANCE_LINK


def test_braces_in_untrusted_values_are_shown_as_they_are() -> None:
    signal = _one(_event(f.SPOT_INTERRUPTION, f.spot_interruption("{instance}{0}")))
    assert signal.title.endswith("interruption warning ({instance}{0})")


# ---------------------------------------------------------------------------------------------
# Partitions, reduced events, dispatch and robustness
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_follow_the_partition(region: str, host: str) -> None:
    signal = _one(_event(f.SPOT_INTERRUPTION, f.spot_interruption(), region=region))
    assert signal.console_url == (
        f"{host}/ec2/home?region={region}#InstanceDetails:instanceId={f.INSTANCE}"
    )
    assert signal.fingerprint == f"ec2:123456789012:{region}:{f.INSTANCE}"


def test_no_link_without_a_region() -> None:
    signal = _one(_event(f.SPOT_INTERRUPTION, f.spot_interruption(), region=None))
    assert signal.region is None
    assert signal.console_url is None
    assert signal.severity is Severity.MEDIUM


@pytest.mark.parametrize(
    ("detail", "severity", "title"),
    [
        (
            f.spot_interruption(),
            Severity.MEDIUM,
            f"EC2 spot instance {f.INSTANCE}: interruption warning (terminate)",
        ),
        (f.state_change("running"), Severity.INFO, f"EC2 instance {f.INSTANCE} running"),
    ],
)
def test_a_reduced_event_without_detail_type_is_read_by_its_shape(
    detail: dict[str, Any], severity: Severity, title: str
) -> None:
    signal = _one(_event(None, detail))
    assert signal.severity is severity
    assert signal.title == title


def test_dispatch_reaches_the_ec2_interpreter() -> None:
    [signal] = interpret(corpus("ec2_spot_instance_interruption_warning.json"))
    assert signal.family == ec2.FAMILY
    assert signal.state is SignalState.FIRING


def test_cloudtrail_calls_of_the_source_are_read_by_the_generic_family() -> None:
    event = make_event("AWS API Call via CloudTrail", f.SOURCE, {"eventName": "RunInstances"})
    [signal] = interpret(event)
    assert signal.family == "generic"


@settings(max_examples=60, deadline=None)
@given(
    detail_type=st.sampled_from(
        [f.SPOT_INTERRUPTION, f.STATE_CHANGE, f.REBALANCE, "EC2 AMI State Change", None]
    ),
    detail=junk_like({**f.spot_interruption(), "state": "running", "ImageId": "ami-1"}),
    resources=st.lists(st.sampled_from([f.instance_arn()]) | st.text(), max_size=2),
)
def test_any_detail_gives_one_readable_signal(
    detail_type: str | None, detail: object, resources: list[str]
) -> None:
    body = detail if isinstance(detail, dict) else {"instance-id": detail}
    event = make_event(detail_type, f.SOURCE, body, resources=resources)
    [signal] = ec2.interpret(event, CTX)
    assert_readable(signal, "ec2:123456789012:us-east-1:")
    assert signal.severity in (Severity.MEDIUM, Severity.INFO)
