"""A CloudWatch alarm's transition as the enrichments read it from its stored event:
what it watches, its threshold, and when it changed state."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import Event
from bot.sources.alarm_queries import (
    MetricQuery,
    queries,
    reason_threshold,
    trigger_metric,
)
from bot.sources.base import dig, number, scalar
from bot.timeutil import parse_time

ALARM_SOURCE = "aws.cloudwatch"


@dataclass(frozen=True)
class AlarmFacts:
    name: str
    arn: str
    region: str | None
    account: str
    description: str
    state: str
    changed_at: int  # epoch seconds of the transition
    queries: tuple[MetricQuery, ...]
    threshold: float | None

    @property
    def metrics(self) -> tuple[MetricQuery, ...]:
        return tuple(q for q in self.queries if q.is_metric)

    @property
    def band(self) -> MetricQuery | None:
        """An anomaly-detection alarm's band expression."""
        return next(
            (q for q in self.queries if q.expression.upper().startswith("ANOMALY_DETECTION_BAND")),
            None,
        )

    @property
    def period(self) -> int:
        return max((q.period for q in self.queries), default=0) or 60


def read_alarm(event: Event) -> AlarmFacts | None:
    """The alarm of a state-change event, in either shape; None for anything else, or
    for an alarm that watches no metric (a composite alarm)."""
    detail = event.detail
    if "AlarmName" in detail or "NewStateValue" in detail:
        trigger = dig(detail, "Trigger", default={})
        single = trigger_metric(trigger)
        found = ((single,) if single else ()) + queries(dig(trigger, "Metrics"))
        facts = AlarmFacts(
            name=scalar(dig(detail, "AlarmName")),
            arn=scalar(dig(detail, "AlarmArn")),
            region=event.region,
            account=event.account or scalar(dig(detail, "AWSAccountId")),
            description=scalar(dig(detail, "AlarmDescription")),
            state=scalar(dig(detail, "NewStateValue")).upper(),
            changed_at=parse_time(dig(detail, "StateChangeTime")) or event.published_at,
            queries=found,
            threshold=number(dig(trigger, "Threshold")),
        )
    elif event.source == ALARM_SOURCE and isinstance(dig(detail, "state"), dict):
        config = dig(detail, "configuration", default={})
        arn = next((r for r in event.resources if isinstance(r, str) and ":alarm:" in r), "")
        threshold = dig(
            config, "threshold", default=reason_threshold(dig(detail, "state", "reasonData"))
        )
        facts = AlarmFacts(
            name=scalar(dig(detail, "alarmName")) or arn.partition(":alarm:")[2],
            arn=arn,
            region=event.region,
            account=event.account,
            description=scalar(dig(config, "description")),
            state=scalar(dig(detail, "state", "value")).upper(),
            changed_at=parse_time(dig(detail, "state", "timestamp")) or event.published_at,
            queries=queries(dig(config, "metrics")),
            threshold=number(threshold),
        )
    else:
        return None
    return facts if facts.queries else None
