"""Cost Anomaly Detection interpreter: every anomaly is MEDIUM, in either shape (the
EventBridge detail or a subscription's SNS JSON), keyed by its monitor and dimension, and
linked to the anomaly only when its own link goes to an AWS console."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, SignalState
from bot.sources import costanomaly, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus_sns, field_values, make_event
from tests.factories import costanomaly as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
OVERVIEW = (
    "https://us-east-1.console.aws.amazon.com/cost-management/home?region=us-east-1"
    "#/anomaly-detection/overview"
)
MONITOR = f.monitor_arn()
EC2 = "Amazon Elastic Compute Cloud - Compute"


def _corpus() -> Event:
    """The corpus anomaly, as the bot stores a subscription's SNS JSON."""
    sns = corpus_sns("edge_sns_cost_anomaly_detection.json")
    detail = json.loads(sns["Message"])
    return make_event(
        f.ANOMALY,
        f.SOURCE,
        detail,
        account=detail["accountId"],
        region="us-east-1",
        resources=[detail["monitorArn"]],
    )


def _event(detail: dict[str, Any], region: str | None = "us-east-1") -> Event:
    return make_event(f.ANOMALY, f.SOURCE, detail, region=region, resources=[MONITOR])


def _one(event: Event):
    [signal] = costanomaly.interpret(event, CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus and shapes
# ---------------------------------------------------------------------------------------------


def test_corpus_subscription_anomaly_is_medium() -> None:
    signal = _one(_corpus())
    assert signal.family == "costanomaly"
    assert signal.title == (
        "Cost anomaly on Amazon Relational Database Service: $427.00 above expected (163.0%)"
    )
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    monitor = "arn:aws:ce::111122223333:anomalymonitor/5d3e1c2b-7a9f-4e08-b6d1-2c3b4a5f6e7d"
    assert signal.fingerprint == (
        f"costanomaly:111122223333:us-east-1:{monitor}:Amazon Relational Database Service"
    )
    assert signal.console_url == (
        "https://console.aws.amazon.com/cost-management/home#/anomaly-detection/monitors/"
        "5d3e1c2b-7a9f-4e08-b6d1-2c3b4a5f6e7d/anomalies/9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"
    )
    values = field_values(signal)
    assert values["Actual spend"] == "$689.00"
    assert values["Expected spend"] == "$262.00"
    assert values["Root causes"] == (
        "Amazon Relational Database Service / eu-west-1 / 111122223333 (prod)"
        " / EU-InstanceUsage:db.r6g.2xl"
    )
    assert values["Period"] == "2024-05-12T00:00:00Z to 2024-05-13T00:00:00Z"


def test_eventbridge_anomaly_is_medium_with_its_monitor_named() -> None:
    signal = _one(_event(f.anomaly()))
    assert signal.title == f"Cost anomaly on {EC2}: $1,001.00 above expected (333.7%)"
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert signal.fingerprint == f"costanomaly:123456789012:us-east-1:{MONITOR}:{EC2}"
    values = field_values(signal)
    assert values["Monitor"] == "ServiceMonitor"
    assert values["Score"] == "0.47 (max 0.61)"
    assert values["Max daily impact"] == "$151.00"
    assert signal.console_url == f.LINK


def test_both_shapes_of_one_anomaly_share_its_alert() -> None:
    eventbridge = _one(_event(f.anomaly()))
    sns = _one(_event(f.sns_anomaly()))
    assert sns.fingerprint == eventbridge.fingerprint
    assert sns.title == eventbridge.title
    assert field_values(sns)["Monitor"] == f.MONITOR_ID


def test_dimensions_and_monitors_make_separate_alerts() -> None:
    base = _one(_event(f.anomaly()))
    other_dimension = _one(_event(f.anomaly(dimension="Amazon S3")))
    other_monitor = _one(_event(f.anomaly(monitor_id="99999999-1234-4ea0-84cc-918a97d736ef")))
    later = _one(_event(f.anomaly(anomaly_id="another-anomaly", total_impact=12)))
    assert len({base.fingerprint, other_dimension.fingerprint, other_monitor.fingerprint}) == 3
    assert later.fingerprint == base.fingerprint


def test_without_an_impact_the_title_names_the_dimension_only() -> None:
    detail = f.anomaly()
    del detail["impact"]
    assert _one(_event(detail)).title == f"Cost anomaly on {EC2}"


# ---------------------------------------------------------------------------------------------
# The anomaly's own link
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        f.LINK,
        "https://us-east-1.console.aws.amazon.com/cost-management/home#/anomaly-detection",
        "https://console.amazonaws-us-gov.com/cost-management/home",
        "https://console.amazonaws.cn/cost-management/home",
    ],
)
def test_a_console_link_of_aws_is_followed(link: str) -> None:
    assert _one(_event(f.anomaly(link=link))).console_url == link


@pytest.mark.parametrize(
    "link",
    [
        "http://console.aws.amazon.com/cost-management/home",
        "https://evil.example.com/cost-management/home",
        "https://console.aws.amazon.com.evil.example.com/x",
        "https://user@console.aws.amazon.com/x",
        "https://evil.example.com\\@console.aws.amazon.com/x",
        "https://console.aws.amazon.com:8443/x",
        "https://console.aws.amazon.com/x y",
        "javascript:alert(1)",
        "https://[::1/x",
        "",
        None,
    ],
)
def test_any_other_link_gives_way_to_the_cost_console(link: str | None) -> None:
    detail = f.anomaly(link=link)
    if link is None:
        detail["anomalyDetailsLink"] = {"url": f.LINK}
    assert _one(_event(detail)).console_url == OVERVIEW


# ---------------------------------------------------------------------------------------------
# Partitions, dispatch and robustness
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_the_fallback_link_follows_the_partition(region: str, host: str) -> None:
    signal = _one(_event(f.anomaly(link=None), region=region))
    assert signal.console_url == (
        f"{host}/cost-management/home?region={region}#/anomaly-detection/overview"
    )
    assert signal.fingerprint == f"costanomaly:123456789012:{region}:{MONITOR}:{EC2}"


def test_no_link_without_a_region_or_a_link_of_its_own() -> None:
    signal = _one(_event(f.anomaly(link=None), region=None))
    assert signal.region is None
    assert signal.console_url is None
    assert signal.severity is Severity.MEDIUM


def test_a_reduced_event_without_detail_type_is_read_by_its_shape() -> None:
    event = make_event(None, f.SOURCE, f.sns_anomaly())
    assert _one(event).title == f"Cost anomaly on {EC2}: $1,001.00 above expected (333.7%)"


def test_dispatch_reaches_the_costanomaly_interpreter() -> None:
    [signal] = interpret(_corpus())
    assert signal.family == costanomaly.FAMILY
    assert signal.severity is Severity.MEDIUM


def test_cloudtrail_calls_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event("AWS API Call via CloudTrail", f.SOURCE, {"eventName": "GetAnomalies"})
    assert_left_to_generic(costanomaly.interpret, event)


@settings(max_examples=60, deadline=None)
@given(detail=junk_like(f.anomaly()), sns=junk_like(f.sns_anomaly()), which=st.booleans())
def test_any_detail_gives_one_readable_signal(detail: object, sns: object, which: bool) -> None:
    body = detail if which else sns
    event = make_event(f.ANOMALY, f.SOURCE, body if isinstance(body, dict) else {"impact": body})
    [signal] = costanomaly.interpret(event, CTX)
    assert_readable(signal, "costanomaly:123456789012:us-east-1:")
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert signal.console_url is None or signal.console_url.startswith("https://")
