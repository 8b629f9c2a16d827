"""Which family interprets an event, which source AWS fixes for a detail-type, and the
short names people write for a family.

The family is chosen by detail-type when it is one that AWS fixes, whatever the source
says (a PutEvents test entry of "AWS Health Event" is a Health event); then by source.
"""

from __future__ import annotations

# The bot's own ingest function, as serverless.yml names it (a glob): its failure records
# are `replay-dlq`'s work, not alerts.
DEFAULT_INGEST_FUNCTION = "aws-monitoring-bot-*-ingest"

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
STEPFUNCTIONS = "stepfunctions"
AUTOSCALING = "autoscaling"
ECR = "ecr"
INSPECTOR = "inspector"
CODEBUILD = "codebuild"
CODEDEPLOY = "codedeploy"
CONFIG = "config"
RDS = "rds"
EC2 = "ec2"
BUDGETS = "budgets"
COSTANOMALY = "costanomaly"
LAMBDA = "lambda"
ACCESSANALYZER = "accessanalyzer"
MACIE = "macie"
PROMETHEUS = "prometheus"
AGENT = "agent"
AGENT_HEALTH = "Agent Health"  # the detail-type of the health check's findings
AGENT_DEPLOYMENT = "Agent Deployment"  # the detail-type of an agent's deployment
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
    STEPFUNCTIONS,
    AUTOSCALING,
    ECR,
    INSPECTOR,
    CODEBUILD,
    CODEDEPLOY,
    CONFIG,
    RDS,
    EC2,
    BUDGETS,
    COSTANOMALY,
    LAMBDA,
    ACCESSANALYZER,
    MACIE,
    PROMETHEUS,
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
    # The hourly error-log sweep's findings.
    "CloudWatch Logs Error": (LOGS, "monitoring.agent.logs"),
    # Not an AWS detail-type: one line of CloudWatch Logs subscription data.
    "CloudWatch Logs Line": (LOGS, "aws.logs"),
    "Step Functions Execution Status Change": (STEPFUNCTIONS, "aws.states"),
    "EC2 Instance Launch Successful": (AUTOSCALING, "aws.autoscaling"),
    "EC2 Instance Launch Unsuccessful": (AUTOSCALING, "aws.autoscaling"),
    "EC2 Instance Terminate Successful": (AUTOSCALING, "aws.autoscaling"),
    "EC2 Instance Terminate Unsuccessful": (AUTOSCALING, "aws.autoscaling"),
    "EC2 Instance-launch Lifecycle Action": (AUTOSCALING, "aws.autoscaling"),
    "EC2 Instance-terminate Lifecycle Action": (AUTOSCALING, "aws.autoscaling"),
    "ECR Image Scan": (ECR, "aws.ecr"),
    "ECR Image Action": (ECR, "aws.ecr"),
    "Inspector2 Finding": (INSPECTOR, "aws.inspector2"),
    "Inspector2 Scan": (INSPECTOR, "aws.inspector2"),
    "CodeBuild Build State Change": (CODEBUILD, "aws.codebuild"),
    "CodeBuild Build Phase Change": (CODEBUILD, "aws.codebuild"),
    "CodeDeploy Deployment State-change Notification": (CODEDEPLOY, "aws.codedeploy"),
    "CodeDeploy Instance State-change Notification": (CODEDEPLOY, "aws.codedeploy"),
    "Config Rules Compliance Change": (CONFIG, "aws.config"),
    "RDS DB Instance Event": (RDS, "aws.rds"),
    "RDS DB Cluster Event": (RDS, "aws.rds"),
    "RDS DB Snapshot Event": (RDS, "aws.rds"),
    "RDS DB Cluster Snapshot Event": (RDS, "aws.rds"),
    "RDS DB Parameter Group Event": (RDS, "aws.rds"),
    "RDS DB Security Group Event": (RDS, "aws.rds"),
    "RDS DB Proxy Event": (RDS, "aws.rds"),
    "EC2 Spot Instance Interruption Warning": (EC2, "aws.ec2"),
    "EC2 Instance State-change Notification": (EC2, "aws.ec2"),
    "EC2 Instance Rebalance Recommendation": (EC2, "aws.ec2"),
    # Not an AWS detail-type: the bot's own name for AWS Budgets' SNS text notifications.
    "AWS Budgets Notification": (BUDGETS, "aws.budgets"),
    "Anomaly Detected": (COSTANOMALY, "aws.ce"),
    "Lambda Function Invocation Result - Failure": (LAMBDA, "lambda"),
    "Lambda Function Invocation Result - Success": (LAMBDA, "lambda"),
    "Access Analyzer Finding": (ACCESSANALYZER, "aws.access-analyzer"),
    "Unused Access Finding for IAM entities": (ACCESSANALYZER, "aws.access-analyzer"),
    "Macie Finding": (MACIE, "aws.macie"),
    # Not an AWS detail-type: one alert of an Alertmanager (or Grafana, or Amazon Managed
    # Service for Prometheus) notification.
    "Prometheus Alert": (PROMETHEUS, "prometheus.alertmanager"),
    # The bot's own events about its agents.
    AGENT_DEPLOYMENT: (AGENT, "monitoring.agents"),
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
    "aws.logs": LOGS,
    "aws.states": STEPFUNCTIONS,
    "aws.autoscaling": AUTOSCALING,
    "aws.ecr": ECR,
    "aws.inspector2": INSPECTOR,
    "aws.codebuild": CODEBUILD,
    "aws.codedeploy": CODEDEPLOY,
    "aws.config": CONFIG,
    "aws.rds": RDS,
    "aws.ec2": EC2,
    "aws.budgets": BUDGETS,
    "aws.ce": COSTANOMALY,
    "lambda": LAMBDA,
    "aws.lambda": LAMBDA,
    "aws.access-analyzer": ACCESSANALYZER,
    "aws.macie": MACIE,
    "prometheus.alertmanager": PROMETHEUS,
    "monitoring.agent.logs": LOGS,
    "monitoring.agents": AGENT,
    "monitoring.agent.health": HEALTH,
    "monitoring.agent.guardduty": GUARDDUTY,
    "monitoring.agent.cloudwatch": ALARM,
    "monitoring.agent.cloudformation": CLOUDFORMATION,
}

