"""Security Hub details: ASFF findings with any severity, compliance and workflow."""

from __future__ import annotations

from typing import Any

IMPORTED = "Security Hub Findings - Imported"
CUSTOM_ACTION = "Security Hub Findings - Custom Action"
SOURCE = "aws.securityhub"


def finding(
    *,
    finding_id: str = "arn:aws:securityhub:us-east-1:123456789012:finding/abc/1",
    title: str = "S3.1 S3 Block Public Access setting should be enabled",
    label: str | None = "HIGH",
    normalized: float | None = None,
    compliance: str | None = "FAILED",
    workflow: str | None = "NEW",
    workflow_state: str | None = None,
    record_state: str = "ACTIVE",
    product_name: str | None = "Security Hub",
    account: str = "123456789012",
    region: str | None = None,
    resource_region: str | None = "us-east-1",
    resource_type: str = "AwsS3Bucket",
    resource_id: str = "arn:aws:s3:::my-bucket",
    control_id: str | None = "S3.1",
) -> dict[str, Any]:
    """One ASFF finding. `product_name` goes at the top level, as newer findings have it."""
    severity: dict[str, Any] = {}
    if label is not None:
        severity["Label"] = label
    if normalized is not None:
        severity["Normalized"] = normalized
    resource: dict[str, Any] = {"Type": resource_type, "Id": resource_id}
    if resource_region:
        resource["Region"] = resource_region
    found: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "AwsAccountId": account,
        "GeneratorId": "aws-foundational-security-best-practices/v/1.0.0/S3.1",
        "Title": title,
        "Description": "Checks the account's S3 Block Public Access settings.",
        "Severity": severity,
        "Resources": [resource],
        "RecordState": record_state,
        "ProductFields": {"ControlId": control_id} if control_id else {},
        "Remediation": {
            "Recommendation": {"Text": "Enable it.", "Url": "https://docs.aws.amazon.com/x"}
        },
    }
    if product_name:
        found["ProductName"] = product_name
    if compliance:
        found["Compliance"] = {"Status": compliance}
    if workflow:
        found["Workflow"] = {"Status": workflow}
    if workflow_state:
        found["WorkflowState"] = workflow_state
    if region:
        found["Region"] = region
    return found


def findings(*items: dict[str, Any], action_name: str | None = None) -> dict[str, Any]:
    """A Security Hub event detail holding `items`; a custom action also names the action."""
    detail: dict[str, Any] = {"findings": list(items)}
    if action_name:
        detail["actionName"] = action_name
        detail["actionDescription"] = "Send to the on-call channel"
    return detail
