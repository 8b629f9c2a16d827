"""The heartbeat Lambda, every minute: once the store answers, a CloudWatch metric
(AwsMonitoringBot/Heartbeat) whose alarm, with missing data breaching, pages people
through SNS email when the beats stop; and a GET to HEARTBEAT_URL too, when it is set."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from adapters.heartbeat import CloudWatchHeartbeat
from handlers.aws_lambda.wiring import services, setup_logging

setup_logging()


@lru_cache(maxsize=1)
def metric() -> CloudWatchHeartbeat:
    import boto3

    settings = services().settings
    client = boto3.client("cloudwatch", region_name=settings.aws_region)
    return CloudWatchHeartbeat(client, table=settings.aws_dynamodb_table)


def handler(event: Any = None, context: Any = None) -> dict[str, bool]:
    """The metric first (the alarm that pages people depends on it alone), then the URL:
    a third-party monitor being down must not make the AWS alarm page too."""
    pinged = services().beat(metric())  # UnprocessedError if the URL fails
    return {"metric": True, "url": pinged}
