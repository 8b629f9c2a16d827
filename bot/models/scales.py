"""The scales every family shares: severity, what a signal asks of people, an alert's status."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class Severity(StrEnum):
    """How bad a signal is. One scale for every family, ordered by `rank`."""

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    INFO = "INFO"

    @property
    def rank(self) -> int:
        """Higher is worse; lets callers compare and take the maximum."""
        return _SEVERITY_RANK[self]

    @classmethod
    def from_score(cls, score: float) -> Severity:
        """≥9 CRITICAL (GuardDuty's critical band), ≥7 HIGH, ≥4 MEDIUM, else LOW."""
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        return cls.LOW

    @classmethod
    def from_label(cls, label: str | None, default: Severity | None = None) -> Severity:
        """Map a label such as Security Hub's ("INFORMATIONAL", "high") onto the scale."""
        text = (label or "").strip().upper()
        if text in ("INFORMATIONAL", "INFORMATION"):
            return cls.INFO
        try:
            return cls(text)
        except ValueError:
            return default if default is not None else cls.LOW

    @classmethod
    def worst(cls, severities: list[Severity]) -> Severity:
        return max(severities, key=lambda s: s.rank, default=cls.INFO)


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class SignalState(StrEnum):
    """What a signal asks of people: act (firing), relax (resolved), or just know (info)."""

    FIRING = "firing"
    RESOLVED = "resolved"
    INFO = "info"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKED = "acked"
    RESOLVED = "resolved"


Direction = Literal["asc", "desc"]
