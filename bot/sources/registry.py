"""Which family interprets an event, and which source AWS fixes for a detail-type.

The family is chosen by detail-type when it is one that AWS fixes, whatever the source
says (a PutEvents test entry of "AWS Health Event" is a Health event); then by source.
"""

from __future__ import annotations

# Family names, also the /events `source:` aliases' targets.
ALARM = "alarm"
GUARDDUTY = "guardduty"
SECURITYHUB = "securityhub"
HEALTH = "health"
CLOUDFORMATION = "cloudformation"
ECS = "ecs"
CODEPIPELINE = "codepipeline"
BACKUP = "backup"
LOGS = "logs"
AGENT = "agent"
AGENT_HEALTH = "Agent Health"  # the detail-type of the health check's findings
GENERIC = "generic"

FAMILIES = (
    ALARM,
    GUARDDUTY,
    SECURITYHUB,
    HEALTH,
    CLOUDFORMATION,
    ECS,
    CODEPIPELINE,
    BACKUP,
    LOGS,
    AGENT,
    GENERIC,
)

# detail-type → (family, the source AWS sends it from).
DETAIL_TYPES: dict[str, tuple[str, str]] = {
    "CloudWatch Alarm State Change": (ALARM, "aws.cloudwatch"),
    "CloudWatch Alarm Configuration Change": (ALARM, "aws.cloudwatch"),
    "GuardDuty Finding": (GUARDDUTY, "aws.guardduty"),
    "GuardDuty Malware Protection Object Scan Result": (GUARDDUTY, "aws.guardduty"),
    "GuardDuty Malware Protection Scan Result": (GUARDDUTY, "aws.guardduty"),
    "Security Hub Findings - Imported": (SECURITYHUB, "aws.securityhub"),
    "Security Hub Findings - Custom Action": (SECURITYHUB, "aws.securityhub"),
    "AWS Health Event": (HEALTH, "aws.health"),
    "AWS Health Abuse Event": (HEALTH, "aws.health"),
    "CloudFormation Stack Status Change": (CLOUDFORMATION, "aws.cloudformation"),
    "CloudFormation Resource Status Change": (CLOUDFORMATION, "aws.cloudformation"),
    "CloudFormation Drift Detection Status Change": (CLOUDFORMATION, "aws.cloudformation"),
    "ECS Task State Change": (ECS, "aws.ecs"),
    "ECS Service Action": (ECS, "aws.ecs"),
    "ECS Deployment State Change": (ECS, "aws.ecs"),
    "ECS Container Instance State Change": (ECS, "aws.ecs"),
    "CodePipeline Pipeline Execution State Change": (CODEPIPELINE, "aws.codepipeline"),
    "CodePipeline Stage Execution State Change": (CODEPIPELINE, "aws.codepipeline"),
    "CodePipeline Action Execution State Change": (CODEPIPELINE, "aws.codepipeline"),
    "Backup Job State Change": (BACKUP, "aws.backup"),
    "Copy Job State Change": (BACKUP, "aws.backup"),
    "Restore Job State Change": (BACKUP, "aws.backup"),
    # Not an AWS detail-type: the bot's own name for AWS Backup's SNS text notifications.
    "AWS Backup Notification": (BACKUP, "aws.backup"),
    # The seed's agent log findings.
    "CloudWatch Logs Error": (LOGS, "monitoring.agent.logs"),
    # The bot's own events about its agents.
    "Agent Deployment": (AGENT, "monitoring.agents"),
    AGENT_HEALTH: (AGENT, "monitoring.agents"),
}

SOURCES: dict[str, str] = {
    "aws.cloudwatch": ALARM,
    "aws.guardduty": GUARDDUTY,
    "aws.securityhub": SECURITYHUB,
    "aws.health": HEALTH,
    "aws.cloudformation": CLOUDFORMATION,
    "aws.ecs": ECS,
    "aws.codepipeline": CODEPIPELINE,
    "aws.backup": BACKUP,
    "monitoring.agent.logs": LOGS,
    "monitoring.agents": AGENT,
    "monitoring.agent.health": HEALTH,
    "monitoring.agent.guardduty": GUARDDUTY,
    "monitoring.agent.cloudwatch": ALARM,
    "monitoring.agent.cloudformation": CLOUDFORMATION,
}


def family_of(source: str | None, detail_type: str | None) -> str:
    """The family that interprets an event of this source and detail-type."""
    if detail_type in DETAIL_TYPES:
        return DETAIL_TYPES[detail_type][0]
    return SOURCES.get(source or "", GENERIC)


def source_for(detail_type: str | None) -> str | None:
    """The source AWS fixes for a detail-type, to fill in a reduced event's missing source."""
    entry = DETAIL_TYPES.get(detail_type or "")
    return entry[1] if entry else None
