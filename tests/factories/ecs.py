"""ECS event details. ECS names the service (or task) only in the event's `resources`, so
the ARN builders are here too."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

TASK = "ECS Task State Change"
SERVICE_ACTION = "ECS Service Action"
DEPLOYMENT = "ECS Deployment State Change"
CONTAINER_INSTANCE = "ECS Container Instance State Change"
SOURCE = "aws.ecs"


def service_arn(
    service: str = "web",
    *,
    cluster: str | None = "prod",
    region: str = "us-east-1",
    account: str = "123456789012",
) -> str:
    """service/CLUSTER/NAME, or the old service/NAME form when cluster is None."""
    path = f"service/{cluster}/{service}" if cluster else f"service/{service}"
    return arn("ecs", path, region=region, account=account)


def cluster_arn(
    cluster: str = "prod", *, region: str = "us-east-1", account: str = "123456789012"
) -> str:
    return arn("ecs", f"cluster/{cluster}", region=region, account=account)


def container(
    name: str = "app",
    *,
    exit_code: int | None = None,
    reason: str | None = None,
    last_status: str = "RUNNING",
) -> dict[str, Any]:
    """One entry of a task detail's `containers`."""
    out: dict[str, Any] = {"name": name, "lastStatus": last_status}
    if exit_code is not None:
        out["exitCode"] = exit_code
    if reason is not None:
        out["reason"] = reason
    return out


def task_state(
    last_status: str = "RUNNING",
    *,
    desired_status: str | None = None,
    cluster: str = "prod",
    task_id: str = "c13b4cb40f1f4fe4a2971f76ae5a47ad",
    family: str = "web",
    revision: int = 3,
    group: str | None = None,
    stop_code: str | None = None,
    stopped_reason: str | None = None,
    containers: list[dict[str, Any]] | None = None,
    region: str = "us-east-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """An "ECS Task State Change" detail; STOPPED details carry stopCode and stoppedReason."""
    detail: dict[str, Any] = {
        "clusterArn": cluster_arn(cluster, region=region, account=account),
        "taskArn": arn("ecs", f"task/{cluster}/{task_id}", region=region, account=account),
        "taskDefinitionArn": arn(
            "ecs", f"task-definition/{family}:{revision}", region=region, account=account
        ),
        "group": group or f"family:{family}",
        "lastStatus": last_status,
        "desiredStatus": desired_status or last_status,
        "launchType": "FARGATE",
        "containers": containers if containers is not None else [container()],
    }
    if stop_code is not None:
        detail["stopCode"] = stop_code
    if stopped_reason is not None:
        detail["stoppedReason"] = stopped_reason
    return detail


def service_action(
    event_type: str = "INFO",
    event_name: str = "SERVICE_STEADY_STATE",
    *,
    cluster: str = "prod",
    reason: str | None = None,
    capacity_providers: list[str] | None = None,
    region: str = "us-east-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """An "ECS Service Action" detail (INFO, WARN or ERROR)."""
    detail: dict[str, Any] = {
        "eventType": event_type,
        "eventName": event_name,
        "clusterArn": cluster_arn(cluster, region=region, account=account),
        "createdAt": "2024-01-01T00:00:00.000Z",
    }
    if reason is not None:
        detail["reason"] = reason
    if capacity_providers is not None:
        detail["capacityProviderArns"] = [
            arn("ecs", f"capacity-provider/{name}", region=region, account=account)
            for name in capacity_providers
        ]
    return detail


def deployment_state(
    event_name: str = "SERVICE_DEPLOYMENT_COMPLETED",
    *,
    event_type: str | None = None,
    deployment_id: str = "ecs-svc/1234567890",
    reason: str = "ECS deployment ecs-svc/1234567890 completed.",
) -> dict[str, Any]:
    """An "ECS Deployment State Change" detail; ERROR for a failed one unless told."""
    failed = event_name == "SERVICE_DEPLOYMENT_FAILED"
    return {
        "eventType": event_type or ("ERROR" if failed else "INFO"),
        "eventName": event_name,
        "deploymentId": deployment_id,
        "updatedAt": "2024-01-01T00:00:00Z",
        "reason": reason,
    }


def container_instance_state(
    status: str = "ACTIVE",
    *,
    cluster: str = "prod",
    instance_id: str = "i-0123456789abcdef0",
    region: str = "us-east-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """An "ECS Container Instance State Change" detail."""
    return {
        "clusterArn": cluster_arn(cluster, region=region, account=account),
        "containerInstanceArn": arn(
            "ecs", f"container-instance/{cluster}/0a1b2c3d4e", region=region, account=account
        ),
        "ec2InstanceId": instance_id,
        "status": status,
        "agentConnected": True,
    }
