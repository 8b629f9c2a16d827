"""EC2 events: spot interruptions, instance state changes, rebalance recommendations and
EC2's other notices (AMI, EBS, spot requests…).

A spot interruption warning gives two minutes before the instance is stopped, hibernated
or terminated: whatever runs there is about to go, so it needs a look (MEDIUM), though the
capacity usually comes back on its own. Instances starting and stopping, rebalance
recommendations and EC2's other notices are news: they happen all day in a healthy fleet.

Every event of one instance (else of the resource it names) shares one alert.
"""

from __future__ import annotations

from typing import Any

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    arn_console_url,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    locate,
    make_signal,
    parse_arn,
    pick,
    scalar_fields,
)
from bot.sources.console import quote

FAMILY = registry.EC2

SPOT_INTERRUPTION = "EC2 Spot Instance Interruption Warning"
STATE_CHANGE = "EC2 Instance State-change Notification"
REBALANCE = "EC2 Instance Rebalance Recommendation"


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per event: the spot interruption warning fires, anything else EC2 itself
    sends is news. A reduced event without detail-type is read by its shape. (CloudTrail's
    records of EC2 API calls never come here: the registry gives them to the generic
    family.)"""
    kind = event.detail_type
    if kind is None:
        kind = _kind_by_shape(event.detail)
    if kind == SPOT_INTERRUPTION:
        return [_spot_interruption(event, ctx)]
    if kind == STATE_CHANGE:
        return [_state_change(event, ctx)]
    if kind == REBALANCE:
        return [_rebalance(event, ctx)]
    return [_other(event, ctx, kind)]


def _kind_by_shape(detail: Any) -> str | None:
    if dig(detail, "instance-action") is not None:
        return SPOT_INTERRUPTION
    if dig(detail, "instance-id") is not None and dig(detail, "state") is not None:
        return STATE_CHANGE
    return None


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _instance_arn(event: Event, instance: str) -> str:
    """The resources' ARN of this instance (else of any instance)."""
    arns = [a for a in event.resources if (p := parse_arn(a)) and p.kind == "instance"]
    return next((a for a in arns if instance and a.endswith(f"/{instance}")), "") or next(
        iter(arns), ""
    )


def _instance_id(event: Event) -> str:
    """The detail's instance-id, else the one its resource ARN ends with."""
    named = headline(dig(event.detail, "instance-id"), 60)
    if named:
        return named
    parsed = parse_arn(_instance_arn(event, ""))
    return headline(parsed.name, 60) if parsed else ""


def _instance_signal(
    event: Event,
    ctx: Context,
    instance: str,
    *,
    title: str,
    severity: Severity,
    state: SignalState,
    extra: list[tuple[str, Any]],
) -> Signal:
    """A signal about one instance, keyed and linked by it."""
    arn = _instance_arn(event, instance)
    account, region = locate(event, arn)
    link = arn_console_url(arn) if arn else None
    if link is None and instance:
        link = console_url(region, "ec2/home", f"InstanceDetails:instanceId={quote(instance)}")
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=title,
        severity=severity,
        state=state,
        fingerprint=fingerprint("ec2", account, region, instance),
        fields=fields([("Instance", instance), *extra]),
        resource=arn or instance,
        console_url=link or console_url(region, "ec2/home", "Instances:"),
        account=account,
        region=region,
    )


# ---------------------------------------------------------------------------------------------
# Instance events
# ---------------------------------------------------------------------------------------------


def _spot_interruption(event: Event, ctx: Context) -> Signal:
    """Two minutes' warning before the instance is stopped, hibernated or terminated."""
    action = headline(dig(event.detail, "instance-action"), 40)
    instance = _instance_id(event)
    return _instance_signal(
        event,
        ctx,
        instance,
        title=f"EC2 spot instance {instance or 'unknown'}: interruption warning"
        + (f" ({action})" if action else ""),
        severity=Severity.MEDIUM,
        state=SignalState.FIRING,
        extra=[("Instance action", action)],
    )


def _state_change(event: Event, ctx: Context) -> Signal:
    state = headline(dig(event.detail, "state"), 40)
    instance = _instance_id(event)
    return _instance_signal(
        event,
        ctx,
        instance,
        title=f"EC2 instance {instance or 'unknown'} {state or 'state unknown'}",
        severity=Severity.INFO,
        state=SignalState.INFO,
        extra=[("State", state)],
    )


def _rebalance(event: Event, ctx: Context) -> Signal:
    """EC2 advises moving work off a spot instance at elevated risk: no interruption yet."""
    instance = _instance_id(event)
    return _instance_signal(
        event,
        ctx,
        instance,
        title=f"EC2 spot instance {instance or 'unknown'}: rebalance recommendation",
        severity=Severity.INFO,
        state=SignalState.INFO,
        extra=[],
    )


# ---------------------------------------------------------------------------------------------
# EC2's other notices
# ---------------------------------------------------------------------------------------------


def _subject(event: Event) -> tuple[str, str]:
    """The resource ARN and the id it names (ami-…, vol-…), or the detail's instance id."""
    for arn in event.resources:
        parsed = parse_arn(arn)
        if parsed and parsed.name:
            return arn, headline(parsed.name, 80)
    named = pick(event.detail, "instance-id", "ImageId", "volume-id", "snapshot_id")
    return "", headline(named, 80)


def _other(event: Event, ctx: Context, kind: str | None) -> Signal:
    """AMI state changes, EBS notifications, spot request fulfilment…: told readably."""
    detail = event.detail
    arn, subject = _subject(event)
    account, region = locate(event, arn)
    label = headline(kind, 80) or "EC2 event"
    outcome = headline(pick(detail, "state", "State", "result", "event"), 40)
    title = label + (f": {subject}" if subject else "") + (f" {outcome}" if outcome else "")
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=title,
        severity=Severity.INFO,
        state=SignalState.INFO,
        fingerprint=fingerprint("ec2", account, region, subject),
        fields=scalar_fields(detail),
        resource=arn or subject,
        console_url=(arn_console_url(arn) if arn else None)
        or console_url(region, "ec2/home", "Home:"),
        account=account,
        region=region,
    )
