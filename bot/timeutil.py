"""Parsing the many ways AWS writes a time, into epoch seconds (UTC)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

# Epoch-millisecond values are above this; epoch seconds stay below it until the year 5138.
_MS_THRESHOLD = 100_000_000_000
# The last time a date bucket (YYYY-MM-DD), and a datetime, can hold: 9999-12-31T23:59:59Z.
MAX_TIME = 253_402_300_799


def parse_time(value: object) -> int | None:
    """Epoch seconds from ISO 8601, RFC 1123 ("Wed, 16 Aug 2023 23:18:51 GMT") or a number.

    None when the value is absent, or at or before the epoch (sample payloads use
    1970-01-01 as "unknown"). ValueError when it is present but not a time.
    """
    millis = parse_time_ms(value)
    return millis // 1000 if millis is not None else None


def parse_time_ms(value: object) -> int | None:
    """`parse_time` to the millisecond, for times that must tell apart two moments of
    one second (an alarm's transitions)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value!r} is not a time")
        try:
            millis = int(value) if value > _MS_THRESHOLD else int(value * 1000)
        except OverflowError as err:  # a 400-digit integer
            raise ValueError("the number is too large to be a time") from err
        return millis if millis >= 1000 else None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a time")
    text = value.strip()
    if text.lstrip("-").isdigit():
        return parse_time_ms(int(text))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _twelve_hour(text) or _rfc1123(text, value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    millis = int(parsed.timestamp() * 1000)
    return millis if millis >= 1000 else None


def time_or_none(value: object) -> int | None:
    """`parse_time` where a time that cannot be read, or that no date can hold, is no
    time: AWS's own examples carry "yyyy-mm-ddThh:mm:ssZ", and a detail's odd time must
    never cost its event."""
    try:
        seconds = parse_time(value)
    except ValueError:
        return None
    return seconds if seconds is not None and seconds <= MAX_TIME else None


# "Nov 29, 2016 7:43:20 PM", as SSM Automation writes a time (in UTC).
_TWELVE_HOUR = "%b %d, %Y %I:%M:%S %p"


def _twelve_hour(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, _TWELVE_HOUR)
    except ValueError:
        return None


def _rfc1123(text: str, value: object) -> datetime:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as err:
        raise ValueError(f"{value!r} is not a time AWS writes") from err


def to_iso(seconds: int | float) -> str:
    """Epoch seconds → "2024-11-17T12:00:00Z", as the REST API and listings show times."""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc(ts: int | float) -> datetime:
    """Epoch seconds as a UTC datetime, clamped to what a datetime can show."""
    return datetime.fromtimestamp(min(max(int(ts), 0), MAX_TIME), tz=UTC)


def clock_text(ts: int, now: int | None = None, *, seconds: bool = False) -> str:
    """ "14:05 UTC" on the day of `now` (or with no `now`), else "2024-05-02 14:05 UTC";
    with `seconds`, "14:05:09 UTC"."""
    at = utc(ts)
    same_day = now is None or utc(now).date() == at.date()
    time = "%H:%M:%S UTC" if seconds else "%H:%M UTC"
    return at.strftime(time if same_day else f"%Y-%m-%d {time}")


def duration_text(seconds: int) -> str:
    """ "45 min", "3 h 20 min", "2 d 4 h": how long, as people say it."""
    minutes = max(seconds, 0) // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> int:
    """`45s`, `15m`, `1h`, `7d` (or plain seconds) → seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration is written like 45s, 15m, 1h or 7d")
    if isinstance(value, int | float):
        seconds = int(value)
    else:
        match = _DURATION.match(str(value).lower())
        if not match:
            raise ValueError(f"{value!r} is not a duration; write it like 45s, 15m, 1h or 7d")
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds
