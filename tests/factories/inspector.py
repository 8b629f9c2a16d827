"""Amazon Inspector event details: findings (an ECR image's package vulnerability) and
ECR image scans."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

FINDING = "Inspector2 Finding"
SCAN = "Inspector2 Scan"
COVERAGE = "Inspector2 Coverage"
SOURCE = "aws.inspector2"
DIGEST = "sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5aaaaaa"


def finding_arn(finding: str = "be674aaddd0f75ac632055abcdef", *, region: str = "us-east-1") -> str:
    return arn("inspector2", f"finding/{finding}", region=region)


def repository_arn(repository: str = "team/web", *, region: str = "us-east-1") -> str:
    return arn("ecr", f"repository/{repository}", region=region)


def finding(
    severity: str = "HIGH",
    status: str = "ACTIVE",
    *,
    finding: str = "be674aaddd0f75ac632055abcdef",
    region: str = "us-east-1",
    repository: str = "team/web",
    tag: str = "v1",
    cve: str = "CVE-2023-0001",
) -> dict[str, Any]:
    """An "Inspector2 Finding" detail of a package vulnerability in an ECR image."""
    image_arn = f"{repository_arn(repository, region=region)}/{DIGEST}"
    return {
        "awsAccountId": "123456789012",
        "description": "An integer overflow in a bounds check lets a server read memory.",
        "findingArn": finding_arn(finding, region=region),
        "firstObservedAt": "Nov 14, 2023, 10:13:20 PM",
        "inspectorScore": 7.5,
        "packageVulnerabilityDetails": {
            "vulnerabilityId": cve,
            "vulnerablePackages": [{"name": "libssh2", "version": "1.4.3"}],
        },
        "remediation": {"recommendation": {"text": "Update libssh2."}},
        "resources": [
            {
                "details": {
                    "awsEcrContainerImage": {
                        "imageHash": DIGEST,
                        "imageTags": [tag],
                        "repositoryName": repository,
                    }
                },
                "id": image_arn,
                "type": "AWS_ECR_CONTAINER_IMAGE",
            }
        ],
        "severity": severity,
        "status": status,
        "title": f"{cve} - libssh2",
        "type": "PACKAGE_VULNERABILITY",
    }


def scan(
    counts: dict[str, Any] | None = None,
    *,
    status: str = "INITIAL_SCAN_COMPLETE",
    repository: str = "team/web",
    region: str = "us-east-1",
    tags: list[str] | None = None,
    digest: str = DIGEST,
) -> dict[str, Any]:
    """An "Inspector2 Scan" detail: repository-name is the repository's ARN."""
    return {
        "scan-status": status,
        "repository-name": repository_arn(repository, region=region),
        "finding-severity-counts": counts if counts is not None else {"TOTAL": 0},
        "image-digest": digest,
        "image-tags": tags if tags is not None else ["v1"],
    }
