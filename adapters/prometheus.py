"""The Metrics port on prometheus_client, for GET /metrics of the long-running service.

Each app gets its own CollectorRegistry (never the process-wide one), so that two apps
in one process, and tests, count apart."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from bot.metrics import ALL, Kind, Metric, labels_of

__all__ = ["CONTENT_TYPE", "PrometheusMetrics"]

# Store calls take from a millisecond (SQLite, a DynamoDB get) to seconds (a throttled
# batch write).
STORE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PrometheusMetrics:
    """Every metric of bot.metrics.ALL, registered in one registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._made = {metric.name: self._make(metric) for metric in ALL}

    def _make(self, metric: Metric) -> MetricWrapperBase:
        # prometheus_client adds `_total` to a counter's name itself.
        name, labels = metric.name.removesuffix("_total"), metric.labels
        if metric.kind is Kind.COUNTER:
            return Counter(name, metric.help, labels, registry=self.registry)
        if metric.kind is Kind.GAUGE:
            return Gauge(name, metric.help, labels, registry=self.registry)
        return Histogram(name, metric.help, labels, registry=self.registry, buckets=STORE_BUCKETS)

    def _series(self, metric: Metric, labels: dict[str, str]) -> MetricWrapperBase:
        made = self._made[metric.name]
        values = labels_of(metric, labels)
        return made.labels(*values) if values else made

    def inc(self, metric: Metric, amount: float = 1, **labels: str) -> None:
        self._series(metric, labels).inc(amount)  # type: ignore[attr-defined]

    def set(self, metric: Metric, value: float, **labels: str) -> None:
        self._series(metric, labels).set(value)  # type: ignore[attr-defined]

    def observe(self, metric: Metric, value: float, **labels: str) -> None:
        self._series(metric, labels).observe(value)  # type: ignore[attr-defined]

    def exposition(self) -> bytes:
        """The registry in Prometheus's text format."""
        return generate_latest(self.registry)
