"""The Heartbeat port: proof of life for a dead man's switch outside the bot.

Long-running, a GET to HEARTBEAT_URL (healthchecks.io, Cronitor, Uptime Kuma's push
monitor…), whose own monitor pages people when the GETs stop. On AWS, a CloudWatch metric
whose alarm (missing data is breaching) notifies an SNS topic with email subscribers.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from bot.errors import UnprocessedError

METRIC_NAMESPACE = "AwsMonitoringBot"
METRIC_NAME = "Heartbeat"


class UrlHeartbeat:
    """GET the URL; any answer other than 2xx, or none within `timeout`, is a failure."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"HEARTBEAT_URL must be an http(s) URL, not {url!r}")
        self._url = url
        self._timeout = timeout

    def beat(self) -> None:
        request = urllib.request.Request(self._url, headers={"User-Agent": "aws-monitoring-bot"})
        try:
            # __init__ allows only http(s) URLs, which is what bandit B310 asks.
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # nosec B310
                status = answer.status
        except (urllib.error.URLError, OSError) as err:
            raise UnprocessedError(f"heartbeat GET failed: {err}") from err
        if not 200 <= status < 300:
            raise UnprocessedError(f"heartbeat GET answered {status}")


class CloudWatchHeartbeat:
    """PutMetricData of 1 to AwsMonitoringBot/Heartbeat, with the bot's table as its
    dimension: two stages in one account each keep their own dead man's switch."""

    def __init__(self, client: Any, *, table: str, namespace: str = METRIC_NAMESPACE) -> None:
        self._client = client
        self._namespace = namespace
        self._table = table

    def beat(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.put_metric_data(
                Namespace=self._namespace,
                MetricData=[
                    {
                        "MetricName": METRIC_NAME,
                        "Dimensions": [{"Name": "Table", "Value": self._table}],
                        "Value": 1.0,
                        "Unit": "Count",
                    }
                ],
            )
        except (ClientError, BotoCoreError) as err:
            raise UnprocessedError(f"heartbeat metric failed: {err}") from err
