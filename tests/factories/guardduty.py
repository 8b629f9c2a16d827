"""GuardDuty details: findings of any score and resource, and S3 malware scan results."""

from __future__ import annotations

from typing import Any

FINDING = "GuardDuty Finding"
MALWARE_SCAN = "GuardDuty Malware Protection Object Scan Result"
SOURCE = "aws.guardduty"


def _resource(resource_type: str) -> dict[str, Any]:
    if resource_type == "AccessKey":
        return {
            "resourceType": "AccessKey",
            "accessKeyDetails": {"accessKeyId": "AKIAEXAMPLE", "userName": "alice"},
        }
    if resource_type == "S3Bucket":
        return {"resourceType": "S3Bucket", "s3BucketDetails": [{"name": "my-bucket"}]}
    return {"resourceType": "Instance", "instanceDetails": {"instanceId": "i-0abc"}}


def finding(
    *,
    finding_id: str = "f-0001",
    severity: float | str = 8,
    title: str = "Unprotected port on EC2 instance i-0abc is being probed",
    finding_type: str = "Recon:EC2/PortProbeUnprotectedPort",
    archived: bool = False,
    resource_type: str = "Instance",
    remote_ip: str | None = "198.51.100.7",
    country: str | None = "Exampleland",
    account: str = "123456789012",
    region: str = "us-east-1",
    count: int = 3,
) -> dict[str, Any]:
    """A "GuardDuty Finding" detail; `resource_type` is Instance, AccessKey or S3Bucket;
    `count` is how many times GuardDuty has seen it."""
    remote: dict[str, Any] = {}
    if remote_ip:
        remote["ipAddressV4"] = remote_ip
    if country:
        remote["country"] = {"countryName": country}
    return {
        "schemaVersion": "2.0",
        "accountId": account,
        "region": region,
        "id": finding_id,
        "type": finding_type,
        "title": title,
        "description": "A known malicious host is probing a port.",
        "severity": severity,
        "resource": _resource(resource_type),
        "service": {
            "action": {
                "actionType": "PORT_PROBE",
                "portProbeAction": {"portProbeDetails": [{"remoteIpDetails": remote}]},
            },
            "archived": archived,
            "count": count,
            "eventFirstSeen": "2024-01-01T00:00:00Z",
            "eventLastSeen": "2024-01-02T00:00:00Z",
        },
    }


def malware_scan(
    *,
    status: str = "THREATS_FOUND",
    bucket: str = "uploads",
    key: str = "incoming/invoice.pdf",
    threats: list[str] | None = None,
) -> dict[str, Any]:
    """A "GuardDuty Malware Protection Object Scan Result" detail for one S3 object."""
    if threats is None:
        threats = ["EICAR-Test-File (not a virus)"] if status == "THREATS_FOUND" else []
    return {
        "schemaVersion": "1.0",
        "scanStatus": "COMPLETED",
        "resourceType": "S3_OBJECT",
        "s3ObjectDetails": {"bucketName": bucket, "objectKey": key},
        "scanResultDetails": {
            "scanResultStatus": status,
            "threats": [{"name": name} for name in threats],
        },
    }
