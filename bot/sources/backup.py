"""AWS Backup backup, copy and restore jobs, from EventBridge or from Backup's SNS text
notifications (which the bot stores as "AWS Backup Notification" events).

A job that failed, expired or was aborted means a resource is not protected: HIGH. A
completed job is news, keyed like the failure so that it can be recognised as its sequel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.models import Event, Severity, Signal, SignalState
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
    make_signal,
    scalar,
)
from bot.sources.console import quote

FAMILY = registry.BACKUP

_SNS = "AWS Backup Notification"
# detail-type → (job type, the detail key of its id).
_JOB_TYPES = {
    "Backup Job State Change": ("BACKUP_JOB", "backupJobId"),
    "Copy Job State Change": ("COPY_JOB", "copyJobId"),
    "Restore Job State Change": ("RESTORE_JOB", "restoreJobId"),
}
# job type → the console's name for its job list.
_CONSOLE_KINDS = {"BACKUP_JOB": "backup", "COPY_JOB": "copy", "RESTORE_JOB": "restore"}
_BAD_STATES = frozenset({"FAILED", "EXPIRED", "ABORTED"})

# "Resource ARN : arn:aws:ec2:…:volume/vol-1. BackupJob ID : 1b23…": the sentence's full
# stop is not part of the ARN.
_RESOURCE_ARN = re.compile(r"Resource ARN\s*:\s*(arn:\S+?)\.?(?=\s|$)", re.IGNORECASE)
_RECOVERY_POINT = re.compile(r"Recovery point ARN\s*:\s*(arn:\S+?)\.?(?=\s|$)", re.IGNORECASE)
_JOB_ID = re.compile(r"Job ID\s*:\s*([0-9A-Za-z-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class _Job:
    """The facts of one job, whichever shape they came in."""

    type: str
    state: str
    id: str
    resource_arn: str
    resource_type: str = ""
    vault: str = ""
    message: str = ""
    recovery_point: str = ""
    account: str = ""
    region_hint: str = ""


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per job event. Other detail-types of the source (recovery point, plan and
    vault changes, CloudTrail API calls) are not jobs: they are left to the generic view, as
    an expired recovery point is routine where an expired job is not."""
    kind = event.detail_type
    if kind == _SNS or (kind is None and "message" in event.detail):
        job = _from_sns(event.detail)
    elif kind in _JOB_TYPES or kind is None:
        job = _from_eventbridge(event)
    else:
        return []
    return [_signal(event, ctx, job)]


def _search(pattern: re.Pattern[str], message: str) -> str:
    found = pattern.search(message)
    return found.group(1) if found else ""


def _from_sns(detail: dict[str, Any]) -> _Job:
    """Attributes first; the message text has the resource ARN and job id when they lack
    them, and says whether the job failed when there is no State at all."""
    attributes = dig(detail, "attributes", default={})
    message = scalar(dig(detail, "message"))
    state = scalar(dig(attributes, "State")).upper() or _state_from_message(message)
    return _Job(
        type=scalar(dig(attributes, "EventType")).upper() or "BACKUP_JOB",
        state=state,
        id=scalar(dig(attributes, "Id")) or _search(_JOB_ID, message),
        resource_arn=scalar(dig(attributes, "ResourceArn")) or _search(_RESOURCE_ARN, message),
        message=message,
        recovery_point=_search(_RECOVERY_POINT, message),
        account=scalar(dig(attributes, "AccountId")),
        region_hint=scalar(dig(detail, "topic_arn")),
    )


def _state_from_message(message: str) -> str:
    lowered = message.lower()
    if "fail" in lowered or "abort" in lowered:
        return "FAILED"
    return "COMPLETED" if "complete" in lowered else ""


def _from_eventbridge(event: Event) -> _Job:
    detail = event.detail
    job_type, id_key = _JOB_TYPES.get(event.detail_type or "", ("BACKUP_JOB", "backupJobId"))
    vault = dig(detail, "backupVaultName") or dig(detail, "destinationBackupVaultArn")
    return _Job(
        type=job_type,
        state=scalar(dig(detail, "state") or dig(detail, "status")).upper(),
        id=scalar(dig(detail, id_key)),
        resource_arn=scalar(dig(detail, "resourceArn") or dig(detail, "createdResourceArn")),
        resource_type=scalar(dig(detail, "resourceType")),
        vault=scalar(vault),
        message=scalar(dig(detail, "statusMessage")),
        recovery_point=scalar(dig(detail, "recoveryPointArn")),
    )


def _short(arn: str) -> str:
    """vol-0123 from arn:aws:ec2:…:volume/vol-0123, mydb from arn:aws:rds:…:db:mydb."""
    parts = arn_parts(arn)
    return parts[-1].rsplit(":", 1)[-1] if parts else arn


def _signal(event: Event, ctx: Context, job: _Job) -> Signal:
    account, region = locate(event, job.resource_arn, job.region_hint)
    account = account or job.account
    state = headline(job.state, 30)
    bad = state in _BAD_STATES
    label = job.type.replace("_", " ").capitalize()  # "Backup job", "Copy job"
    subject = headline(_short(job.resource_arn) or job.id, 100)
    title = f"{label} {state or 'state unknown'}" + (f": {subject}" if subject else "")
    kind = _CONSOLE_KINDS.get(job.type, "backup")
    fragment = f"/jobs/{kind}/details/{quote(job.id, safe='')}" if job.id else "/jobs"
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=title,
        severity=Severity.HIGH if bad else Severity.INFO,
        state=SignalState.FIRING if bad else SignalState.INFO,
        # A job without a resource ARN (copy job notifications) is keyed by its id instead,
        # so that unrelated failures do not merge into one alert.
        fingerprint=fingerprint("backup", account, region, job.type, job.resource_arn or job.id),
        fields=fields(
            [
                ("Job type", job.type),
                ("State", state),
                ("Job ID", job.id),
                ("Resource ARN", job.resource_arn),
                ("Resource type", job.resource_type),
                ("Vault", job.vault),
                ("Recovery point", job.recovery_point),
                ("Message", job.message),
            ]
        ),
        resource=job.resource_arn,
        console_url=console_url(region, "backup/home", fragment),
        account=account,
        region=region,
    )
