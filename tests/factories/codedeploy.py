"""CodeDeploy deployment and instance state-change details. CodeDeploy names the
application and deployment group in the detail and, as ARNs, in the event's resources."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

DEPLOYMENT = "CodeDeploy Deployment State-change Notification"
INSTANCE = "CodeDeploy Instance State-change Notification"
SOURCE = "aws.codedeploy"


def resources(
    application: str = "shop",
    group: str = "prod",
    *,
    region: str = "us-east-1",
    instance: str | None = None,
) -> list[str]:
    """The event's resources: the instance (for instance events), the group, the application."""
    out = [
        arn("codedeploy", f"application:{application}", region=region),
        arn("codedeploy", f"deploymentgroup:{application}/{group}", region=region),
    ]
    if instance is not None:
        out.insert(0, arn("ec2", f"instance/{instance}", region=region))
    return out


def deployment(
    state: str = "START",
    *,
    application: str = "shop",
    group: str = "prod",
    deployment_id: str = "d-ABCDEF123",
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A "CodeDeploy Deployment State-change Notification" detail."""
    return {
        "instanceGroupId": "9fd2fbef-2157-40d8-91e7-6845af69e2d2",
        "region": region,
        "application": application,
        "deploymentId": deployment_id,
        "state": state,
        "deploymentGroup": group,
    }


def instance(
    state: str = "START",
    *,
    instance_id: str = "i-0000000aaaaaaaaaa",
    application: str = "shop",
    group: str = "prod",
    deployment_id: str = "d-ABCDEF123",
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A "CodeDeploy Instance State-change Notification" detail."""
    return {
        **deployment(
            state, application=application, group=group, deployment_id=deployment_id, region=region
        ),
        "instanceId": instance_id,
    }
