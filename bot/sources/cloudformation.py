"""CloudFormation stack, resource and drift events: a failed or rolled-back change is an alert
until the stack (or resource) completes a change again."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.models import Change, Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    arn_parts,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    locate,
    make_change,
    make_signal,
    number,
    scalar,
)
from bot.sources.console import quote


class CfnStackStatusType(StrEnum):
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    WARNING = "WARNING"

    @classmethod
    def from_status(cls, status: str) -> CfnStackStatusType:
        """FAILED and ROLLBACK mean failure; IN_PROGRESS a warning; the rest success."""
        if "FAILED" in status or "ROLLBACK" in status:
            return cls.FAILURE
        if "IN_PROGRESS" in status:
            return cls.WARNING
        return cls.SUCCESS


FAMILY = registry.CLOUDFORMATION

_STACK = "CloudFormation Stack Status Change"
_RESOURCE = "CloudFormation Resource Status Change"
_DRIFT = "CloudFormation Drift Detection Status Change"
# Logical ids are alphanumeric, so this fingerprint part never names a resource.
_DRIFT_PART = "drift-detection"
_DRIFT_LEVELS = {
    "DRIFTED": (Severity.MEDIUM, SignalState.FIRING),
    "IN_SYNC": (Severity.INFO, SignalState.RESOLVED),
}


@dataclass(frozen=True)
class _Stack:
    """Where the event happened: what every CloudFormation signal is keyed and linked by."""

    name: str
    id: str
    account: str
    region: str | None

    def signal(
        self,
        event: Event,
        ctx: Context,
        *parts: str,
        title: str,
        level: tuple[Severity, SignalState],
        shown: list[tuple[str, Any]],
        resource: str = "",
    ) -> Signal:
        """A signal about this stack, its fingerprint narrowed by `parts`, its fields led by
        the stack's name, its resource the stack unless told."""
        return make_signal(
            event,
            ctx,
            family=FAMILY,
            title=title,
            severity=level[0],
            state=level[1],
            fingerprint=fingerprint("cloudformation", self.account, self.region, self.name, *parts),
            fields=fields([("Stack", self.name), *shown]),
            resource=resource or self.id or self.name,
            console_url=self.link(),
            account=self.account,
            region=self.region,
        )

    def link(self) -> str | None:
        """The stack's console page."""
        return console_url(
            self.region,
            "cloudformation/home",
            f"/stacks/stackinfo?stackId={quote(self.id or self.name, safe='')}",
        )


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per event: stack, resource or drift detection status. Other detail-types
    of the source (CloudTrail API calls, StackSet operations) are left to the generic view."""
    if event.detail_type not in (_STACK, _RESOURCE, _DRIFT, None):
        return []
    stack = _locate(event)
    if event.detail_type == _DRIFT:
        return [_drift(event, ctx, stack)]
    if _is_resource(event):
        return [_resource(event, ctx, stack)]
    return [_stack(event, ctx, stack)]


def change(event: Event) -> Change | None:
    """A stack's own status change, as a change before an alert ("stack api-prod
    UPDATE_COMPLETE"): resource and drift events are not (a stack's update is told once,
    by its stack's status)."""
    if event.detail_type not in (_STACK, None) or _is_resource(event):
        return None
    stack = _locate(event)
    status, _ = _status(event.detail)
    return make_change(
        event,
        kind="stack",
        title=f"stack {stack.name} {status or 'status unknown'}",
        url=stack.link(),
    )


def _locate(event: Event) -> _Stack:
    """The stack the event is about, named by its stack-id, else its first resource."""
    stack_id = scalar(dig(event.detail, "stack-id"))
    resources = event.resources or [""]
    name = _stack_name(stack_id) or _stack_name(resources[0]) or headline(stack_id, 80)
    account, region = locate(event, stack_id, *event.resources)
    return _Stack(name or "unknown stack", stack_id, account, region)


def _is_resource(event: Event) -> bool:
    """A resource's status change; a reduced event without detail-type says so by its
    logical resource id."""
    return event.detail_type == _RESOURCE or bool(dig(event.detail, "logical-resource-id"))


def _stack_name(arn: Any) -> str:
    """NAME from arn:…:stack/NAME/uuid."""
    parts = arn_parts(arn)
    return headline(parts[1], 80) if len(parts) >= 2 and parts[0] == "stack" else ""


def _classify(status: str) -> tuple[Severity, SignalState]:
    """FAILED or ROLLBACK anywhere (even UPDATE_ROLLBACK_COMPLETE) is a failure; a finished
    change resolves; the rest (IN_PROGRESS, unknown) is only worth knowing."""
    if not status:
        return Severity.INFO, SignalState.INFO
    kind = CfnStackStatusType.from_status(status)
    if kind is CfnStackStatusType.FAILURE:
        return Severity.HIGH, SignalState.FIRING
    if kind is CfnStackStatusType.SUCCESS and "COMPLETE" in status:
        return Severity.INFO, SignalState.RESOLVED
    return Severity.INFO, SignalState.INFO


def _status(detail: Any) -> tuple[str, str]:
    status = headline(dig(detail, "status-details", "status"), 60).upper()
    return status, scalar(dig(detail, "status-details", "status-reason"))


def _stack(event: Event, ctx: Context, stack: _Stack) -> Signal:
    status, reason = _status(event.detail)
    return stack.signal(
        event,
        ctx,
        title=f"Stack {stack.name} {status or 'status unknown'}",
        level=_classify(status),
        shown=[("Status", status), ("Reason", reason)],
    )


def _resource(event: Event, ctx: Context, stack: _Stack) -> Signal:
    detail = event.detail
    status, reason = _status(detail)
    logical = headline(dig(detail, "logical-resource-id"), 80)
    physical = scalar(dig(detail, "physical-resource-id"))
    kind = headline(dig(detail, "resource-type"), 60)
    what = f"{logical} ({kind})" if kind else logical
    return stack.signal(
        event,
        ctx,
        logical,
        title=f"{stack.name}: {what or 'resource'} {status or 'status unknown'}",
        level=_classify(status),
        shown=[
            ("Status", status),
            ("Reason", reason),
            ("Resource type", kind),
            ("Logical ID", logical),
            ("Physical ID", physical),
        ],
        resource=physical,
    )


def _drift(event: Event, ctx: Context, stack: _Stack) -> Signal:
    """Drifted is worth a look, in sync resolves it. Its own fingerprint: a stack update
    neither causes nor cures drift."""
    detail = event.detail
    drift = headline(dig(detail, "status-details", "stack-drift-status"), 40).upper()
    detection = headline(dig(detail, "status-details", "detection-status"), 40).upper()
    count = dig(detail, "drift-detection-details", "drifted-stack-resource-count")
    in_progress = (number(count) or 0) < 0  # AWS writes -1 while detection runs
    return stack.signal(
        event,
        ctx,
        _DRIFT_PART,
        title=f"Stack {stack.name} drift {drift or detection or 'status unknown'}",
        level=_DRIFT_LEVELS.get(drift, (Severity.INFO, SignalState.INFO)),
        shown=[
            ("Drift status", drift),
            ("Detection status", detection),
            ("Drifted resources", None if in_progress else count),
        ],
    )
