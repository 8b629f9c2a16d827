"""Crontab lines in a time zone, as maintenance windows use them: checked when the routes
file is read, and asked for their next time.

Times are APScheduler's CronTrigger's, which reads the time zone's daylight saving: a
time that a spring-forward skips comes an hour later (02:30 becomes 03:30), and one that
a fall-back repeats comes twice. APScheduler is imported only where a routes file has
windows, so that nothing else pays for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import parse_duration

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

MAX_DURATION_S = 7 * 86400  # a window lasts a week at most


def check_cron(value: str) -> str:
    """Five crontab fields: minute hour day month weekday."""
    try:
        _trigger(value, "UTC")
    except ValueError as err:
        raise ValueError(f"cron {value!r} is not a 5-field crontab line: {err}") from err
    return value


def check_duration(value: Any) -> str:
    """45m, 2h, 1d; at most a week."""
    seconds = parse_duration(value)
    if seconds > MAX_DURATION_S:
        raise ValueError(f"duration {value!r}: a maintenance window lasts 7d at most")
    return str(value)


def check_time_zone(value: str) -> str:
    """An IANA name: Europe/Berlin, America/New_York, UTC."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(
            f"time_zone {value!r} is not an IANA time zone (like Europe/Berlin or UTC)"
        ) from err
    return value


@lru_cache(maxsize=256)
def _trigger(line: str, time_zone: str) -> CronTrigger:
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger.from_crontab(line, timezone=ZoneInfo(time_zone))


def next_time(line: str, time_zone: str, after: int) -> int | None:
    """The first time the line names strictly after `after` (epoch seconds)."""
    fire = _trigger(line, time_zone).get_next_fire_time(
        None, datetime.fromtimestamp(after + 1, UTC)
    )
    return int(fire.timestamp()) if fire is not None else None
