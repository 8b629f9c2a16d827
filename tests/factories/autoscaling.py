"""EC2 Auto Scaling event details: launch and terminate activities, lifecycle actions,
instance refreshes. Auto Scaling names the group in the detail and, as an ARN, in the
event's resources."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

LAUNCH_SUCCESSFUL = "EC2 Instance Launch Successful"
LAUNCH_UNSUCCESSFUL = "EC2 Instance Launch Unsuccessful"
TERMINATE_SUCCESSFUL = "EC2 Instance Terminate Successful"
TERMINATE_UNSUCCESSFUL = "EC2 Instance Terminate Unsuccessful"
LAUNCH_LIFECYCLE = "EC2 Instance-launch Lifecycle Action"
TERMINATE_LIFECYCLE = "EC2 Instance-terminate Lifecycle Action"
REFRESH_STARTED = "EC2 Auto Scaling Instance Refresh Started"
SOURCE = "aws.autoscaling"
ACTIVITY_ID = "87654321-4321-4321-4321-210987654321"


def group_arn(
    group: str = "web-asg", *, region: str = "us-east-1", account: str = "123456789012"
) -> str:
    resource = f"autoScalingGroup:042cba90-ad2f-431c-9b4d-6d9055bcc9fb:autoScalingGroupName/{group}"
    return arn("autoscaling", resource, region=region, account=account)


def activity(
    status_code: str = "InProgress",
    *,
    group: str = "web-asg",
    instance: str = "i-1234567890abcdef0",
    terminating: bool = False,
    status_message: str = "",
    cause: str = "At 2023-11-14T22:13:00Z a user request increased the desired capacity.",
) -> dict[str, Any]:
    """The detail of a launch or terminate activity (Successful or Unsuccessful)."""
    verb = "Terminating EC2 instance" if terminating else "Launching a new EC2 instance"
    return {
        "StatusCode": status_code,
        "Description": f"{verb}: {instance}",
        "AutoScalingGroupName": group,
        "ActivityId": ACTIVITY_ID,
        "Details": {"Availability Zone": "us-east-1b", "Subnet ID": "subnet-12345678"},
        "RequestId": ACTIVITY_ID,
        "StatusMessage": status_message,
        "EndTime": "2023-11-14T22:13:20Z",
        "EC2InstanceId": instance,
        "StartTime": "2023-11-14T22:13:05Z",
        "Cause": cause,
    }


def lifecycle_action(
    *,
    group: str = "web-asg",
    hook: str = "drain-hook",
    instance: str = "i-1234567890abcdef0",
    terminating: bool = False,
) -> dict[str, Any]:
    """The detail of an instance-launch or instance-terminate lifecycle action."""
    transition = "TERMINATING" if terminating else "LAUNCHING"
    return {
        "LifecycleActionToken": ACTIVITY_ID,
        "AutoScalingGroupName": group,
        "LifecycleHookName": hook,
        "EC2InstanceId": instance,
        "LifecycleTransition": f"autoscaling:EC2_INSTANCE_{transition}",
        "NotificationMetadata": "additional-info",
    }


def instance_refresh(*, group: str = "web-asg") -> dict[str, Any]:
    """The detail of an instance refresh event (started, succeeded, failed…)."""
    return {
        "InstanceRefreshId": "c613620e-07e2-4ed2-a9e2-ef8258911ade",
        "AutoScalingGroupName": group,
    }
