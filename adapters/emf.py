"""The Metrics port on CloudWatch's embedded metric format, for the Lambda functions.

Records are kept in memory during an invocation and written to stdout at its end
(`flush`), as JSON lines that CloudWatch Logs turns into metrics of NAMESPACE: one line
per set of dimensions (a metric's labels, and the table that tells stages apart).
Counters are summed; gauges keep their last value; histograms send every observation.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from bot.metrics import NAMESPACE, Kind, Metric, labels_of

Dimensions = tuple[tuple[str, str], ...]


class EmfMetrics:
    """Metrics for one Lambda process; `flush` after each invocation."""

    def __init__(self, namespace: str = NAMESPACE, dimensions: dict[str, str] | None = None):
        self.namespace = namespace
        self.dimensions: Dimensions = tuple(sorted((dimensions or {}).items()))
        self._lock = threading.Lock()
        self._values: dict[Dimensions, dict[Metric, list[float]]] = defaultdict(
            lambda: defaultdict(list)
        )

    def _record(self, metric: Metric, value: float, labels: dict[str, str]) -> None:
        dims = self.dimensions + tuple(zip(metric.labels, labels_of(metric, labels), strict=True))
        with self._lock:
            values = self._values[dims][metric]
            if metric.kind is Kind.COUNTER and values:
                values[0] += value
            elif metric.kind is Kind.GAUGE:
                values[:] = [value]
            else:
                values.append(value)

    def inc(self, metric: Metric, amount: float = 1, **labels: str) -> None:
        self._record(metric, amount, labels)

    def set(self, metric: Metric, value: float, **labels: str) -> None:
        self._record(metric, value, labels)

    def observe(self, metric: Metric, value: float, **labels: str) -> None:
        self._record(metric, value, labels)

    def flush(self) -> None:
        """Write what was recorded since the last flush, and forget it."""
        with self._lock:
            taken, self._values = self._values, defaultdict(lambda: defaultdict(list))
        for dims, metrics in taken.items():
            out = EphemeralMetrics(namespace=self.namespace)
            for dimension, label in dims:
                out.add_dimension(dimension, label)
            for metric, values in metrics.items():
                for value in values:
                    out.add_metric(metric.cloudwatch_name, MetricUnit(metric.unit), value)
            out.flush_metrics()
