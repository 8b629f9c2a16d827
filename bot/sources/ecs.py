"""ECS task, service, deployment and container instance events.

A failed deployment or an ERROR service action needs someone now; a WARN one soon; a task
that stopped on an error deserves a look. Tasks starting, deployments completing and INFO
service actions are only worth knowing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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

FAMILY = registry.ECS

_TASK = "ECS Task State Change"
_CONTAINER_INSTANCE = "ECS Container Instance State Change"
_DEPLOYMENT = "ECS Deployment State Change"
_SERVICE_TYPES = ("ECS Service Action", _DEPLOYMENT)
_DEPLOYMENT_EVENT = "SERVICE_DEPLOYMENT_"  # IN_PROGRESS, COMPLETED, FAILED
_ERROR_REASON = re.compile(r"error|fail|outofmemory", re.IGNORECASE)


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per event, by detail-type (a reduced event without one, by its shape).
    Other detail-types of the source (CloudTrail API calls…) are left to the generic view."""
    kind = event.detail_type
    if kind == _TASK or (kind is None and dig(event.detail, "taskArn")):
        return [_task(event, ctx)]
    if kind == _CONTAINER_INSTANCE:
        return [_container_instance(event, ctx)]
    if kind in _SERVICE_TYPES or kind is None:
        return [_service(event, ctx)]
    return []


# ---------------------------------------------------------------------------------------------
# Helpers: names out of ARNs, safe paths and lists
# ---------------------------------------------------------------------------------------------


def _arn_name(arn: Any, kind: str) -> str:
    """The last part of an ARN of this resource kind (cluster/NAME, task/CLUSTER/ID…)."""
    parts = arn_parts(arn)
    return headline(parts[-1], 100) if len(parts) >= 2 and parts[0] == kind else ""


def _arn_cluster(arn: Any, kind: str) -> str:
    """The cluster that the new ARN format puts in the middle: service/CLUSTER/NAME."""
    parts = arn_parts(arn)
    return headline(parts[1], 100) if len(parts) >= 3 and parts[0] == kind else ""


def _first(event: Event, kind: str) -> str:
    """The first resource ARN of this kind: ECS names the service or task only there."""
    return next((arn for arn in event.resources if arn_parts(arn)[:1] == [kind]), "")


def _segment(value: str) -> str:
    """A name as one URL path segment: a detail's names are not trusted to be plain."""
    return quote(value, safe="")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _signal(
    event: Event,
    ctx: Context,
    where: tuple[str, str | None],
    key: tuple[str, ...],
    path: str,
    **kwargs: Any,
) -> Signal:
    """A signal of this account and region (`where`), keyed by `key` within them, linking to
    the console `path`."""
    account, region = where
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        fingerprint=fingerprint("ecs", account, region, *key),
        console_url=console_url(region, path),
        account=account,
        region=region,
        **kwargs,
    )


# ---------------------------------------------------------------------------------------------
# Service actions and deployments
# ---------------------------------------------------------------------------------------------


def _service_level(detail: Any) -> tuple[Severity, SignalState]:
    """FAILED deployments and ERROR actions are HIGH, WARN actions MEDIUM, the rest info."""
    name = scalar(dig(detail, "eventName")).upper()
    kind = scalar(dig(detail, "eventType")).upper()
    if name == "SERVICE_DEPLOYMENT_FAILED" or kind == "ERROR":
        return Severity.HIGH, SignalState.FIRING
    if kind == "WARN":
        return Severity.MEDIUM, SignalState.FIRING
    return Severity.INFO, SignalState.INFO


@dataclass(frozen=True)
class _Service:
    """The service a service action or deployment event is about, and where it runs."""

    arn: str
    cluster_arn: str
    cluster: str
    name: str
    where: tuple[str, str | None]  # account, region

    @classmethod
    def of(cls, event: Event) -> _Service:
        service_arn = _first(event, "service")
        cluster_arn = scalar(dig(event.detail, "clusterArn"))
        cluster = _arn_name(cluster_arn, "cluster") or _arn_cluster(service_arn, "service")
        where = locate(event, service_arn, cluster_arn)
        return cls(service_arn, cluster_arn, cluster, _arn_name(service_arn, "service"), where)

    @property
    def path(self) -> str:
        """The service's health page in the console, else the clusters'."""
        if self.cluster and self.name:
            return f"ecs/v2/clusters/{_segment(self.cluster)}/services/{_segment(self.name)}/health"
        return "ecs/v2/clusters"


