"""AWS Cost Anomaly Detection alerts: the "Anomaly Detected" events of Cost Explorer, and
the same anomaly object as the SNS JSON of an alert subscription (which the bot stores
under the same detail-type).

An anomaly is spend the model did not expect: money is leaving faster than it should, so
someone should look today, though it is rarely an emergency (MEDIUM). Cost Anomaly
Detection never says an anomaly is over, so nothing resolves: the alert of a monitor and
dimension (a service, an account…) just gathers the anomalies it sees again.
"""

from __future__ import annotations

from typing import Any

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    arn_parts,
    aws_link,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    locate,
    make_signal,
    number,
    pick,
    scalar,
)

FAMILY = registry.COSTANOMALY

ANOMALY_DETECTED = "Anomaly Detected"
_MAX_ROOT_CAUSES = 5


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per anomaly. Other detail-types of the source (CloudTrail API calls) are
    left to the generic view; a reduced event without detail-type is read by its shape."""
    kind = event.detail_type
    if kind != ANOMALY_DETECTED and not (kind is None and dig(event.detail, "anomalyId")):
        return []
    return [_signal(event, ctx)]


def _money(value: Any) -> str:
    """ "$1,203.45" from a number; "" when it is not one."""
    amount = number(value)
    if amount is None or amount != amount or abs(amount) == float("inf"):
        return ""
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


def _percent(value: Any) -> str:
    amount = number(value)
    if amount is None or amount != amount or abs(amount) == float("inf"):
        return ""
    return f"{amount:,.1f}%"


def _root_cause(cause: Any) -> str:
    """ "Amazon EC2 / us-east-1 / 123456789012 / BoxUsage:m5.large"."""
    if not isinstance(cause, dict):
        return ""
    account = headline(cause.get("linkedAccount"), 20)
    named = headline(cause.get("linkedAccountName"), 60)
    if named and account:
        account = f"{account} ({named})"
    parts = [
        headline(cause.get("service"), 80),
        headline(cause.get("region"), 30),
        account or named,
        headline(cause.get("usageType"), 80),
    ]
    return " / ".join(part for part in parts if part)


def _monitor(event: Event) -> tuple[str, str]:
    """The monitor's ARN and the name people gave it (else the id its ARN ends with)."""
    arn = scalar(dig(event.detail, "monitorArn")) or next(
        (a for a in event.resources if ":anomalymonitor/" in a), ""
    )
    parts = arn_parts(arn)
    name = headline(dig(event.detail, "monitorName"), 100) or (
        headline(parts[-1], 100) if parts else ""
    )
    return arn, name


def _signal(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    monitor_arn, monitor = _monitor(event)
    # EventBridge writes dimensionValue; the SNS JSON of a subscription, dimensionalValue.
    dimension = headline(pick(detail, "dimensionValue", "dimensionalValue"), 100)
    account, region = locate(event)
    account = account or headline(dig(detail, "accountId"), 20)
    impact = dig(detail, "impact")
    total = _money(dig(impact, "totalImpact"))
    percent = _percent(dig(impact, "totalImpactPercentage"))
    listed = dig(detail, "rootCauses")
    causes = [_root_cause(c) for c in listed[:_MAX_ROOT_CAUSES]] if isinstance(listed, list) else []
    what = dimension or monitor or "unknown"
    title = f"Cost anomaly on {what}"
    if total:
        title += f": {total} above expected" + (f" ({percent})" if percent else "")
    link = aws_link(dig(detail, "anomalyDetailsLink"))
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=title,
        severity=Severity.MEDIUM,
        state=SignalState.FIRING,
        fingerprint=fingerprint("costanomaly", account, region, monitor_arn or monitor, dimension),
        fields=fields(
            [
                ("Monitor", monitor),
                ("Dimension", dimension),
                ("Total impact", total),
                ("Impact", percent),
                ("Actual spend", _money(dig(impact, "totalActualSpend"))),
                ("Expected spend", _money(dig(impact, "totalExpectedSpend"))),
                ("Max daily impact", _money(dig(impact, "maxImpact"))),
                ("Score", _score(detail)),
                ("Period", _period(detail)),
                ("Root causes", "\n".join(c for c in causes if c)),
            ]
        ),
        resource=monitor_arn,
        console_url=link
        or console_url(region, "cost-management/home", "/anomaly-detection/overview"),
        account=account,
        region=region,
    )


def _score(detail: Any) -> str:
    """ "0.87 (max 0.91)": the current score and the highest it reached."""
    current = number(dig(detail, "anomalyScore", "currentScore"))
    highest = number(dig(detail, "anomalyScore", "maxScore"))
    shown = [f"{v:g}" for v in (current, highest) if v is not None and v == v]
    if len(shown) == 2:
        return f"{shown[0]} (max {shown[1]})"
    return shown[0] if shown else ""


def _period(detail: Any) -> str:
    start = headline(dig(detail, "anomalyStartDate"), 30)
    end = headline(dig(detail, "anomalyEndDate"), 30)
    if start and end:
        return f"{start} to {end}"
    return start or end
