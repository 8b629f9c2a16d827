"""RDS event details: instances, clusters, snapshots, parameter groups and proxies."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

SOURCE = "aws.rds"
INSTANCE = "RDS DB Instance Event"
CLUSTER = "RDS DB Cluster Event"
SNAPSHOT = "RDS DB Snapshot Event"
CLUSTER_SNAPSHOT = "RDS DB Cluster Snapshot Event"
PARAMETER_GROUP = "RDS DB Parameter Group Event"
SECURITY_GROUP = "RDS DB Security Group Event"
PROXY = "RDS DB Proxy Event"


def source_arn(
    name: str = "mydb",
    *,
    kind: str = "db",
    region: str = "us-east-1",
    account: str = "123456789012",
) -> str:
    """arn:…:rds:REGION:ACCOUNT:KIND:NAME (db, cluster, snapshot, pg, db-proxy…)."""
    return arn("rds", f"{kind}:{name}", region=region, account=account)


def rds_event(
    *categories: str,
    message: str = "DB instance shutdown",
    identifier: str = "mydb",
    source_type: str = "DB_INSTANCE",
    kind: str = "db",
    event_id: str = "RDS-EVENT-0004",
    region: str = "us-east-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """A detail of any "RDS … Event": its categories, message and source."""
    return {
        "EventCategories": list(categories),
        "SourceType": source_type,
        "SourceArn": source_arn(identifier, kind=kind, region=region, account=account),
        "Date": "2023-11-14T22:13:20.000Z",
        "Message": message,
        "SourceIdentifier": identifier,
        "EventID": event_id,
    }


def subscription_message(
    event_id: str = "RDS-EVENT-0031",
    *,
    message: str = "DB instance put into incompatible-restore state",
    identifier: str = "mydb",
    source_type: str = "DB_INSTANCE",
) -> dict[str, Any]:
    """The detail an RDS event subscription's SNS message is read into: no categories and
    no ARN, only the event id and what the message says."""
    console = "https://console.aws.amazon.com/rds/home?region=us-east-1"
    return {
        "SourceType": source_type,
        "SourceIdentifier": identifier,
        "Message": message,
        "EventID": event_id,
        "Date": "2023-11-14 22:13:20.000",
        "SourceLink": f"{console}#dbinstance:id={identifier}",
    }
