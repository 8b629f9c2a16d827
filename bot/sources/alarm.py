"""CloudWatch alarms: a state change fires or resolves the alert of one alarm.

Alarms reach us in two shapes that mean the same thing: EventBridge's "CloudWatch Alarm
State Change" (camelCase, `state`/`previousState`/`configuration`) and the classic SNS
alarm body (PascalCase, `NewStateValue`/`Trigger`). Both are read into one `_Alarm` view,
so that one alarm gives one fingerprint and the same fields whichever way it arrived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.models import Event, Severity, Signal, SignalField, SignalState
from bot.regions import account_from_arn, partition, region_code, region_from_arn
from bot.sources import alarm_queries, registry
from bot.sources.alarm_queries import MetricQuery, reason_threshold
from bot.sources.base import (
    Context,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    humanize,
    make_signal,
    number,
    scalar,
)
from bot.sources.console import quote
from bot.timeutil import parse_time_ms


class AlarmState(StrEnum):
    ALARM = "ALARM"
    OK = "OK"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


FAMILY = registry.ALARM
CONFIGURATION_CHANGE = "CloudWatch Alarm Configuration Change"

_STATES: dict[str, tuple[Severity, SignalState]] = {
    AlarmState.ALARM: (Severity.HIGH, SignalState.FIRING),
    AlarmState.INSUFFICIENT_DATA: (Severity.LOW, SignalState.FIRING),
    AlarmState.OK: (Severity.INFO, SignalState.RESOLVED),
}
# A state CloudWatch does not define: worth telling, not worth paging anyone for.
_UNKNOWN_STATE = (Severity.LOW, SignalState.INFO)

_OPERATORS = {
    "GreaterThanOrEqualToThreshold": "≥",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "≤",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside the band",
    "LessThanLowerThreshold": "below the band",
    "GreaterThanUpperThreshold": "above the band",
}


@dataclass(frozen=True)
class _Metric:
    namespace: str
    name: str
    dimensions: str
    statistic: str

    @property
    def label(self) -> str:
        return f"{self.namespace} {self.name}".strip()


@dataclass(frozen=True)
class _Alarm:
    """What both alarm shapes say, as display strings ("" when absent)."""

    name: str = ""
    arn: str = ""
    account: str = ""
    region: str | None = None
    description: str = ""
    state: str = ""
    previous: str = ""
    reason: str = ""
    metrics: tuple[_Metric, ...] = ()
    expression: str = ""
    rule: str = ""
    threshold: str = ""
    suppressed: str = ""
    changed_at: int | None = None  # when the alarm entered `state`, in epoch ms


# ---------------------------------------------------------------------------------------------
# Reading both shapes
# ---------------------------------------------------------------------------------------------


def _statistic(stat: str, period: int) -> str:
    over = f"over {period:g} s" if period else ""
    return " ".join(part for part in (stat, over) if part)


def _metric(query: MetricQuery | None) -> _Metric | None:
    """A query's metric as shown; None for an expression."""
    if query is None or not query.is_metric:
        return None
    shown = ", ".join(f"{k}={v}" for k, v in query.dimensions)
    return _Metric(query.namespace, query.name, shown, _statistic(query.stat, query.period))


def _query_expression(found: tuple[MetricQuery, ...]) -> str:
    """The returned expression of a metric-math or anomaly-detection alarm, with its label."""
    for query in found:
        if query.expression and query.returned:
            label = query.label
            return f"{query.expression} ({label})" if label else query.expression
    return ""


def _queries(value: Any) -> tuple[tuple[_Metric, ...], str]:
    found = alarm_queries.queries(value)
    metrics = tuple(m for m in map(_metric, found) if m is not None)
    return metrics, _query_expression(found)


def _threshold(value: Any, operator: Any, periods: Any = None) -> str:
    """ "> 80 (3 evaluation periods)"; "" without a numeric threshold."""
    limit = number(value)
    if limit is None:
        return ""
    op = scalar(operator)
    shown = f"{_OPERATORS.get(op, op)} {limit:g}".strip()
    count = number(periods)
    if count and count > 1:
        shown += f" ({count:g} evaluation periods)"
    return shown


def _suppression(by: Any, suppressor: Any, reason: Any) -> str:
    shown = scalar(by)
    if not shown:
        return ""
    extra = scalar(suppressor) and f"suppressor alarm {scalar(suppressor)}"
    return f"{shown} ({extra})" if extra else (scalar(reason) or shown)


def _is_classic(detail: Mapping[str, Any]) -> bool:
    return "AlarmName" in detail or "NewStateValue" in detail


def _classic(event: Event) -> _Alarm:
    """The classic SNS alarm body (AlarmName, NewStateValue, Trigger, …)."""
    d = event.detail
    trigger = dig(d, "Trigger", default={})
    single = _metric(alarm_queries.trigger_metric(trigger))
    metrics, expression = _queries(dig(trigger, "Metrics"))
    arn = scalar(dig(d, "AlarmArn"))
    return _Alarm(
        name=headline(dig(d, "AlarmName"), 255),
        arn=arn,
        account=event.account or scalar(dig(d, "AWSAccountId")) or (account_from_arn(arn) or ""),
        region=event.region or region_from_arn(arn) or region_code(scalar(dig(d, "Region"))),
        description=scalar(dig(d, "AlarmDescription")),
        state=scalar(dig(d, "NewStateValue")).upper(),
        previous=scalar(dig(d, "OldStateValue")).upper(),
        reason=scalar(dig(d, "NewStateReason")),
        changed_at=_millis(dig(d, "StateChangeTime")),
        metrics=((single,) if single else ()) + metrics,
        expression=expression,
        rule=scalar(dig(d, "AlarmRule")),
        threshold=_threshold(
            dig(trigger, "Threshold"),
            dig(trigger, "ComparisonOperator"),
            dig(trigger, "EvaluationPeriods"),
        ),
    )


