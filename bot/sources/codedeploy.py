"""CodeDeploy deployment and instance state changes.

A deployment that failed or was stopped leaves a deployment group on an old or half-rolled
revision: HIGH, on the alert of the application's deployment group, which the group's next
deployment that succeeds resolves. An instance that failed its part fires too, on an alert
of its own within the group (the group's name and the instance), since the instances of
one deployment succeed and fail independently: an instance's success resolves only that
instance's failure, never the deployment's. Deployments and instances starting (START) or
waiting for traffic (READY) are news.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.models import Change, Event, Signal
from bot.regions import REGION_CODE
from bot.sources import registry
from bot.sources.base import (
    Context,
    StatusWords,
    arn_console_url,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    locate,
    make_change,
    make_signal,
    parse_arn,
)
from bot.sources.console import quote

FAMILY = registry.CODEDEPLOY

_DEPLOYMENT = "CodeDeploy Deployment State-change Notification"
_INSTANCE = "CodeDeploy Instance State-change Notification"
# state words.
_FAILED = frozenset({"FAILURE", "STOP"})
_SUCCEEDED = frozenset({"SUCCESS"})
# FAILURE and STOP fire; SUCCESS resolves; START, READY and the rest are news.
_STATUS = StatusWords(fires=_FAILED, resolves=_SUCCEEDED)


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per state change; a reduced event without detail-type is an instance's
    when it names one. Other detail-types of the source (CloudTrail API calls…) are left to
    the generic view."""
    kind = event.detail_type
    if _is_instance(event):
        return [_signal(event, ctx, instance_level=True)]
    if kind in (_DEPLOYMENT, None):
        return [_signal(event, ctx, instance_level=False)]
    return []


def _is_instance(event: Event) -> bool:
    """An instance's state change; a reduced event without detail-type says so by naming
    an instance."""
    return event.detail_type == _INSTANCE or (
        event.detail_type is None and bool(dig(event.detail, "instanceId"))
    )


def change(event: Event) -> Change | None:
    """A deployment changing state, as a change before an alert: its instances' events
    are not (the deployment's own tell it)."""
    if event.detail_type not in (_DEPLOYMENT, None) or _is_instance(event):
        return None
    deployment = _Deployment.of(event)
    state = deployment.state or "state unknown"
    return make_change(
        event,
        kind="codedeploy",
        title=f"CodeDeploy {deployment.where} deployment {state}",
        url=deployment.link(),
    )


@dataclass(frozen=True)
class _Deployment:
    """What a deployment's or an instance's event says of its deployment, and where."""

    group_arn: str
    application: str
    group: str
    state: str
    deployment_id: str
    account: str
    region: str | None

    @classmethod
    def of(cls, event: Event) -> _Deployment:
        group_arn = _group_arn(event)
        application, group = _names(event, group_arn)
        account, region = locate(event, group_arn, *event.resources)
        return cls(
            group_arn,
            application,
            group,
            headline(dig(event.detail, "state"), 30).upper(),
            headline(dig(event.detail, "deploymentId"), 60),
            account,
            region or _region(event.detail),
        )

    @property
    def where(self) -> str:
        """ "app/group", or the application alone."""
        if self.group:
            return f"{self.application or 'unknown'}/{self.group}"
        return self.application or "unknown"

    def link(self) -> str | None:
        return _link(self.region, self.deployment_id, self.group_arn, self.application)


def _group_arn(event: Event) -> str:
    """The deployment group's ARN (…:deploymentgroup:APP/GROUP) among the resources."""
    for arn in event.resources:
        parsed = parse_arn(arn)
        if (
            parsed is not None
            and parsed.service == "codedeploy"
            and parsed.kind == "deploymentgroup"
        ):
            return arn
    return ""


def _names(event: Event, group_arn: str) -> tuple[str, str]:
    """The application and the deployment group: the detail's, else the group ARN's."""
    parsed = parse_arn(group_arn)
    arn_app, _, arn_group = parsed.name.partition("/") if parsed else ("", "", "")
    application = headline(dig(event.detail, "application"), 100) or headline(arn_app, 100)
    group = headline(dig(event.detail, "deploymentGroup"), 100) or headline(arn_group, 100)
    return application, group


def _region(detail: Any) -> str | None:
    """The detail's own region, for reduced events without one: only a region code."""
    named = dig(detail, "region")
    return named if isinstance(named, str) and REGION_CODE.fullmatch(named) else None


def _link(region: str | None, deployment_id: str, group_arn: str, application: str) -> str | None:
    """The deployment's page (its events per instance), else the group's, else the
    application's; none without a region."""
    if deployment_id:
        return console_url(
            region, f"codesuite/codedeploy/deployments/{quote(deployment_id, safe='')}"
        )
    parsed = parse_arn(group_arn)
    if parsed is not None and parsed.region == region:
        return arn_console_url(group_arn)
    if application:
        return console_url(
            region, f"codesuite/codedeploy/applications/{quote(application, safe='')}"
        )
    return console_url(region, "codesuite/codedeploy/applications")


def _signal(event: Event, ctx: Context, *, instance_level: bool) -> Signal:
    detail = event.detail
    deployment = _Deployment.of(event)
    state = deployment.state
    severity, signal_state = _STATUS.level(state)
    instance = headline(dig(detail, "instanceId"), 100) if instance_level else ""
    what = f"instance {instance or 'unknown'}" if instance_level else "deployment"
    key: list[Any] = [deployment.application, deployment.group]
    if instance_level:
        key.append(instance)
    region = deployment.region
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"CodeDeploy {deployment.where}: {what} {state or 'state unknown'}",
        severity=severity,
        state=signal_state,
        fingerprint=fingerprint("codedeploy", deployment.account, region, *key),
        fields=fields(
            [
                ("Application", deployment.application),
                ("Deployment group", deployment.group),
                ("Deployment ID", deployment.deployment_id),
                ("Instance", instance),
                ("State", state),
                ("Instance group ID", headline(dig(detail, "instanceGroupId"), 60)),
            ]
        ),
        resource=deployment.group_arn or instance or deployment.deployment_id,
        console_url=deployment.link(),
        account=deployment.account,
        region=region,
    )
