"""What a CloudWatch alarm watches, read as data from either of its shapes: EventBridge's
`configuration.metrics` (camelCase, dimensions as a mapping) and the SNS body's `Trigger`
(PascalCase, a single metric or `Metrics`, dimensions as a [{name, value}] list).

The alarm interpreter shows these as text; the graph of an alarm draws them again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.sources.base import dig, number, pick, scalar


@dataclass(frozen=True)
class MetricQuery:
    """One query of an alarm: a metric with its statistic, or an expression over others.
    `returned` is False for the inputs of a metric-math expression."""

    id: str
    namespace: str = ""
    name: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()
    stat: str = ""
    period: int = 0
    expression: str = ""
    label: str = ""
    returned: bool = True

    @property
    def is_metric(self) -> bool:
        return bool(self.name)


def dimensions(value: Any) -> tuple[tuple[str, str], ...]:
    """(name, value) pairs from EventBridge's mapping or SNS's [{name, value}] list."""
    if isinstance(value, Mapping):
        pairs = [(scalar(k), scalar(v)) for k, v in value.items()]
    elif isinstance(value, list):
        pairs = [
            (scalar(pick(d, "name", "Name")), scalar(pick(d, "value", "Value"))) for d in value
        ]
    else:
        pairs = []
    return tuple((k, v) for k, v in pairs if k)


def _period(value: Any) -> int:
    seconds = number(value)
    return int(seconds) if seconds and seconds > 0 else 0


def query(entry: Any, index: int) -> MetricQuery | None:
    """One entry of a query list, in either spelling; None when it says nothing."""
    stat = pick(entry, "metricStat", "MetricStat")
    metric = pick(stat, "metric", "Metric")
    found = MetricQuery(
        id=scalar(pick(entry, "id", "Id")) or f"m{index + 1}",
        namespace=scalar(pick(metric, "namespace", "Namespace")),
        name=scalar(pick(metric, "name", "MetricName")),
        dimensions=dimensions(pick(metric, "dimensions", "Dimensions")),
        stat=scalar(pick(stat, "stat", "Stat")),
        period=_period(pick(stat, "period", "Period")),
        expression=scalar(pick(entry, "expression", "Expression")),
        label=scalar(pick(entry, "label", "Label")),
        returned=pick(entry, "returnData", "ReturnData") is not False,
    )
    return found if found.name or found.expression else None


def queries(value: Any) -> tuple[MetricQuery, ...]:
    """A metric-math or anomaly-detection alarm's query list."""
    entries = value if isinstance(value, list) else []
    found = (query(entry, index) for index, entry in enumerate(entries))
    return tuple(q for q in found if q is not None)


def trigger_metric(trigger: Any) -> MetricQuery | None:
    """The single metric of a classic SNS body's Trigger."""
    name = scalar(dig(trigger, "MetricName"))
    if not name:
        return None
    return MetricQuery(
        id="m1",
        namespace=scalar(dig(trigger, "Namespace")),
        name=name,
        dimensions=dimensions(dig(trigger, "Dimensions")),
        stat=scalar(pick(trigger, "Statistic", "ExtendedStatistic")),
        period=_period(dig(trigger, "Period")),
    )


def reason_threshold(reason_data: Any) -> Any:
    """The threshold, which EventBridge state changes carry only in `reasonData` (JSON text)."""
    if not isinstance(reason_data, str):
        return None
    try:
        return dig(json.loads(reason_data), "threshold")
    except (ValueError, RecursionError):  # untrusted text: not JSON, or nested absurdly deep
        return None