def _eventbridge(event: Event) -> _Alarm:
    """EventBridge's alarm events: state changes and configuration changes."""
    d = event.detail
    config = dig(d, "configuration") or dig(d, "previousConfiguration", default={})
    arn = next((r for r in event.resources if isinstance(r, str) and ":alarm:" in r), "")
    metrics, expression = _queries(dig(config, "metrics"))
    name = scalar(dig(d, "alarmName")) or scalar(dig(config, "alarmName"))
    return _Alarm(
        name=headline(name or arn.partition(":alarm:")[2], 255),
        arn=arn,
        account=event.account or (account_from_arn(arn) or ""),
        region=event.region or region_from_arn(arn),
        description=scalar(dig(config, "description")),
        state=scalar(dig(d, "state", "value")).upper(),
        previous=scalar(dig(d, "previousState", "value")).upper(),
        reason=scalar(dig(d, "state", "reason")),
        changed_at=_millis(dig(d, "state", "timestamp")),
        metrics=metrics,
        expression=expression,
        rule=scalar(dig(config, "alarmRule")),
        threshold=_threshold(
            dig(config, "threshold", default=reason_threshold(dig(d, "state", "reasonData"))),
            dig(config, "comparisonOperator"),
            dig(config, "evaluationPeriods"),
        ),
        suppressed=_suppression(
            dig(d, "state", "actionsSuppressedBy"),
            dig(config, "actionsSuppressor"),
            dig(d, "state", "actionsSuppressedReason"),
        ),
    )


# ---------------------------------------------------------------------------------------------
# Signal
# ---------------------------------------------------------------------------------------------


def _what(alarm: _Alarm) -> list[tuple[str, str]]:
    """What the alarm watches: a metric, an expression over metrics, or a rule over alarms."""
    first = alarm.metrics[0] if alarm.metrics else None
    names = ", ".join(dict.fromkeys(m.label for m in alarm.metrics))
    return [
        ("Metric", names),
        ("Dimensions", first.dimensions if first else ""),
        ("Statistic", first.statistic if first else ""),
        ("Expression", alarm.expression),
        ("Alarm rule", alarm.rule),
    ]


def _state_fields(alarm: _Alarm) -> list[SignalField]:
    transition = " → ".join(s for s in (alarm.previous, alarm.state) if s)
    return fields(
        [
            ("State", transition),
            ("Reason", alarm.reason),
            *_what(alarm),
            ("Threshold", alarm.threshold),
            ("Actions suppressed", alarm.suppressed),
        ]
    )


def _configuration_fields(event: Event, alarm: _Alarm) -> list[SignalField]:
    """A configuration change: what was done, and how the threshold moved."""
    previous = dig(event.detail, "previousConfiguration")
    before = _threshold(
        dig(previous, "threshold"),
        dig(previous, "comparisonOperator"),
        dig(previous, "evaluationPeriods"),
    )
    threshold = alarm.threshold
    if before and threshold and before != threshold:
        threshold = f"{before} → {threshold}"
    return fields(
        [
            ("Change", humanize(scalar(dig(event.detail, "operation")))),
            ("State", alarm.state),
            *_what(alarm),
            ("Threshold", threshold),
        ]
    )


def _arn(alarm: _Alarm) -> str:
    """The alarm's ARN, rebuilt when the shape lacks it, so that both shapes name one resource."""
    if alarm.arn or not (alarm.name and alarm.region and alarm.account):
        return alarm.arn or alarm.name
    where = f"{partition(alarm.region)}:cloudwatch:{alarm.region}:{alarm.account}"
    return f"arn:{where}:alarm:{alarm.name}"


def _millis(value: Any) -> int | None:
    try:
        return parse_time_ms(value)
    except ValueError:
        return None


def _transition(alarm: _Alarm) -> str:
    """One transition of one alarm, whichever shape told it (its EventBridge state
    change, the action it invoked a function with, its SNS notification): the alarm, the
    state and when it was entered. "" when the shape does not say when."""
    if not (alarm.state and alarm.changed_at):
        return ""
    who = _arn(alarm) or fingerprint("alarm", alarm.account, alarm.region, alarm.name)
    return f"alarm-transition:{who}:{alarm.state}:{alarm.changed_at}"


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal: ALARM fires (HIGH), INSUFFICIENT_DATA fires (LOW), OK resolves."""
    alarm = _classic(event) if _is_classic(event.detail) else _eventbridge(event)
    occurrence = ""
    if event.detail_type == CONFIGURATION_CHANGE:
        severity, state = Severity.INFO, SignalState.INFO
        shown = _configuration_fields(event, alarm)
    else:
        severity, state = _STATES.get(alarm.state, _UNKNOWN_STATE)
        shown = _state_fields(alarm)
        occurrence = _transition(alarm)
    link = console_url(alarm.region, "cloudwatch/home", f"alarmsV2:alarm/{quote(alarm.name)}")
    return [
        make_signal(
            event,
            ctx,
            family=FAMILY,
            title=alarm.name or "CloudWatch alarm",
            severity=severity,
            state=state,
            fingerprint=fingerprint("alarm", alarm.account, alarm.region, alarm.name),
            fields=shown,
            description=alarm.description,
            resource=_arn(alarm),
            console_url=link,
            account=alarm.account,
            region=alarm.region,
            occurrence=occurrence,
        )
    ]
