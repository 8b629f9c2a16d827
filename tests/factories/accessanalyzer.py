"""IAM Access Analyzer finding details: external access, internal access and unused
access findings."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

SOURCE = "aws.access-analyzer"
EXTERNAL = "Access Analyzer Finding"
UNUSED = "Unused Access Finding for IAM entities"
INTERNAL = "Internal Access Finding"
FINDING_ID = "22222222-dcba-4444-dcba-333333333333"


def analyzer_arn(
    name: str = "MyAnalyzer", *, region: str = "us-east-1", account: str = "123456789012"
) -> str:
    return arn("access-analyzer", f"analyzer/{name}", region=region, account=account)


def finding(
    status: str = "ACTIVE",
    *,
    is_public: bool | None = False,
    severity: str | None = None,
    finding_id: str = FINDING_ID,
    resource: str = "arn:aws:s3:::my-bucket",
    resource_type: str = "AWS::S3::Bucket",
    principal: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """An "Access Analyzer Finding" (external access) detail."""
    detail: dict[str, Any] = {
        "accountId": "123456789012",
        "action": ["s3:GetObject", "s3:ListBucket"],
        "analyzedAt": "2023-11-14T22:13:20Z",
        "condition": {"aws:SourceVpc": "vpc-0a1b2c3d"},
        "createdAt": "2023-11-14T22:00:00Z",
        "id": finding_id,
        "isDeleted": False,
        "principal": principal if principal is not None else {"AWS": "999988887777"},
        "region": "us-east-1",
        "resource": resource,
        "resourceType": resource_type,
        "status": status,
        "updatedAt": "2023-11-14T22:13:20Z",
        "version": "1.0",
    }
    if is_public is not None:
        detail["isPublic"] = is_public
    if severity is not None:
        detail["severity"] = severity
    if error is not None:
        detail["error"] = error
        for key in ("action", "condition", "principal", "isPublic"):
            detail.pop(key, None)
    return detail


def unused_finding(
    status: str = "ACTIVE",
    *,
    finding_type: str = "UnusedIAMRole",
    finding_id: str = "b8ae0460-5d29-4922-b92a-ba956c986277",
    role: str = "OldDeployRole",
) -> dict[str, Any]:
    """An "Unused Access Finding for IAM entities" detail (its id is `findingId`)."""
    return {
        "findingId": finding_id,
        "resource": f"arn:aws:iam::123456789012:role/{role}",
        "resourceType": "AWS::IAM::Role",
        "accountId": "123456789012",
        "createdAt": "2023-11-14T22:00:00Z",
        "updatedAt": "2023-11-14T22:13:20Z",
        "analyzedAt": "2023-11-14T22:13:20Z",
        "previousStatus": "",
        "status": status,
        "version": "62160bda-8e94-46d6-ac97-9670930d8ffb",
        "isDeleted": False,
        "findingType": finding_type,
    }
