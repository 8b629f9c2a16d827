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

    return CloudWatchHeartbeat(
        boto3.client("cloudwatch", region_name=services().settings.aws_region)
    )


def handler(event: Any = None, context: Any = None) -> dict[str, bool]:
    svc = services()
    pinged = svc.beat()  # reads the store first; UnprocessedError if the URL fails
    metric().beat()
    return {"metric": True, "url": pinged}
