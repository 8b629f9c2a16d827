"""Events as stored, and signals: what an event means to people."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator

from bot.models.base import Model
from bot.models.scales import Severity, SignalState
from bot.timeutil import MAX_TIME

MAX_ID_BYTES = 1000

# From the epoch to 9999-12-31T23:59:59Z: the times a date bucket (YYYY-MM-DD) can hold.
EpochSeconds = Annotated[int, Field(ge=0, le=MAX_TIME)]


class Event(Model):
    """One AWS (or agent) event as stored: its envelope's fields, its times and its summary.

    `family`, `title`, `severity`, `state` and `fingerprints` are derived by the
    interpreters at ingest, so that listings, filters and the daily report never have to
    re-interpret the detail.
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=256)
    account: str = ""
    region: str | None = None
    source: str
    detail_type: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    resources: list[str] = Field(default_factory=list)
    published_at: EpochSeconds
    updated_at: EpochSeconds
    received_at: EpochSeconds
    expired_at: int = Field(default=0, description="epoch seconds; 0 never expires")
    family: str = "generic"
    title: str = ""
    severity: Severity = Severity.INFO
    state: SignalState = SignalState.INFO
    fingerprints: list[str] = Field(default_factory=list)  # its signals', for the report

    @field_validator("id")
    @classmethod
    def _id_fits_keys(cls, value: str) -> str:
        """A time-ordered sort key is `<12 digits>#<id>` and DynamoDB allows 1024 bytes."""
        if len(value.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
            raise ValueError(f"an id may take at most {MAX_ID_BYTES} bytes in UTF-8")
        return value

    @property
    def persistence_id(self) -> str:
        """A composite key with the time first, so that keys sort by time."""
        return f"{self.published_at}-{self.id}"


class SignalField(Model):
    """One labelled value of a signal, shown as a Block Kit field."""

    model_config = ConfigDict(frozen=True)

    label: str
    value: str


class Measure(Model):
    """How bad and how many, as a family says it of a finding it sends again for as long
    as the finding stands (GuardDuty every 6 hours, unchanged or not). An alert resolved
    by hand reopens only on a firing whose measure rose (`bot.lifecycle.rose`). Each part
    is on its family's own scale; None where the family does not say."""

    model_config = ConfigDict(frozen=True)

    score: float | None = None  # how bad: higher is worse
    count: int | None = None  # how many times the source has seen it, so far


class Signal(Model):
    """What an event means to people: the output of a family interpreter."""

    model_config = ConfigDict(frozen=True)

    family: str
    title: str
    severity: Severity
    state: SignalState
    fingerprint: str
    fields: list[SignalField] = Field(default_factory=list)
    description: str = ""
    resource: str = ""
    console_url: str | None = None
    account: str = ""
    account_name: str | None = None
    # The account's tags in the organisation (bot/accounts.py), for routes and alerts.
    account_tags: dict[str, str] = Field(default_factory=dict)
    region: str | None = None
    event_id: str = ""
    source: str = ""
    time: int = 0
    # What makes two events one occurrence, applied to an alert once: an alarm's
    # transition (its ARN, state and state time) whichever way it arrived. Empty: the
    # event's own id.
    occurrence: str = ""
    # How bad and how many, for a family that sends a standing finding again; None for
    # one whose every firing is a new transition (an alarm going to ALARM).
    measure: Measure | None = None
