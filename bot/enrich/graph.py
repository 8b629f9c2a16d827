"""The graph of an alarm: a CloudWatch metric widget of what it watches over the hours
around its transition, with its threshold drawn (or its anomaly band) and the moment
it changed state marked. CloudWatch draws it (GetMetricWidgetImage), so that the graph
is the one the console shows, with no plotting library in the package."""

from __future__ import annotations

from typing import Any

from bot.enrich.alarm import AlarmFacts
from bot.sources.alarm_queries import MetricQuery
from bot.timeutil import to_iso

BEFORE_S = 3 * 3600  # the hours before the transition
AFTER_S = 3600  # and up to an hour after it, or until now
WIDTH, HEIGHT = 800, 400
MAX_POINTS = 1440  # CloudWatch draws at most this many points a line


def _metric_line(query: MetricQuery, period: int) -> list[Any]:
    """["AWS/Lambda", "Errors", "FunctionName", "api", {"stat": …, "id": …}]"""
    line: list[Any] = [query.namespace, query.name]
    for name, value in query.dimensions:
        line += [name, value]
    options: dict[str, Any] = {"id": query.id, "period": query.period or period}
    if query.stat:
        options["stat"] = query.stat
    if not query.returned:
        options["visible"] = False
    return [*line, options]


def _expression_line(query: MetricQuery) -> list[Any]:
    options: dict[str, Any] = {"expression": query.expression, "id": query.id}
    if query.label:
        options["label"] = query.label
    if not query.returned:
        options["visible"] = False
    return [options]


def window(alarm: AlarmFacts, now: int) -> tuple[int, int]:
    """From BEFORE_S before the transition to AFTER_S after it, or now if sooner; the
    period grows so that the lines stay under CloudWatch's points."""
    start = alarm.changed_at - BEFORE_S
    end = max(min(now, alarm.changed_at + AFTER_S), alarm.changed_at + alarm.period)
    return start, end


def widget(alarm: AlarmFacts, now: int) -> dict[str, Any]:
    """The metric widget (GetMetricWidgetImage's MetricWidget) of an alarm."""
    start, end = window(alarm, now)
    period = alarm.period
    while (end - start) // period > MAX_POINTS:
        period *= 2
    lines = [_metric_line(q, period) if q.is_metric else _expression_line(q) for q in alarm.queries]
    annotations: dict[str, Any] = {
        "vertical": [{"label": alarm.state or "transition", "value": to_iso(alarm.changed_at)}]
    }
    if alarm.threshold is not None and alarm.band is None:
        annotations["horizontal"] = [{"label": "threshold", "value": alarm.threshold}]
    return {
        "title": alarm.name[:200],
        "view": "timeSeries",
        "stacked": False,
        "metrics": lines,
        "annotations": annotations,
        "start": to_iso(start),
        "end": to_iso(end),
        "period": period,
        "timezone": "+0000",
        "width": WIDTH,
        "height": HEIGHT,
        **({"region": alarm.region} if alarm.region else {}),
    }