# Short names people write for a family (routes' `source:` and /events `source:`); a
# family's own name and a full source ("aws.guardduty") work as well.
ALIASES: dict[str, str] = {family: family for family in FAMILIES if family != GENERIC} | {
    "cloudwatch": ALARM,
    "cfn": CLOUDFORMATION,
    "pipeline": CODEPIPELINE,
    "states": STEPFUNCTIONS,
    "sfn": STEPFUNCTIONS,
    "asg": AUTOSCALING,
    "inspector2": INSPECTOR,
    "build": CODEBUILD,
    "deploy": CODEDEPLOY,
    "budget": BUDGETS,
    "cost": COSTANOMALY,
    "access-analyzer": ACCESSANALYZER,
    "alertmanager": PROMETHEUS,
    "grafana": PROMETHEUS,
    "amp": PROMETHEUS,
}


# CloudTrail's records of API calls, whatever service they name: not that service's own
# notices, so read by the generic family.
CLOUDTRAIL_DETAIL_TYPES = frozenset(
    {
        "AWS API Call via CloudTrail",
        "AWS Service Event via CloudTrail",
        "AWS Console Sign In via CloudTrail",
        "AWS Console Action via CloudTrail",
    }
)


def family_of(source: str | None, detail_type: str | None) -> str:
    """The family that interprets an event of this source and detail-type."""
    if detail_type in CLOUDTRAIL_DETAIL_TYPES:
        return GENERIC
    if detail_type in DETAIL_TYPES:
        return DETAIL_TYPES[detail_type][0]
    return SOURCES.get(source or "", GENERIC)


def source_for(detail_type: str | None) -> str | None:
    """The source AWS fixes for a detail-type, to fill in a reduced event's missing source."""
    entry = DETAIL_TYPES.get(detail_type or "")
    return entry[1] if entry else None
