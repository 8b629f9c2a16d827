"""CloudWatch alarm details, in both shapes: EventBridge's and the classic SNS body."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

STATE_CHANGE = "CloudWatch Alarm State Change"
CONFIGURATION_CHANGE = "CloudWatch Alarm Configuration Change"
SOURCE = "aws.cloudwatch"

Kind = Literal["single", "math", "anomaly", "composite"]

# Each detail built is a transition of its own (CloudWatch tells a transition once; two
# events of one transition are one occurrence), at its own second from this time on.
_FIRST_TRANSITION = datetime(2024, 1, 1, tzinfo=UTC)
_transitions = itertools.count()


def next_transition_time() -> datetime:
    return _FIRST_TRANSITION + timedelta(seconds=next(_transitions))


def _metric_stat(name: str, namespace: str = "AWS/EC2", return_data: bool = True) -> dict:
    return {
        "id": name.lower(),
        "metricStat": {
            "metric": {
                "namespace": namespace,
                "name": name,
                "dimensions": {"InstanceId": "i-0123456789abcdef0"},
            },
            "period": 300,
            "stat": "Average",
        },
        "returnData": return_data,
    }


def _configuration(kind: Kind, description: str) -> dict[str, Any]:
    if kind == "composite":
        return {
            "description": description,
            "alarmRule": "ALARM(CpuHigh) OR ALARM(MemoryHigh)",
            "actionsSuppressor": "MaintenanceWindow",
        }
    if kind == "math":
        metrics = [
            {"id": "e1", "expression": "SUM(METRICS())", "label": "Total", "returnData": True},
            _metric_stat("NetworkIn", return_data=False),
            _metric_stat("NetworkOut", return_data=False),
        ]
    elif kind == "anomaly":
        metrics = [
            _metric_stat("CPUUtilization"),
            {"id": "ad1", "expression": "ANOMALY_DETECTION_BAND(m1, 2)", "returnData": True},
        ]
    else:
        metrics = [_metric_stat("CPUUtilization")]
    return {
        "description": description,
        "metrics": metrics,
        "threshold": 80,
        "comparisonOperator": "GreaterThanThreshold",
        "evaluationPeriods": 3,
    }


def state_change(
    *,
    name: str = "CpuHigh",
    state: str = "ALARM",
    previous: str = "OK",
    reason: str = "Threshold Crossed: 3 datapoints were greater than the threshold (80.0).",
    kind: Kind = "single",
    description: str = "CPU is too high",
    suppressed_by: str | None = None,
    timestamp: str | None = None,
) -> dict[str, Any]:
    """An EventBridge "CloudWatch Alarm State Change" detail, a new transition unless
    `timestamp` names one."""
    when = timestamp or next_transition_time().strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    current: dict[str, Any] = {"value": state, "reason": reason, "timestamp": when}
    if suppressed_by:
        current["actionsSuppressedBy"] = suppressed_by
    return {
        "alarmName": name,
        "state": current,
        "previousState": {"value": previous, "reason": "earlier"},
        "configuration": _configuration(kind, description),
    }


def configuration_change(
    *,
    name: str = "CpuHigh",
    operation: str = "update",
    threshold: float = 80,
    previous_threshold: float = 70,
) -> dict[str, Any]:
    """An EventBridge "CloudWatch Alarm Configuration Change" detail."""
    config = _configuration("single", "CPU is too high")
    before = {**config, "threshold": previous_threshold}
    return {
        "alarmName": name,
        "operation": operation,
        "state": {"value": "OK"},
        "configuration": {**config, "threshold": threshold},
        "previousConfiguration": before,
    }


def classic(
    *,
    name: str = "CpuHigh",
    state: str = "ALARM",
    previous: str = "OK",
    account: str = "123456789012",
    region: str = "EU (Ireland)",
    trigger: bool = True,
    arn: str | None = None,
    timestamp: str | None = None,
) -> dict[str, Any]:
    """A classic SNS alarm body, as the parser stores it in `detail`; a new transition
    unless `timestamp` names one."""
    body: dict[str, Any] = {
        "AlarmName": name,
        "AlarmDescription": "CPU is too high",
        "AWSAccountId": account,
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed",
        "StateChangeTime": timestamp
        or next_transition_time().strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "Region": region,
        "OldStateValue": previous,
    }
    if trigger:
        body["Trigger"] = {
            "MetricName": "CPUUtilization",
            "Namespace": "AWS/EC2",
            "Statistic": "AVERAGE",
            "Dimensions": [{"name": "InstanceId", "value": "i-0123456789abcdef0"}],
            "Period": 60,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 90.0,
        }
    if arn:
        body["AlarmArn"] = arn
    return body
