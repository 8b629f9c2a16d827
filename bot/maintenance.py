"""Maintenance windows: recurring stretches of time (the routes file's `maintenance:`)
during which what a window matches is silenced, as a silence would: stored and counted,
not posted, nobody pinged.

A window starts at each time its 5-field crontab line names, read in its time zone, and
lasts its duration. It is on at `now` when one of its starts lies in the last duration:
a window of 2h from 23:00 is on at 00:30. Starts are APScheduler's CronTrigger's, which
reads the time zone's daylight saving (bot/cron.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot import cron
from bot.config import parse_duration
from bot.models import Signal
from bot.routing import MaintenanceWindow

MAX_STARTS = 500  # starts read back over one duration; a window of `* * * * *` for 7d is cut


@dataclass(frozen=True)
class WindowState:
    """A window at one moment: until when it is on (None: off), and its next start."""

    window: MaintenanceWindow
    until: int | None
    next_start: int | None

    @property
    def name(self) -> str:
        return self.window.name


def next_start(window: MaintenanceWindow, after: int) -> int | None:
    """The window's first start strictly after `after` (epoch seconds)."""
    return cron.next_time(window.cron, window.time_zone, after)


def on_until(window: MaintenanceWindow, now: int) -> int | None:
    """When the window `now` is inside ends (from its latest start); None when it is off."""
    length = parse_duration(window.duration)
    start = next_start(window, now - length)
    latest = None
    for _ in range(MAX_STARTS):
        if start is None or start > now:
            break
        latest = start
        start = next_start(window, start)
    return latest + length if latest is not None else None


def states(windows: Iterable[MaintenanceWindow], now: int) -> list[WindowState]:
    """Each window at `now`: on (until when) or off, and its next start."""
    return [WindowState(w, on_until(w, now), next_start(w, now)) for w in windows]


def matching(found: Iterable[WindowState], signal: Signal | None) -> list[WindowState]:
    """The windows on now that match the signal (an alert without one matches none)."""
    if signal is None:
        return []
    return [s for s in found if s.until is not None and s.window.match.matches(signal)]


def holding(
    windows: Iterable[MaintenanceWindow], signal: Signal | None, now: int
) -> list[WindowState]:
    """The windows on at `now` that match the signal (their next starts left unread)."""
    if signal is None:
        return []
    return [
        WindowState(w, until, None)
        for w in windows
        if w.match.matches(signal) and (until := on_until(w, now)) is not None
    ]
