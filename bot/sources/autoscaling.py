"""EC2 Auto Scaling events: instance launches and terminations, lifecycle hooks, instance
refreshes and warm pools.

A group that cannot launch instances runs short of capacity, and one that cannot terminate
them keeps instances it meant to drop: both are HIGH. Launches and terminations are two
alerts of the group, so that each success resolves only the failure it answers: the next
successful launch resolves a launch failure. A successful termination is news on the
termination alert but resolves nothing: terminations are routine (scale-in, replacement),
and one that succeeds says nothing of the instance that would not terminate. Lifecycle
hooks, instance refreshes and warm pool changes are news.
"""

from __future__ import annotations

from typing import Any

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    locate,
    make_signal,
    parse_arn,
    scalar,
    scalar_fields,
    words,
)
from bot.sources.console import quote

FAMILY = registry.AUTOSCALING

_LAUNCH = "launch"
_TERMINATE = "terminate"
# detail-type → (activity, severity, state).
_ACTIVITIES: dict[str, tuple[str, Severity, SignalState]] = {
    "EC2 Instance Launch Successful": (_LAUNCH, Severity.INFO, SignalState.RESOLVED),
    "EC2 Instance Launch Unsuccessful": (_LAUNCH, Severity.HIGH, SignalState.FIRING),
    "EC2 Instance Terminate Successful": (_TERMINATE, Severity.INFO, SignalState.INFO),
    "EC2 Instance Terminate Unsuccessful": (_TERMINATE, Severity.HIGH, SignalState.FIRING),
}
# detail-type → the activity whose hook holds the instance.
_LIFECYCLE_ACTIONS = {
    "EC2 Instance-launch Lifecycle Action": _LAUNCH,
    "EC2 Instance-terminate Lifecycle Action": _TERMINATE,
}
# The source's own detail-types beyond those (instance refresh, warm pool) start so.
_OWN_PREFIXES = ("EC2 Auto Scaling ", "EC2 Instance")
# An activity's StatusCode words that say it did not happen.
_FAILED_STATUS = frozenset({"FAILED", "CANCELLED"})
_GROUP_ARN_MARK = "autoScalingGroupName/"


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per event of the group. Detail-types that are not Auto Scaling's own
    (CloudTrail API calls…) are left to the generic view."""
    kind = event.detail_type
    if kind in _ACTIVITIES:
        activity, severity, state = _ACTIVITIES[kind]
        return [_activity(event, ctx, activity, severity, state)]
    if kind in _LIFECYCLE_ACTIONS:
        return [_lifecycle(event, ctx, _LIFECYCLE_ACTIONS[kind])]
    if kind is None:
        return [_reduced(event, ctx)]
    if kind.startswith(_OWN_PREFIXES):
        return [_other(event, ctx, kind)]
    return []


# ---------------------------------------------------------------------------------------------
# The group
# ---------------------------------------------------------------------------------------------


def _group_arn(event: Event) -> str:
    """The group's ARN among the resources (…:autoScalingGroup:uuid:autoScalingGroupName/N)."""
    return next(
        (arn for arn in event.resources if ":autoscaling:" in arn and _GROUP_ARN_MARK in arn), ""
    )


def _group(event: Event, group_arn: str) -> str:
    """The detail's group name, else the one its ARN ends with."""
    named = headline(dig(event.detail, "AutoScalingGroupName"), 100)
    if named:
        return named
    parsed = parse_arn(group_arn)
    return headline(parsed.resource.rsplit(_GROUP_ARN_MARK, 1)[-1], 100) if parsed else ""


def _link(region: str | None, group: str) -> str | None:
    """The group's activity history, where failed launches say why; none without region."""
    if not group:
        return console_url(region, "ec2/home", "AutoScalingGroups:")
    fragment = f"AutoScalingGroupDetails:id={quote(group, safe='')};view=activity"
    return console_url(region, "ec2/home", fragment)


def _signal(event: Event, ctx: Context, key: str, title: str, **kwargs: Any) -> Signal:
    """A signal of the event's group, on its alert for `key` (an activity, or another
    event kind)."""
    group_arn = _group_arn(event)
    group = _group(event, group_arn)
    account, region = locate(event, group_arn)
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"Auto Scaling group {group or 'unknown'}: {title}",
        fingerprint=fingerprint("autoscaling", account, region, group, key),
        resource=group_arn or group,
        console_url=_link(region, group),
        account=account,
        region=region,
        **kwargs,
    )


