"""AWS Backup interpreter, for both shapes: a failed, expired or aborted job is HIGH, any
other state is news, and a job is keyed by its resource so its next run is recognised."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, SignalState
from bot.sources import backup, interpret
from bot.sources.base import Context
from tests.corpus import load
from tests.factories import OTHER_PARTITIONS, field_values, make_event
from tests.factories import backup as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
VOLUME = "arn:aws:ec2:us-west-1:123456789012:volume/vol-012f345df6789012e"
WEST1 = "https://us-west-1.console.aws.amazon.com/backup/home?region=us-west-1"


def _sns_corpus() -> list[Event]:
    """The four SNS notifications, as the bot stores them ("AWS Backup Notification")."""
    records = load("sns_backup_job_notifications.json")["Records"]
    events = []
    for record in records:
        sns = record["Sns"]
        attributes = {k: v["Value"] for k, v in sns["MessageAttributes"].items()}
        detail = {
            "subject": sns["Subject"],
            "message": sns["Message"],
            "topic_arn": sns["TopicArn"],
            "attributes": attributes,
        }
        events.append(
            make_event(
                f.NOTIFICATION,
                f.SOURCE,
                detail,
                account=attributes["AccountId"],
                region="us-west-1",
            )
        )
    return events


def _one(event: Event):
    [signal] = backup.interpret(event, CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus: the SNS text notifications
# ---------------------------------------------------------------------------------------------


def test_corpus_completed_backup_job_is_news_keyed_by_its_resource() -> None:
    signal = _one(_sns_corpus()[0])
    assert signal.family == "backup"
    assert signal.title == "Backup job COMPLETED: vol-012f345df6789012e"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.fingerprint == f"backup:123456789012:us-west-1:BACKUP_JOB:{VOLUME}"
    assert signal.console_url == (
        f"{WEST1}#/jobs/backup/details/1b2345b2-f22c-4dab-5eb6-bbc7890ed123"
    )
    values = field_values(signal)
    assert values["Resource ARN"] == VOLUME
    assert values["Recovery point"].endswith("volume/vol-012f345df6789012d")


@pytest.mark.parametrize(("index", "state"), [(1, "FAILED"), (2, "EXPIRED")])
def test_corpus_failed_and_expired_backup_jobs_are_high(index: int, state: str) -> None:
    completed, signal = _one(_sns_corpus()[0]), _one(_sns_corpus()[index])
    assert signal.title == f"Backup job {state}: vol-012f345df6789012e"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == completed.fingerprint
    assert field_values(signal)["Job ID"] == "1b2345b2-f22c-4dab-5eb6-bbc7890ed123"


def test_corpus_failed_copy_job_without_resource_is_keyed_by_its_id() -> None:
    signal = _one(_sns_corpus()[3])
    job = "2c3456c3-f33d-5ec6-cdc7-ccd890fe2345"
    assert signal.title == f"Copy job FAILED: {job}"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == f"backup:123456789012:us-west-1:COPY_JOB:{job}"
    assert signal.console_url == f"{WEST1}#/jobs/copy/details/{job}"


# ---------------------------------------------------------------------------------------------
# EventBridge job state changes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "severity", "signal_state"),
    [
        ("FAILED", Severity.HIGH, SignalState.FIRING),
        ("EXPIRED", Severity.HIGH, SignalState.FIRING),
        ("ABORTED", Severity.HIGH, SignalState.FIRING),
        ("COMPLETED", Severity.INFO, SignalState.INFO),
        ("RUNNING", Severity.INFO, SignalState.INFO),
        ("PARTIAL", Severity.INFO, SignalState.INFO),
    ],
)
def test_eventbridge_job_state_decides_severity(
    state: str, severity: Severity, signal_state: SignalState
) -> None:
    detail = f.job_state(state, status_message="Access denied")
    signal = _one(make_event(f.BACKUP_JOB, f.SOURCE, detail))
    assert (signal.severity, signal.state) == (severity, signal_state)
    assert signal.title == f"Backup job {state}: vol-012f345df6789012e"
    assert field_values(signal)["Message"] == "Access denied"
    assert field_values(signal)["Vault"] == "Default"


@pytest.mark.parametrize(
    ("detail_type", "job_key", "kind", "label", "job_type"),
    [
        (f.COPY_JOB, "copyJobId", "copy", "Copy job", "COPY_JOB"),
        (f.RESTORE_JOB, "restoreJobId", "restore", "Restore job", "RESTORE_JOB"),
    ],
)
def test_copy_and_restore_jobs_link_to_their_own_job_list(
    detail_type: str, job_key: str, kind: str, label: str, job_type: str
) -> None:
    detail = f.job_state("ABORTED", job_key=job_key, job_id="job-1")
    signal = _one(make_event(detail_type, f.SOURCE, detail))
    assert signal.title == f"{label} ABORTED: vol-012f345df6789012e"
    assert signal.severity is Severity.HIGH
    assert signal.console_url is not None
    assert signal.console_url.endswith(f"#/jobs/{kind}/details/job-1")
    assert signal.fingerprint.split(":")[3] == job_type


def test_restore_job_status_key_is_read_like_state() -> None:
    detail = f.job_state(job_key="restoreJobId")
    del detail["state"]
    detail["status"] = "FAILED"
    signal = _one(make_event(f.RESTORE_JOB, f.SOURCE, detail))
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)


def test_a_later_completed_run_of_the_resource_is_recognised() -> None:
    failed = _one(make_event(f.BACKUP_JOB, f.SOURCE, f.job_state("FAILED", job_id="run-1")))
    later = _one(make_event(f.BACKUP_JOB, f.SOURCE, f.job_state("COMPLETED", job_id="run-2")))
    assert later.fingerprint == failed.fingerprint
    assert later.state is SignalState.INFO


# ---------------------------------------------------------------------------------------------
# SNS text without attributes, partitions, dispatch and robustness
# ---------------------------------------------------------------------------------------------


def test_sns_without_attributes_reads_the_message_text() -> None:
    bucket = "arn:aws:s3:::my.bucket.name"
    detail = f.sns_notification("FAILED", resource_arn=bucket, job_id="abc-123", attributes=False)
    signal = _one(make_event(f.NOTIFICATION, f.SOURCE, detail))
    assert signal.title == "Backup job FAILED: my.bucket.name"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert field_values(signal)["Resource ARN"] == bucket
    assert field_values(signal)["Job ID"] == "abc-123"
    assert signal.fingerprint == f"backup:123456789012:us-east-1:BACKUP_JOB:{bucket}"


def test_sns_aborted_notification_is_high() -> None:
    detail = f.sns_notification("ABORTED", event_type="COPY_JOB")
    signal = _one(make_event(f.NOTIFICATION, f.SOURCE, detail))
    assert signal.title == "Copy job ABORTED: vol-012f345df6789012e"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)


def test_reduced_notification_takes_account_and_region_from_what_it_has() -> None:
    detail = f.sns_notification("FAILED", region="eu-west-1", account="210987654321")
    signal = _one(make_event(f.NOTIFICATION, f.SOURCE, detail, account="", region=None))
    assert (signal.account, signal.region) == ("210987654321", "eu-west-1")


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_follow_the_partition(region: str, host: str) -> None:
    detail = f.job_state("FAILED", job_id="job-9", region=region)
    signal = _one(make_event(f.BACKUP_JOB, f.SOURCE, detail, region=region))
    assert signal.console_url == f"{host}/backup/home?region={region}#/jobs/backup/details/job-9"
    assert signal.fingerprint.startswith(f"backup:123456789012:{region}:BACKUP_JOB:arn:")


def test_dispatch_reaches_the_backup_interpreter() -> None:
    [signal] = interpret(_sns_corpus()[1])
    assert signal.family == backup.FAMILY
    assert signal.severity is Severity.HIGH


@pytest.mark.parametrize(
    "detail_type", ["Recovery Point State Change", "AWS API Call via CloudTrail"]
)
def test_events_that_are_not_jobs_are_left_to_the_generic_view(detail_type: str) -> None:
    detail = {"recoveryPointArn": "arn:aws:backup:us-east-1:123456789012:recovery-point:x"}
    event = make_event(detail_type, f.SOURCE, {**detail, "status": "EXPIRED"})
    signal = assert_left_to_generic(backup.interpret, event)
    assert signal.severity is not Severity.HIGH


def test_a_reduced_event_without_detail_type_is_read_by_its_shape() -> None:
    sns = _one(make_event(None, f.SOURCE, f.sns_notification("FAILED", event_type="COPY_JOB")))
    job = _one(make_event(None, f.SOURCE, f.job_state("ABORTED")))
    assert sns.title == "Copy job FAILED: vol-012f345df6789012e"
    assert job.title == "Backup job ABORTED: vol-012f345df6789012e"


_EVERY_KEY: dict[str, Any] = {**f.job_state(status_message="m"), **f.sns_notification()}


@settings(max_examples=50, deadline=None)
@given(
    detail_type=st.sampled_from([f.NOTIFICATION, f.BACKUP_JOB, f.COPY_JOB, f.RESTORE_JOB, None]),
    detail=junk_like(_EVERY_KEY),
    message=st.text(max_size=60).map(lambda t: f"Resource ARN : {t}. Job ID : {t}"),
)
def test_any_detail_gives_one_signal(detail_type: str | None, detail: object, message: str) -> None:
    detail = detail if isinstance(detail, dict) else {"state": detail}
    detail.setdefault("message", message)
    signal = _one(make_event(detail_type, f.SOURCE, detail))
    assert_readable(signal, "backup:123456789012:us-east-1:")
