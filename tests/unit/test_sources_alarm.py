"""CloudWatch alarm interpreter: ALARM fires, OK resolves the same alert, both alarm shapes
(EventBridge and the classic SNS body) give one identity, and links know the partition."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import alarm, interpret
from bot.sources.base import Context
from tests.corpus import load
from tests.factories import alarm as f
from tests.factories import corpus, corpus_sns, field_values, make_event
from tests.strategies import assert_readable, junk_object

CTX = Context()


def _one(event: Event) -> Signal:
    [signal] = alarm.interpret(event, CTX)
    return signal


def _state_change(
    *, account: str = "123456789012", region: str | None = "us-east-1", **kwargs: Any
) -> Event:
    return make_event(
        f.STATE_CHANGE, f.SOURCE, f.state_change(**kwargs), account=account, region=region
    )


def _classic(*, account: str = "", region: str | None = None, **kwargs: Any) -> Event:
    return make_event(f.STATE_CHANGE, f.SOURCE, f.classic(**kwargs), account=account, region=region)


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_single_metric_alarm_fires_high() -> None:
    signal = _one(corpus("cloudwatch_alarm_state_change_single_metric.json"))
    assert signal.family == "alarm"
    assert signal.title == "ServerCpuTooHigh"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == "alarm:123456789012:us-east-1:ServerCpuTooHigh"
    assert signal.console_url == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#alarmsV2:alarm/ServerCpuTooHigh"
    )
    assert signal.description == "Goes into alarm when server CPU utilization is too high!"
    assert signal.resource == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh"
    shown = field_values(signal)
    assert shown["State"] == "OK → ALARM"
    assert shown["Reason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints")
    assert shown["Metric"] == "AWS/EC2 CPUUtilization"
    assert shown["Dimensions"] == "InstanceId=i-12345678901234567"
    assert shown["Statistic"] == "Average over 300 s"
    assert shown["Threshold"] == "50"  # only in reasonData for state-change events
    assert "Expression" not in shown


def test_corpus_metric_math_alarm_shows_its_expression_and_inputs() -> None:
    signal = _one(corpus("cloudwatch_alarm_state_change_metric_math.json"))
    assert signal.title == "TotalNetworkTrafficTooHigh"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    shown = field_values(signal)
    assert shown["State"] == "INSUFFICIENT_DATA → ALARM"
    assert shown["Expression"] == "SUM(METRICS()) (Total Network Traffic)"
    assert shown["Metric"] == "AWS/EC2 NetworkIn, AWS/EC2 NetworkOut"
    assert shown["Threshold"] == "10000"


def test_corpus_anomaly_detection_alarm_shows_the_band_and_quotes_the_link() -> None:
    signal = _one(corpus("cloudwatch_alarm_state_change_anomaly_detection.json"))
    assert signal.title == "EC2 CPU Utilization Anomaly"
    assert signal.fingerprint == "alarm:123456789012:us-east-1:EC2 CPU Utilization Anomaly"
    assert signal.console_url is not None
    assert signal.console_url.endswith("#alarmsV2:alarm/EC2%20CPU%20Utilization%20Anomaly")
    shown = field_values(signal)
    assert shown["Expression"] == "ANOMALY_DETECTION_BAND(m1, 0.8) (CPUUtilization (expected))"
    assert shown["Metric"] == "AWS/EC2 CPUUtilization"


def test_corpus_composite_alarm_shows_rule_and_suppression() -> None:
    signal = _one(corpus("cloudwatch_alarm_state_change_composite_suppressor.json"))
    assert signal.title == "ServiceAggregatedAlarm"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    shown = field_values(signal)
    assert shown["Alarm rule"] == "ALARM(ServerCpuTooHigh) OR ALARM(TotalNetworkTrafficTooHigh)"
    assert shown["Actions suppressed"] == "WaitPeriod (suppressor alarm ServiceMaintenanceAlarm)"
    assert "Metric" not in shown


def test_corpus_configuration_change_is_info_on_the_same_alert() -> None:
    change = _one(corpus("cloudwatch_alarm_configuration_change_update_metric_alarm.json"))
    state = _one(corpus("cloudwatch_alarm_state_change_single_metric.json"))
    assert (change.severity, change.state) == (Severity.INFO, SignalState.INFO)
    assert change.title == "ServerCpuTooHigh"
    assert change.fingerprint == state.fingerprint
    shown = field_values(change)
    assert shown["Change"] == "Update"
    assert shown["Threshold"] == "> 70 → > 80"
    assert shown["State"] == "INSUFFICIENT_DATA"


def test_corpus_classic_alarm_body_fires_with_a_rebuilt_arn() -> None:
    body = load("cloudwatch_alarm_sns_message_body.json")
    # As the envelope parser stores it: the display region resolved, the account from the body.
    event = make_event(f.STATE_CHANGE, f.SOURCE, body, account="000000000000", region="eu-west-1")
    signal = _one(event)
    assert signal.title == "Example"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == "alarm:000000000000:eu-west-1:Example"
    assert signal.resource == "arn:aws:cloudwatch:eu-west-1:000000000000:alarm:Example"
    assert signal.console_url == (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
        "#alarmsV2:alarm/Example"
    )
    assert signal.description == "Example alarm description."
    assert field_values(signal) == {"State": "OK → ALARM", "Reason": "Threshold Crossed"}


def test_corpus_sns_classic_alarm_ok_resolves() -> None:
    sns = corpus_sns("sns_cloudwatch_alarm_ok.json")
    body = json.loads(sns["Message"])
    signal = _one(make_event(f.STATE_CHANGE, f.SOURCE, body, account="", region="us-east-1"))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.RESOLVED)
    assert signal.title == "DBMigrationRequired"
    assert signal.account == "735598076380"  # AWSAccountId, when the event has none
    assert signal.fingerprint == "alarm:735598076380:us-east-1:DBMigrationRequired"
    shown = field_values(signal)
    assert shown["State"] == "ALARM → OK"
    assert shown["Metric"] == "LogMetrics DBMigrationRequired"
    assert shown["Statistic"] == "SUM over 60 s"
    assert shown["Threshold"] == "< 1"
    assert "Dimensions" not in shown  # an empty list shows nothing


# ---------------------------------------------------------------------------------------------
# States and identity
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "severity", "state"),
    [
        ("ALARM", Severity.HIGH, SignalState.FIRING),
        ("INSUFFICIENT_DATA", Severity.LOW, SignalState.FIRING),
        ("OK", Severity.INFO, SignalState.RESOLVED),
        ("ok", Severity.INFO, SignalState.RESOLVED),
        ("SOMETHING_NEW", Severity.LOW, SignalState.INFO),
    ],
)
def test_state_gives_severity_and_state(value: str, severity: Severity, state: SignalState) -> None:
    eventbridge = _one(_state_change(state=value))
    classic = _one(_classic(state=value, account="123456789012", region="us-east-1"))
    assert (eventbridge.severity, eventbridge.state) == (severity, state)
    assert (classic.severity, classic.state) == (severity, state)


def test_one_alarm_keeps_one_fingerprint_across_states_and_shapes() -> None:
    firing = _one(_state_change(state="ALARM"))
    resolved = _one(_state_change(state="OK", previous="ALARM"))
    classic = _one(_classic(state="OK", account="123456789012", region="us-east-1"))
    assert firing.fingerprint == resolved.fingerprint == classic.fingerprint
    assert firing.fingerprint == "alarm:123456789012:us-east-1:CpuHigh"
    assert firing.resource == classic.resource


def test_fingerprints_differ_across_alarms_accounts_and_regions() -> None:
    base = _one(_state_change()).fingerprint
    assert _one(_state_change(name="MemoryHigh")).fingerprint != base
    assert _one(_state_change(account="210987654321")).fingerprint != base
    assert _one(_state_change(region="eu-west-1")).fingerprint != base


def test_eventbridge_thresholds_and_periods_are_readable() -> None:
    shown = field_values(_one(_state_change()))
    assert shown["Threshold"] == "> 80 (3 evaluation periods)"
    assert shown["Statistic"] == "Average over 300 s"


def test_composite_factory_shows_rule_and_suppressor() -> None:
    shown = field_values(_one(_state_change(kind="composite", suppressed_by="Alarm")))
    assert shown["Alarm rule"] == "ALARM(CpuHigh) OR ALARM(MemoryHigh)"
    assert shown["Actions suppressed"] == "Alarm (suppressor alarm MaintenanceWindow)"


@pytest.mark.parametrize(
    ("kind", "expression"),
    [("math", "SUM(METRICS()) (Total)"), ("anomaly", "ANOMALY_DETECTION_BAND(m1, 2)")],
)
def test_expression_alarms_show_the_returned_expression(kind: f.Kind, expression: str) -> None:
    assert field_values(_one(_state_change(kind=kind)))["Expression"] == expression


def test_classic_body_alone_gives_account_and_region() -> None:
    signal = _one(_classic(region=None))  # no event account nor region: read the body
    assert signal.account == "123456789012"
    assert signal.region == "eu-west-1"  # "EU (Ireland)"
    assert signal.fingerprint == "alarm:123456789012:eu-west-1:CpuHigh"
    shown = field_values(signal)
    assert shown["Threshold"] == "≥ 90"
    assert shown["Dimensions"] == "InstanceId=i-0123456789abcdef0"
    assert shown["Statistic"] == "AVERAGE over 60 s"


def test_classic_body_keeps_its_own_arn() -> None:
    arn = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:CpuHigh"
    signal = _one(_classic(arn=arn, trigger=False))
    assert signal.resource == arn
    assert signal.region == "us-west-2"
    assert "Metric" not in field_values(signal)


def test_configuration_change_without_threshold_move() -> None:
    detail = f.configuration_change(threshold=80, previous_threshold=80, operation="create")
    signal = _one(make_event(f.CONFIGURATION_CHANGE, f.SOURCE, detail))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert field_values(signal)["Threshold"] == "> 80 (3 evaluation periods)"
    assert field_values(signal)["Change"] == "Create"


# ---------------------------------------------------------------------------------------------
# Partitions and links
# ---------------------------------------------------------------------------------------------


def test_govcloud_alarm_links_to_the_govcloud_console() -> None:
    signal = _one(_state_change(region="us-gov-east-1"))
    assert signal.console_url == (
        "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-east-1"
        "#alarmsV2:alarm/CpuHigh"
    )
    assert signal.resource == "arn:aws-us-gov:cloudwatch:us-gov-east-1:123456789012:alarm:CpuHigh"


def test_china_alarm_links_to_the_china_console() -> None:
    signal = _one(_classic(region="cn-north-1", account="123456789012"))
    assert signal.console_url == (
        "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#alarmsV2:alarm/CpuHigh"
    )
    assert signal.resource == "arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:CpuHigh"


def test_alarm_names_are_quoted_in_links_and_kept_on_one_line() -> None:
    signal = _one(_state_change(name="api/5xx rate\nhigh"))
    assert signal.title == "api/5xx rate high"
    assert signal.console_url is not None
    assert signal.console_url.endswith("#alarmsV2:alarm/api/5xx%20rate%20high")


def test_dispatch_routes_agent_alarms_here() -> None:
    event = make_event(None, "monitoring.agent.cloudwatch", f.state_change(state="OK"))
    [signal] = interpret(event)
    assert signal.family == "alarm"
    assert signal.state is SignalState.RESOLVED


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------

_KEYS = [
    *f.state_change(),
    *f.classic(),
    "value",
    "reason",
    "reasonData",
    "metrics",
    "metricStat",
    "metric",
    "dimensions",
    "expression",
    "threshold",
    "Dimensions",
    "Threshold",
    "operation",
    "previousConfiguration",
]


@settings(max_examples=50, deadline=None)
@given(
    detail=junk_object(_KEYS),
    detail_type=st.sampled_from([f.STATE_CHANGE, f.CONFIGURATION_CHANGE]),
    resources=st.lists(st.text(max_size=30), max_size=2),
)
def test_any_detail_still_gives_one_signal(
    detail: dict[str, Any], detail_type: str, resources: list[str]
) -> None:
    event = make_event(detail_type, f.SOURCE, detail, resources=resources)
    [signal] = alarm.interpret(event, CTX)
    assert_readable(signal, "alarm:123456789012:us-east-1:")


def test_a_name_utf8_cannot_encode_still_gives_the_alarm_and_its_link() -> None:
    detail = f.state_change(kind="composite")
    detail["alarmName"] = "disk\ud800full"  # a lone surrogate, as JSON may carry
    signal = _one(make_event(f.STATE_CHANGE, f.SOURCE, detail))
    assert signal.family == "alarm"
    assert signal.console_url is not None and "disk%3Ffull" in signal.console_url


@pytest.mark.parametrize("reason_data", ["not json", "[" * 100_000, '{"threshold": "x"}', "[1]"])
def test_bad_reason_data_only_loses_the_threshold(reason_data: str) -> None:
    detail = f.state_change(kind="composite")
    detail["state"]["reasonData"] = reason_data
    signal = _one(make_event(f.STATE_CHANGE, f.SOURCE, detail))
    assert signal.severity is Severity.HIGH
    assert "Threshold" not in field_values(signal)


# ---------------------------------------------------------------------------------------------
# One transition, whichever way it arrives
# ---------------------------------------------------------------------------------------------


def test_one_transition_is_one_occurrence_in_every_shape() -> None:
    """The alarm action, the EventBridge state change and the SNS body of one transition
    name one occurrence, so that the alert applies it once."""
    from bot.envelopes import read_unit
    from bot.ingest import read_event

    def occurrence(name: str) -> str:
        [raw] = read_unit(load(name))
        [signal] = read_event(raw, received_at=1_700_000_000, ttl=60, ctx=CTX)[1]
        return signal.occurrence

    action = occurrence("edge_alarm_action_same_transition_as_eventbridge.json")
    assert action.startswith("alarm-transition:arn:aws:cloudwatch:")
    assert action == occurrence("edge_eventbridge_alarm_state_change_same_transition.json")


def test_transitions_within_one_second_stay_apart() -> None:
    def occurrence(state: str, at: str) -> str:
        detail = f.state_change(state=state, timestamp=f"2024-05-02T14:05:09.{at}+0000")
        return _one(make_event(f.STATE_CHANGE, f.SOURCE, detail)).occurrence

    first, recovered, again = (
        occurrence("ALARM", "100"),
        occurrence("OK", "500"),
        occurrence("ALARM", "900"),
    )
    assert len({first, recovered, again}) == 3
    assert occurrence("ALARM", "100") == first


def test_a_transition_without_its_time_is_its_events_own() -> None:
    detail = f.state_change()
    detail["state"].pop("timestamp")
    assert _one(make_event(f.STATE_CHANGE, f.SOURCE, detail)).occurrence == ""
    configuration = make_event(f.CONFIGURATION_CHANGE, f.SOURCE, f.configuration_change())
    assert _one(configuration).occurrence == ""