# ---------------------------------------------------------------------------------------------
# Launches and terminations
# ---------------------------------------------------------------------------------------------


def _activity_title(activity: str, state: SignalState, instance: str) -> str:
    if activity == _LAUNCH:
        if state is SignalState.FIRING:
            return f"launch of {instance} failed" if instance else "instance launch failed"
        return f"launched {instance}" if instance else "instance launched"
    if state is SignalState.FIRING:
        return f"termination of {instance} failed" if instance else "instance termination failed"
    return f"terminated {instance}" if instance else "instance terminated"


def _activity(
    event: Event, ctx: Context, activity: str, severity: Severity, state: SignalState
) -> Signal:
    detail = event.detail
    instance = headline(dig(detail, "EC2InstanceId"), 40)
    return _signal(
        event,
        ctx,
        activity,
        title=_activity_title(activity, state, instance),
        severity=severity,
        state=state,
        fields=fields(
            [
                ("Group", _group(event, _group_arn(event))),
                ("Instance", instance),
                ("Status code", headline(dig(detail, "StatusCode"), 40)),
                ("Status message", scalar(dig(detail, "StatusMessage")).strip()),
                ("Description", scalar(dig(detail, "Description")).strip()),
                ("Cause", scalar(dig(detail, "Cause")).strip()),
                ("Availability zone", dig(detail, "Details", "Availability Zone")),
                ("Subnet ID", dig(detail, "Details", "Subnet ID")),
                ("Activity ID", dig(detail, "ActivityId")),
                ("Start time", dig(detail, "StartTime")),
            ]
        ),
    )


# ---------------------------------------------------------------------------------------------
# Lifecycle hooks, and everything else of the source
# ---------------------------------------------------------------------------------------------


def _lifecycle(event: Event, ctx: Context, activity: str) -> Signal:
    """An instance held by a lifecycle hook: news on the alert of the activity it holds."""
    detail = event.detail
    instance = headline(dig(detail, "EC2InstanceId"), 40) or "an instance"
    hook = headline(dig(detail, "LifecycleHookName"), 100)
    what = f"{activity} lifecycle hook {hook}" if hook else f"{activity} lifecycle hook"
    return _signal(
        event,
        ctx,
        activity,
        title=f"{instance} waits on the {what}",
        severity=Severity.INFO,
        state=SignalState.INFO,
        fields=fields(
            [
                ("Group", _group(event, _group_arn(event))),
                ("Instance", dig(detail, "EC2InstanceId")),
                ("Hook", hook),
                ("Transition", dig(detail, "LifecycleTransition")),
                ("Origin", dig(detail, "Origin")),
                ("Destination", dig(detail, "Destination")),
                ("Notification metadata", headline(dig(detail, "NotificationMetadata"), 200)),
            ]
        ),
    )


def _other(event: Event, ctx: Context, kind: str) -> Signal:
    """Instance refreshes, warm pool changes: news, told by their detail-type."""
    what = kind.removeprefix("EC2 Auto Scaling ")
    return _signal(
        event,
        ctx,
        kind,
        title=what,
        severity=Severity.INFO,
        state=SignalState.INFO,
        fields=scalar_fields(event.detail),
    )


def _reduced(event: Event, ctx: Context) -> Signal:
    """A reduced event without detail-type, placed by its shape: a lifecycle action has a
    transition; an activity fires only when its StatusCode says it failed."""
    detail = event.detail
    transition = words(dig(detail, "LifecycleTransition"))
    if transition:
        return _lifecycle(event, ctx, _TERMINATE if "TERMINATING" in transition else _LAUNCH)
    terminating = "TERMINATING" in words(dig(detail, "Description"))
    activity = _TERMINATE if terminating else _LAUNCH
    if words(dig(detail, "StatusCode")) & _FAILED_STATUS:
        return _activity(event, ctx, activity, Severity.HIGH, SignalState.FIRING)
    return _activity(event, ctx, activity, Severity.INFO, SignalState.INFO)
