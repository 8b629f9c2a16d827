"""Amazon Macie finding details: sensitive data in an S3 object, or an S3 bucket policy
finding."""

from __future__ import annotations

from typing import Any

SOURCE = "aws.macie"
FINDING = "Macie Finding"
FINDING_ID = "64b917aa-3843-014c-91d8-937ffexample"


def finding(
    severity: str | None = "High",
    *,
    score: int | None = None,
    archived: bool = False,
    finding_id: str = FINDING_ID,
    bucket: str = "customer-exports",
    key: str | None = "2023/11/customers.csv",
    finding_type: str = "SensitiveData:S3Object/Personal",
    title: str = "The S3 object contains personal information.",
) -> dict[str, Any]:
    """A "Macie Finding" detail; `key` None makes it a bucket (policy) finding."""
    scores = {"High": 3, "Medium": 2, "Low": 1}
    rating: dict[str, Any] = {}
    if severity is not None:
        rating["description"] = severity
    if score is not None or severity in scores:
        rating["score"] = score if score is not None else scores[severity or ""]
    affected: dict[str, Any] = {
        "s3Bucket": {"arn": f"arn:aws:s3:::{bucket}", "name": bucket, "owner": {}},
    }
    if key is not None:
        affected["s3Object"] = {
            "bucketArn": f"arn:aws:s3:::{bucket}",
            "key": key,
            "path": f"{bucket}/{key}",
        }
    return {
        "schemaVersion": "1.0",
        "id": finding_id,
        "accountId": "123456789012",
        "partition": "aws",
        "region": "us-east-1",
        "type": finding_type,
        "title": title,
        "description": "The object contains personal information such as full names.",
        "severity": rating,
        "createdAt": "2023-11-14T22:00:00Z",
        "updatedAt": "2023-11-14T22:13:20Z",
        "count": 1,
        "resourcesAffected": affected,
        "category": "CLASSIFICATION" if key is not None else "POLICY",
        "archived": archived,
        "sample": False,
    }