def _service(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    service = _Service.of(event)
    severity, state = _service_level(detail)
    name = headline(dig(detail, "eventName"), 80) or "event"
    providers = [
        _arn_name(arn, "capacity-provider") or scalar(arn)
        for arn in _as_list(dig(detail, "capacityProviderArns"))
    ]
    return _signal(
        event,
        ctx,
        service.where,
        (service.cluster, service.name),
        service.path,
        title=f"ECS service {service.name or 'unknown'}: {name}",
        severity=severity,
        state=state,
        fields=fields(
            [
                ("Cluster", service.cluster),
                ("Service", service.name),
                ("Event", name),
                ("Reason", dig(detail, "reason")),
                ("Deployment ID", dig(detail, "deploymentId")),
                ("Capacity providers", ", ".join(providers)),
            ]
        ),
        resource=service.arn or service.cluster_arn,
    )


def change(event: Event) -> Change | None:
    """A service's deployment changing state (ECS Deployment State Change), as a change
    before an alert: service actions and tasks are not. A reduced event without
    detail-type is a deployment's when its event name says so."""
    name = headline(dig(event.detail, "eventName"), 80).upper()
    if event.detail_type != _DEPLOYMENT and not (
        event.detail_type is None and name.startswith(_DEPLOYMENT_EVENT)
    ):
        return None
    service = _Service.of(event)
    state = name.removeprefix(_DEPLOYMENT_EVENT) or "state unknown"
    return make_change(
        event,
        kind="ecs",
        title=f"ECS service {service.name or 'unknown'} deployment {state}",
        url=console_url(service.where[1], service.path),
    )


# ---------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------


def _containers(detail: Any) -> list[dict[str, Any]]:
    return [c for c in _as_list(dig(detail, "containers")) if isinstance(c, dict)]


def _failed_exit(container: dict[str, Any]) -> bool:
    code = number(container.get("exitCode"))
    return code is not None and code != 0


def _stopped_on_error(detail: Any) -> bool:
    """TaskFailedToStart, an essential container that exited non-zero, or a reason (the task's
    or a container's) that speaks of an error, a failure or OutOfMemory."""
    if scalar(dig(detail, "lastStatus")).upper() != "STOPPED":
        return False
    code = scalar(dig(detail, "stopCode"))
    containers = _containers(detail)
    if code == "TaskFailedToStart":
        return True
    if code == "EssentialContainerExited" and any(map(_failed_exit, containers)):
        return True
    reasons = [scalar(dig(detail, "stoppedReason"))] + [scalar(c.get("reason")) for c in containers]
    return any(_ERROR_REASON.search(reason) for reason in reasons)


def _describe(container: dict[str, Any]) -> str:
    """The container's part in the task's fate: "web: exit 137 (OutOfMemoryError…)"."""
    out = headline(container.get("name"), 60) or "container"
    if container.get("exitCode") is not None:
        out += f": exit {headline(container.get('exitCode'), 20)}"
    reason = headline(container.get("reason"), 120)
    return f"{out} ({reason})" if reason else out


def _task(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    task_arn = scalar(dig(detail, "taskArn")) or _first(event, "task")
    cluster_arn = scalar(dig(detail, "clusterArn"))
    cluster = _arn_name(cluster_arn, "cluster") or _arn_cluster(task_arn, "task")
    task_id = _arn_name(task_arn, "task")
    definition = _arn_name(dig(detail, "taskDefinitionArn"), "task-definition")
    group = headline(dig(detail, "group"), 200)
    if not group and definition:
        group = f"family:{definition.split(':')[0]}"
    last = headline(dig(detail, "lastStatus"), 30).upper()
    stop_code = headline(dig(detail, "stopCode"), 60)
    where = locate(event, task_arn, cluster_arn)
    failed = _stopped_on_error(detail)
    title = f"ECS task {definition or task_id or 'unknown'} {last or 'status unknown'}"
    title += f" on {cluster}" if cluster else ""
    title += f": {stop_code}" if failed and stop_code else ""
    if cluster and task_id:
        path = f"ecs/v2/clusters/{_segment(cluster)}/tasks/{_segment(task_id)}"
    else:
        path = "ecs/v2/clusters"
    containers = _containers(detail)
    return _signal(
        event,
        ctx,
        where,
        (cluster, group),
        path,
        title=title,
        severity=Severity.MEDIUM if failed else Severity.INFO,
        state=SignalState.FIRING if failed else SignalState.INFO,
        fields=fields(
            [
                ("Cluster", cluster),
                ("Task definition", definition),
                ("Group", group),
                ("Last status", last),
                ("Desired status", dig(detail, "desiredStatus")),
                ("Stop code", stop_code),
                ("Stopped reason", dig(detail, "stoppedReason")),
                ("Containers", "\n".join(map(_describe, containers))),
                ("Capacity provider", dig(detail, "capacityProviderName")),
            ]
        ),
        resource=task_arn,
    )


# ---------------------------------------------------------------------------------------------
# Container instances
# ---------------------------------------------------------------------------------------------


def _container_instance(event: Event, ctx: Context) -> Signal:
    """Agent connects, drains and deregistrations: context, never an alert on their own."""
    detail = event.detail
    instance_arn = scalar(dig(detail, "containerInstanceArn")) or _first(
        event, "container-instance"
    )
    cluster_arn = scalar(dig(detail, "clusterArn"))
    cluster = _arn_name(cluster_arn, "cluster") or _arn_cluster(instance_arn, "container-instance")
    instance = headline(dig(detail, "ec2InstanceId"), 40) or _arn_name(
        instance_arn, "container-instance"
    )
    status = headline(dig(detail, "status"), 30).upper()
    where = locate(event, instance_arn, cluster_arn)
    path = f"ecs/v2/clusters/{_segment(cluster)}/infrastructure" if cluster else "ecs/v2/clusters"
    title = f"ECS container instance {instance or 'unknown'} {status or 'status unknown'}"
    return _signal(
        event,
        ctx,
        where,
        (cluster, "container-instance", instance),
        path,
        title=title + (f" on {cluster}" if cluster else ""),
        severity=Severity.INFO,
        state=SignalState.INFO,
        fields=fields(
            [
                ("Cluster", cluster),
                ("Instance", instance),
                ("Status", status),
                ("Status reason", dig(detail, "statusReason")),
                ("Agent connected", dig(detail, "agentConnected")),
            ]
        ),
        resource=instance_arn,
    )
