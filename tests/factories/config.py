"""AWS Config event details: rule compliance changes and configuration item changes."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

COMPLIANCE_CHANGE = "Config Rules Compliance Change"
ITEM_CHANGE = "Config Configuration Item Change"
SNAPSHOT_DELIVERY = "Config Configuration Snapshot Delivery Status"
SOURCE = "aws.config"


def _result(
    compliance: str, rule: str, resource_type: str, resource_id: str, annotation: str | None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "evaluationResultIdentifier": {
            "evaluationResultQualifier": {
                "configRuleName": rule,
                "resourceType": resource_type,
                "resourceId": resource_id,
            },
            "orderingTimestamp": "2023-11-14T22:13:00.000Z",
        },
        "complianceType": compliance,
        "resultRecordedTime": "2023-11-14T22:13:20.000Z",
        "configRuleInvokedTime": "2023-11-14T22:13:10.000Z",
    }
    if annotation is not None:
        result["annotation"] = annotation
    return result


def compliance_change(
    compliance: str = "NON_COMPLIANT",
    previous: str | None = "COMPLIANT",
    *,
    rule: str = "required-tags",
    resource_type: str = "AWS::EC2::Instance",
    resource_id: str = "i-0123456789abcdef0",
    region: str = "us-east-1",
    annotation: str | None = None,
) -> dict[str, Any]:
    """A "Config Rules Compliance Change" detail; oldEvaluationResult unless previous is None
    (a resource's first evaluation)."""
    detail: dict[str, Any] = {
        "resourceId": resource_id,
        "awsRegion": region,
        "awsAccountId": "123456789012",
        "configRuleName": rule,
        "recordVersion": "1.0",
        "configRuleARN": arn("config", "config-rule/config-rule-abc123", region=region),
        "messageType": "ComplianceChangeNotification",
        "newEvaluationResult": _result(compliance, rule, resource_type, resource_id, annotation),
        "notificationCreationTime": "2023-11-14T22:13:20.500Z",
        "resourceType": resource_type,
    }
    if previous is not None:
        detail["oldEvaluationResult"] = _result(previous, rule, resource_type, resource_id, None)
    return detail


def item_change(
    change: str = "UPDATE",
    *,
    resource_type: str = "AWS::EC2::SecurityGroup",
    resource_id: str = "sg-0123456789abcdef0",
    name: str = "web-sg",
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A "Config Configuration Item Change" detail."""
    return {
        "recordVersion": "1.3",
        "messageType": "ConfigurationItemChangeNotification",
        "configurationItemDiff": {"changedProperties": {}, "changeType": change},
        "notificationCreationTime": "2023-11-14T22:13:20.000Z",
        "configurationItem": {
            "configurationItemCaptureTime": "2023-11-14T22:13:00.000Z",
            "awsAccountId": "123456789012",
            "configurationItemStatus": "OK",
            "resourceType": resource_type,
            "resourceId": resource_id,
            "resourceName": name,
            "ARN": arn("ec2", f"security-group/{resource_id}", region=region),
            "awsRegion": region,
        },
    }


def snapshot_delivery() -> dict[str, Any]:
    """A "Config Configuration Snapshot Delivery Status" detail."""
    return {
        "configSnapshotId": "3c0e4ab7-5b2a-4c16-8b86-000000000000",
        "s3ObjectKey": "AWSLogs/123456789012/Config/us-east-1/ConfigSnapshot/snapshot.json.gz",
        "s3Bucket": "config-bucket",
        "notificationCreationTime": "2023-11-14T22:13:20.000Z",
        "messageType": "ConfigurationSnapshotDeliveryCompleted",
        "recordVersion": "1.1",
    }
