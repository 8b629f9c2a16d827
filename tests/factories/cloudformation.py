"""CloudFormation stack, resource and drift detection details."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

STACK = "CloudFormation Stack Status Change"
RESOURCE = "CloudFormation Resource Status Change"
DRIFT = "CloudFormation Drift Detection Status Change"
SOURCE = "aws.cloudformation"
AGENT_SOURCE = "monitoring.agent.cloudformation"


def stack_arn(
    name: str = "teststack", *, region: str = "us-east-1", account: str = "123456789012"
) -> str:
    return arn("cloudformation", f"stack/{name}/0a1b2c3d-0000-1111", region=region, account=account)


def stack_status(
    status: str = "CREATE_COMPLETE",
    *,
    stack: str = "teststack",
    reason: str = "",
    region: str = "us-east-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """A "CloudFormation Stack Status Change" detail."""
    return {
        "stack-id": stack_arn(stack, region=region, account=account),
        "status-details": {"status": status, "status-reason": reason},
        "client-request-token": "",
    }


def resource_status(
    status: str = "CREATE_COMPLETE",
    *,
    stack: str = "teststack",
    logical_id: str = "MyBucket",
    physical_id: str = "teststack-mybucket-1a2b3c",
    resource_type: str = "AWS::S3::Bucket",
    reason: str = "",
    region: str = "us-east-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """A "CloudFormation Resource Status Change" detail."""
    return {
        **stack_status(status, stack=stack, reason=reason, region=region, account=account),
        "logical-resource-id": logical_id,
        "physical-resource-id": physical_id,
        "resource-type": resource_type,
    }


def drift_status(
    drift: str = "DRIFTED",
    *,
    detection: str = "DETECTION_COMPLETE",
    drifted: int = 2,
    stack: str = "teststack",
    region: str = "us-east-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """A "CloudFormation Drift Detection Status Change" detail."""
    return {
        "stack-id": stack_arn(stack, region=region, account=account),
        "stack-drift-detection-id": "d0e1f2a3-0000-1111-2222-333344445555",
        "status-details": {"stack-drift-status": drift, "detection-status": detection},
        "drift-detection-details": {"drifted-stack-resource-count": drifted},
        "client-request-token": "",
    }
