"""The AWS sample corpus in tests/data/aws (copied with its SOURCES.md), and what each
file is expected to become."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(__file__).parent / "data" / "aws"

# File → the family its events belong to. Every corpus file must be listed.
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

# Distinct event ids across the whole corpus, counted by hand from SOURCES.md: reused ids
# (CloudFormation ×2, CodePipeline ×3, SNS f86e3c5b ×3, Backup 3 of 4) collapse, the SNS
# 95df01b4 pair splits (the malware scan carries its own inner id), and the five id-less
# files get content ids.
DISTINCT_IDS = 26


def corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.json"))


def load(name: str) -> Any:
    return json.loads((CORPUS_DIR / name).read_text())
