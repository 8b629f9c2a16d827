"""The AWS sample corpus in tests/data/aws (origins and licences in its SOURCES.md), and
what each file is expected to become (its expected.csv, written by hand from what AWS
documents each event to mean)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(__file__).parent / "data" / "aws"
EXPECTED_CSV = CORPUS_DIR / "expected.csv"

# The first files of the corpus, with the family their events belong to. The tests that
# count stored ids or compare renderings use these; the classification test covers all.
EXPECTED_FAMILY = {
    "cloudformation_resource_status_change.json": "cloudformation",
    "cloudformation_stack_status_change_create_complete.json": "cloudformation",
    "cloudwatch_alarm_configuration_change_update_metric_alarm.json": "alarm",
    "cloudwatch_alarm_sns_message_body.json": "alarm",
    "cloudwatch_alarm_state_change_anomaly_detection.json": "alarm",
    "cloudwatch_alarm_state_change_composite_suppressor.json": "alarm",
    "cloudwatch_alarm_state_change_metric_math.json": "alarm",
    "cloudwatch_alarm_state_change_single_metric.json": "alarm",
    "codepipeline_action_execution_failed.json": "codepipeline",
    "codepipeline_pipeline_execution_failed.json": "codepipeline",
    "codepipeline_pipeline_execution_succeeded.json": "codepipeline",
    "ecs_deployment_state_change_failed.json": "ecs",
    "ecs_service_action_task_placement_failure.json": "ecs",
    "ecs_task_state_change_running.json": "ecs",
    "guardduty_finding_detail_only_iam_recon.json": "guardduty",
    "guardduty_finding_high_minimal.json": "guardduty",
    "guardduty_finding_low_minimal.json": "guardduty",
    "health_ec2_issue_minimal.json": "health",
    "health_putevents_entry_ecs_task_patching_scheduled_change.json": "health",
    "health_test_event_nonstandard_category.json": "health",
    "securityhub_findings_custom_action_critical.json": "securityhub",
    "securityhub_findings_imported_afsbp_informational.json": "securityhub",
    "securityhub_findings_imported_cis_medium.json": "securityhub",
    "sns_backup_job_notifications.json": "backup",
    "sns_cloudwatch_alarm_ok.json": "alarm",
    "sns_dms_replication_task_stopped.json": "generic",
    "sns_glue_job_failed_eventbridge.json": "generic",
    "sns_guardduty_finding_govcloud.json": "guardduty",
    "sns_guardduty_malware_s3_scan_threats_found.json": "guardduty",
    "sns_plain_text_message.json": "generic",
}

# Distinct event ids across those first files, counted by hand from SOURCES.md: reused
# ids (CloudFormation ×2, CodePipeline ×3, SNS f86e3c5b ×3, Backup 3 of 4) collapse, the
# SNS 95df01b4 pair splits (the malware scan carries its own inner id), and the five
# id-less files get content ids.
DISTINCT_IDS = 26

ALL_UNITS = "*"


@dataclass(frozen=True)
class Expectation:
    """What one unit of a corpus file must become (every event it makes)."""

    file: str
    unit: str  # an index into the file's units, or "*" for all of them
    shape: str  # the outermost envelope; for a refused unit, what it is instead
    family: str
    state: str  # firing, resolved, info, rejected or ignored
    severity: str
    why: str

    @property
    def refused(self) -> bool:
        return self.state == "rejected"


@cache
def expectations() -> tuple[Expectation, ...]:
    with EXPECTED_CSV.open(newline="", encoding="utf-8") as handle:
        return tuple(Expectation(**row) for row in csv.DictReader(handle))


def expected_for(name: str, unit: int) -> Expectation:
    """The row of a file's unit: its own row, else the file's `*` row."""
    rows = [e for e in expectations() if e.file == name]
    own = [e for e in rows if e.unit == str(unit)]
    every = [e for e in rows if e.unit == ALL_UNITS]
    if not (own or every):
        raise KeyError(f"{name} unit {unit} has no row in {EXPECTED_CSV.name}")
    return (own or every)[0]


def corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.json"))


def classic_files() -> list[Path]:
    """The first files, whose ids and renderings are counted by hand."""
    return [CORPUS_DIR / name for name in sorted(EXPECTED_FAMILY)]


def accepted_files() -> list[Path]:
    """Files every unit of which is an event (no refusal, no control message)."""
    troubled = {e.file for e in expectations() if e.state in ("rejected", "ignored")}
    return [p for p in corpus_files() if p.name not in troubled]


def load(name: str) -> Any:
    return json.loads((CORPUS_DIR / name).read_text())


def units(path: Path) -> list[Any]:
    """A corpus file's units, as the ingest splits its body."""
    from bot.envelopes import split_units

    return list(split_units(json.loads(path.read_text())))


def mismatch(expected: Expectation, family: str, state: str, severity: str) -> str | None:
    """How a stored event differs from its row ("" → None when it does not)."""
    got = (family, state, severity)
    want = (expected.family, expected.state, expected.severity)
    if got == want:
        return None
    return f"{expected.file}[{expected.unit}]: got {got}, expected {want} ({expected.why})"


@dataclass
class FirstSeen:
    """Which row an event id answers to in a store shared by many files: the first unit
    that gave it (documentation samples reuse ids; a later copy is a duplicate)."""

    rows: dict[str, Expectation]

    def __init__(self) -> None:
        self.rows = {}

    def claim(self, event_id: str, expected: Expectation) -> Expectation:
        return self.rows.setdefault(event_id, expected)


def corpus_events(paths: list[Path] | None = None, *, received_at: int = 1_700_000_000):
    """(file name, Event, its signals) for every event the corpus files make, read as
    ingest reads them; refused units and control messages make none."""
    from bot.envelopes import read_unit
    from bot.errors import ValidationError
    from bot.ingest import read_event
    from bot.sources import Context

    ctx = Context()
    for path in paths if paths is not None else corpus_files():
        for unit in units(path):
            try:
                raws = read_unit(unit)
            except ValidationError:
                continue
            for raw in raws:
                event, signals = read_event(raw, received_at=received_at, ttl=604800, ctx=ctx)
                yield path.name, event, signals


_transitions = iter(range(10**9))


def transition(event: dict[str, Any]) -> dict[str, Any]:
    """An alarm's EventBridge state change as a transition of its own: CloudWatch tells a
    transition once, and two events of one transition (its ARN, state and state time)
    are one occurrence. Tests that send the sample again to mean "fired again" use this."""
    from datetime import UTC, datetime, timedelta

    copied = json.loads(json.dumps(event))
    at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=next(_transitions))
    copied["detail"]["state"]["timestamp"] = at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return copied


def untimed(event: dict[str, Any]) -> dict[str, Any]:
    """An alarm's state change that does not say when the state was entered: each of its
    event ids is then an occurrence of its own, as for any other event."""
    copied = json.loads(json.dumps(event))
    copied["detail"]["state"].pop("timestamp", None)
    return copied
