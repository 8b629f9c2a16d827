"""The daily report: its summary and its thread's replies."""

from __future__ import annotations

from pydantic import Field

from bot.models.alerts import Silence
from bot.models.base import CountItem, Model
from bot.models.scales import AlertStatus, Severity, SignalState


class ReportAlert(Model):
    """One alert (a fingerprint) as the daily report lists it: its events that day."""

    fingerprint: str
    title: str
    source: str
    account: str = ""  # as people name it: "prod (123456789012)"
    severity: Severity = Severity.INFO
    state: SignalState = SignalState.INFO  # of its last event that day
    count: int = 0
    status: AlertStatus | None = None  # its alert's status now, when it has one


class DailyReport(Model):
    """The summary of one UTC day: the parent message of the report's thread."""

    day: str  # YYYY-MM-DD
    start: int
    end: int  # inclusive
    events: int = 0
    alerts: int = 0  # distinct fingerprints among the day's events (at least, if untracked)
    by_source: list[CountItem] = Field(default_factory=list)
    by_account: list[CountItem] = Field(default_factory=list)
    by_severity: list[CountItem] = Field(default_factory=list)
    hourly: list[int] = Field(default_factory=lambda: [0] * 24)
    opened: int = 0
    resolved: int = 0
    still_open: int = 0
    acked: int = 0  # of the alerts opened that day
    mtta: int | None = None  # seconds, over `acked`
    mttr: int | None = None  # seconds, over `resolved`
    noisiest: list[ReportAlert] = Field(default_factory=list)
    silences: list[Silence] = Field(default_factory=list)  # the first few, soonest to expire
    silences_total: int = 0
    expiring: int = 0  # silences that end within 24 h
    untracked: int = 0  # events of alerts past the listing cap: counted, not listed
    parts: int = 0  # thread replies that follow


class ReportPart(Model):
    """One thread reply of a daily report: one source's alerts, or a chunk of them."""

    day: str
    source: str
    events: int
    alerts_total: int
    alerts: list[ReportAlert] = Field(default_factory=list)
    part: int = 1
    parts: int = 1
