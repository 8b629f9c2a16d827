"""What one person's Home tab shows: built by bot/home.py, drawn by blocks/home.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.models.agents import Agent
from bot.models.alerts import Alert, Silence

# Who is on call: (rotation or route name, the user ids on call now), in display order.
OnCall = Callable[[], list[tuple[str, list[str]]]]


@dataclass(frozen=True)
class ReportLink:
    """The last daily report's summary message."""

    day: str  # YYYY-MM-DD, the UTC day it reports
    channel: str
    ts: str


@dataclass(frozen=True)
class Home:
    """One person's Home tab at `now`. Lists are complete as read (the view cuts them to
    Slack's 100 blocks); `capped` says the open alerts read reached the read limit, so
    that there may be more than their count."""

    user: str
    now: int
    open_alerts: tuple[Alert, ...]  # not acknowledged: worst first, then newest
    mine: tuple[Alert, ...]  # acknowledged by `user`, still open: newest first
    acked_by_others: int
    silences: tuple[Silence, ...]  # in force, soonest to end first
    stale_agents: tuple[Agent, ...]  # longest silent first
    on_call: tuple[tuple[str, tuple[str, ...]], ...] | None  # None: no rotations configured
    last_report: ReportLink | None
    capped: bool = False
