"""The metrics the bot keeps about itself, in one list, and the port that records them.

Every metric is declared here once (its name, kind, labels and meaning): the Prometheus
adapter (GET /metrics), the CloudWatch embedded-metric adapter (Lambda) and the
dashboard's test read this list, so that a metric cannot be drawn without being emitted.
A label holds values from a small, fixed set (an event family, a Slack method, an error
code, a store operation), never an id: each value is a series, and on CloudWatch a
dimension, unless the metric keeps the label off CloudWatch (`cloudwatch_labels`).
docs/operating.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

NAMESPACE = "AwsMonitoringBot"  # CloudWatch's namespace for them (the heartbeat's too)
PREFIX = "awsbot_"  # every Prometheus name starts so


class Kind(Enum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


@dataclass(frozen=True, eq=False)
class Metric:
    """One metric: `name` is Prometheus's; CloudWatch's is `cloudwatch_name`. Each is
    declared once, below, so it is itself its key (hashed by identity, cheaply, at every
    record)."""

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()
    unit: str = "Count"  # CloudWatch's unit: Count or Seconds
    # The labels kept as CloudWatch dimensions (None: all). On Lambda every set of values
    # of them is one more log line per invocation, which CloudWatch Logs bills.
    cloudwatch_labels: tuple[str, ...] | None = None

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The labels that are CloudWatch dimensions."""
        return self.labels if self.cloudwatch_labels is None else self.cloudwatch_labels

    @property
    def cloudwatch_name(self) -> str:
        """The name without its prefix and `_total`, in CamelCase: EventsStored."""
        bare = self.name.removeprefix(PREFIX).removesuffix("_total")
        return "".join(part.capitalize() for part in bare.split("_"))


EVENTS_STORED = Metric(
    "awsbot_events_stored_total",
    Kind.COUNTER,
    "Events stored for the first time, by family",
    ("family",),
)
EVENTS_DUPLICATE = Metric(
    "awsbot_events_duplicate_total",
    Kind.COUNTER,
    "Events received again (their id was stored already): retries and replays",
)
EVENTS_REJECTED = Metric(
    "awsbot_events_rejected_total",
    Kind.COUNTER,
    "Units of ingested bodies that were not a usable event",
)
ALERTS_OPENED = Metric(
    "awsbot_alerts_opened_total",
    Kind.COUNTER,
    "New alert records (a firing with no open alert in its channel)",
)
ALERTS_RESOLVED = Metric(
    "awsbot_alerts_resolved_total",
    Kind.COUNTER,
    "Open alerts resolved, by their source's recovery or by hand",
    ("by",),
)
SLACK_CALLS = Metric(
    "awsbot_slack_calls_total",
    Kind.COUNTER,
    "Slack Web API calls, by method and result (ok, Slack's error code, or unreachable)",
    ("method", "result"),
)
SLACK_RATE_LIMITED = Metric(
    "awsbot_slack_rate_limited_total",
    Kind.COUNTER,
    "HTTP 429 answers from Slack, retried or not, by method",
    ("method",),
)
DUE_WORK = Metric(
    "awsbot_due_work_records",
    Kind.GAUGE,
    "Alert records whose Slack work is due now (counted up to a cap)",
)
DUE_WORK_AGE = Metric(
    "awsbot_due_work_oldest_seconds",
    Kind.GAUGE,
    "How long the oldest due Slack work has waited (0 when none is due)",
    unit="Seconds",
)
STORM_CHANNELS = Metric(
    "awsbot_storm_channels",
    Kind.GAUGE,
    "Channels in storm mode now",
)
STORE_SECONDS = Metric(
    "awsbot_store_call_seconds",
    Kind.HISTOGRAM,
    "Time spent in a store call, by store (events, agents, alerts) and operation",
    ("store", "operation"),
    unit="Seconds",
    # On CloudWatch, every call of an invocation in one line: by store and operation,
    # an ingest invocation's calls took seven lines, three quarters of its log.
    cloudwatch_labels=(),
)

ALL: tuple[Metric, ...] = (
    EVENTS_STORED,
    EVENTS_DUPLICATE,
    EVENTS_REJECTED,
    ALERTS_OPENED,
    ALERTS_RESOLVED,
    SLACK_CALLS,
    SLACK_RATE_LIMITED,
    DUE_WORK,
    DUE_WORK_AGE,
    STORM_CHANNELS,
    STORE_SECONDS,
)


class Metrics(Protocol):
    """Where the bot records its metrics: Prometheus in the service, CloudWatch's embedded
    metric format on Lambda, nothing in the CLI. Labels are given by name, all of the
    metric's and no other."""

    def inc(self, metric: Metric, amount: float = 1, **labels: str) -> None:
        """Add to a counter."""

    def set(self, metric: Metric, value: float, **labels: str) -> None:
        """Set a gauge."""

    def observe(self, metric: Metric, value: float, **labels: str) -> None:
        """Add an observation to a histogram."""


class NoMetrics:
    """Metrics off: every record is dropped."""

    def inc(self, metric: Metric, amount: float = 1, **labels: str) -> None:
        return None

    def set(self, metric: Metric, value: float, **labels: str) -> None:
        return None

    def observe(self, metric: Metric, value: float, **labels: str) -> None:
        return None


def labels_of(metric: Metric, given: dict[str, str]) -> tuple[str, ...]:
    """The label values in the metric's order; ValueError when the names differ (a
    mistake in the code, caught by its tests)."""
    if set(given) != set(metric.labels):
        raise ValueError(f"{metric.name} takes labels {metric.labels}, not {tuple(given)}")
    return tuple(given[name] for name in metric.labels)
