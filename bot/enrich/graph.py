"""The graph of an alarm: a CloudWatch metric widget of what it watches over the hours
around its transition, with its threshold drawn (or its anomaly band) and the moment
it changed state marked. CloudWatch draws it (GetMetricWidgetImage), so that the graph
is the one the console shows, with no plotting library in the package."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bot.enrich.alarm import AlarmFacts
from bot.sources.alarm_queries import MetricQuery
from bot.timeutil import to_iso

BEFORE_S = 3 * 3600  # the hours before the transition
AFTER_S = 3600  # and up to an hour after it, or until now
WIDTH, HEIGHT = 800, 400
MAX_POINTS = 1440  # CloudWatch draws at most this many points a line
# A metric's id in a widget: a lower-case letter, then letters, digits and underscores.
# EventBridge names a single-metric alarm's metric by a UUID, which CloudWatch refuses.
_VALID_ID = re.compile(r"[a-z][A-Za-z0-9_]*")


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


def _valid_ids(queries: tuple[MetricQuery, ...]) -> list[MetricQuery]:
    """The queries with each id CloudWatch would refuse renamed (m0, m1, …), and the
    expressions that name it rewritten to the new name."""
    taken = {q.id for q in queries}
    renamed: dict[str, str] = {}
    for query in queries:
        if not _VALID_ID.fullmatch(query.id):
            renamed[query.id] = next(f"m{n}" for n in range(len(taken) + 1) if f"m{n}" not in taken)
            taken.add(renamed[query.id])
    named = "|".join(re.escape(old) for old in renamed if old)
    if not named:
        return [replace(q, id=renamed.get(q.id, q.id)) for q in queries]
    pattern = re.compile(rf"(?<![\w-])({named})(?![\w-])")

    def rewritten(query: MetricQuery) -> MetricQuery:
        expression = pattern.sub(lambda found: renamed[found.group(1)], query.expression)
        return replace(query, id=renamed.get(query.id, query.id), expression=expression)

    return [rewritten(q) for q in queries]


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
    queries = _valid_ids(alarm.queries)
    lines = [_metric_line(q, period) if q.is_metric else _expression_line(q) for q in queries]
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
