"""EC2 event details: spot interruptions, instance state changes, rebalance advice."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

SOURCE = "aws.ec2"
SPOT_INTERRUPTION = "EC2 Spot Instance Interruption Warning"
STATE_CHANGE = "EC2 Instance State-change Notification"
REBALANCE = "EC2 Instance Rebalance Recommendation"
INSTANCE = "i-1234567890abcdef0"


def instance_arn(
    instance: str = INSTANCE, *, region: str = "us-east-1", account: str = "123456789012"
) -> str:
    return arn("ec2", f"instance/{instance}", region=region, account=account)


def spot_interruption(action: str = "terminate", *, instance: str = INSTANCE) -> dict[str, Any]:
    """An "EC2 Spot Instance Interruption Warning" detail."""
    return {"instance-id": instance, "instance-action": action}


def state_change(state: str = "running", *, instance: str = INSTANCE) -> dict[str, Any]:
    """An "EC2 Instance State-change Notification" detail."""
    return {"instance-id": instance, "state": state}


def rebalance(*, instance: str = INSTANCE) -> dict[str, Any]:
    """An "EC2 Instance Rebalance Recommendation" detail."""
    return {"instance-id": instance}
