"""The AlarmTags port on CloudWatch's ListTagsForResource, read in the account and region
the alarm's ARN names, and cached: alarms are tagged rarely, and alerted on often."""

from __future__ import annotations

import time
from collections.abc import Callable

from adapters.aws_errors import aws_errors
from adapters.aws_session import ClientFor, own_client
from adapters.ttl_cache import TtlCache
from bot.errors import ValidationError

CACHE_S = 3600.0


def alarm_place(alarm_arn: str) -> tuple[str, str]:
    """(account, region) of arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>."""
    parts = alarm_arn.split(":", 6)
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "cloudwatch" or parts[5] != "alarm":
        raise ValidationError(f"not a CloudWatch alarm ARN: {alarm_arn!r}")
    region, account = parts[3], parts[4]
    if not (region and account):
        raise ValidationError(f"an alarm ARN without its region or account: {alarm_arn!r}")
    return account, region


class CloudWatchAlarmTags:
    """An alarm's tags as a mapping, each ARN's kept for an hour."""

    def __init__(
        self,
        client_for: ClientFor = own_client,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 1000,
    ) -> None:
        self._client_for = client_for
        self._cache: TtlCache[dict[str, str]] = TtlCache(
            CACHE_S, max_entries=max_entries, clock=clock
        )

    def tags(self, alarm_arn: str) -> dict[str, str]:
        return dict(self._cache.get(alarm_arn, lambda: self._read(alarm_arn)))

    def _read(self, alarm_arn: str) -> dict[str, str]:
        account, region = alarm_place(alarm_arn)
        with aws_errors(f"ListTagsForResource of {alarm_arn}"):
            client = self._client_for("cloudwatch", account, region)
            answer = client.list_tags_for_resource(ResourceARN=alarm_arn)
        return {tag["Key"]: tag.get("Value", "") for tag in answer.get("Tags", [])}
