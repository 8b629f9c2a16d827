"""Amazon ECR event details: image scans (basic scanning) and image actions."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

IMAGE_SCAN = "ECR Image Scan"
IMAGE_ACTION = "ECR Image Action"
SCAN_RESOURCE_CHANGE = "ECR Scan Resource Change"
SOURCE = "aws.ecr"
DIGEST = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"


def repository_arn(
    repository: str = "web", *, region: str = "us-east-1", account: str = "123456789012"
) -> str:
    return arn("ecr", f"repository/{repository}", region=region, account=account)


def image_scan(
    status: str = "COMPLETE",
    counts: dict[str, Any] | None = None,
    *,
    repository: str = "web",
    digest: str | None = DIGEST,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """An "ECR Image Scan" detail; finding-severity-counts only when given (AWS leaves it
    out of a scan that found nothing)."""
    detail: dict[str, Any] = {
        "scan-status": status,
        "repository-name": repository,
        "image-tags": tags if tags is not None else [],
    }
    if digest is not None:
        detail["image-digest"] = digest
    if counts is not None:
        detail["finding-severity-counts"] = counts
    return detail


def image_action(
    action: str = "PUSH",
    result: str = "SUCCESS",
    *,
    repository: str = "web",
    tag: str = "latest",
    digest: str = DIGEST,
) -> dict[str, Any]:
    """An "ECR Image Action" detail (a push or a deletion)."""
    return {
        "result": result,
        "repository-name": repository,
        "image-digest": digest,
        "action-type": action,
        "image-tag": tag,
    }
