"""AWS Health details: issues, scheduled changes, notifications, open or closed."""

from __future__ import annotations

from typing import Any

from tests.factories import arn as build_arn

DETAIL_TYPE = "AWS Health Event"
ABUSE = "AWS Health Abuse Event"
SOURCE = "aws.health"


def event_detail(
    *,
    service: str = "EC2",
    code: str = "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED",
    category: str = "issue",
    status: str | None = "open",
    arn: str | None = None,
    region: str = "us-east-1",
    entities: list[str] | None = None,
    description: str = "Your instance will be retired.",
) -> dict[str, Any]:
    """An "AWS Health Event" detail; `entities=[]` leaves affectedEntities out, as AWS may."""
    event = f"event/{service}/{code}/{code}_1"
    detail: dict[str, Any] = {
        "eventArn": arn or build_arn("health", event, region=region, account=""),
        "service": service,
        "eventTypeCode": code,
        "eventTypeCategory": category,
        "eventRegion": region,
        "startTime": "Wed, 16 Aug 2023 23:18:51 GMT",
        "endTime": "Fri, 18 Aug 2023 23:18:51 GMT",
        "eventDescription": [{"language": "en_US", "latestDescription": description}],
    }
    if status is not None:
        detail["statusCode"] = status
    values = ["i-0abc"] if entities is None else entities
    if values:
        detail["affectedEntities"] = [{"entityValue": value} for value in values]
    return detail
