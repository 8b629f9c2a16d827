"""AWS Backup job details, in both shapes: EventBridge job state changes, and the bot's
"AWS Backup Notification" events built from Backup's SNS text notifications."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

BACKUP_JOB = "Backup Job State Change"
COPY_JOB = "Copy Job State Change"
RESTORE_JOB = "Restore Job State Change"
NOTIFICATION = "AWS Backup Notification"
SOURCE = "aws.backup"
JOB_ID = "1b2345b2-f22c-4dab-5eb6-bbc7890ed123"


def volume_arn(
    volume: str = "vol-012f345df6789012e",
    *,
    region: str = "us-east-1",
    account: str = "123456789012",
) -> str:
    return arn("ec2", f"volume/{volume}", region=region, account=account)


def job_state(
    state: str = "COMPLETED",
    *,
    job_key: str = "backupJobId",
    job_id: str = JOB_ID,
    resource_arn: str | None = None,
    resource_type: str = "EBS",
    vault: str = "Default",
    status_message: str | None = None,
    region: str = "us-east-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """A "Backup/Copy/Restore Job State Change" detail (job_key names the id's key)."""
    detail: dict[str, Any] = {
        job_key: job_id,
        "backupVaultName": vault,
        "resourceArn": resource_arn or volume_arn(region=region, account=account),
        "resourceType": resource_type,
        "state": state,
    }
    if status_message is not None:
        detail["statusMessage"] = status_message
    return detail


def sns_notification(
    state: str = "FAILED",
    *,
    event_type: str = "BACKUP_JOB",
    job_id: str = JOB_ID,
    resource_arn: str | None = None,
    message: str | None = None,
    attributes: bool = True,
    region: str = "us-east-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """An "AWS Backup Notification" detail; its message says what AWS's text would say.
    Without attributes, only the message text is left to read."""
    resource = resource_arn or volume_arn(region=region, account=account)
    text = message or (
        f"An AWS Backup job {state.lower()}. Resource ARN : {resource}. BackupJob ID : {job_id}"
    )
    attrs = {"EventType": event_type, "State": state, "AccountId": account, "Id": job_id}
    return {
        "subject": "Notification from AWS Backup",
        "message": text,
        "topic_arn": arn("sns", "backup-events", region=region, account=account),
        "attributes": attrs if attributes else {},
    }
