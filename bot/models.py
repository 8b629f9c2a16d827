"""Domain models, DTOs and enums: events, signals, alerts, silences, agents and paging."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.timeutil import MAX_TIME

T = TypeVar("T")


class Model(BaseModel):
    """Base of every model: schemas are built on first use, not at import.

    A Lambda that handles events never validates an Agent or a Silence, so it should not
    pay for building their schemas on a cold start.
    """

    model_config = ConfigDict(defer_build=True)


# ---------------------------------------------------------------------------------------------
# Enums
# ---------------------------------------------------------------------------------------------


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

    def emoji(self) -> str:
        return _SEVERITY_EMOJI[self]

    def color(self) -> str:
        return _SEVERITY_COLOR[self]

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
_SEVERITY_EMOJI = {
    Severity.CRITICAL: ":rotating_light:",
    Severity.HIGH: ":red_circle:",
    Severity.MEDIUM: ":large_orange_circle:",
    Severity.LOW: ":large_yellow_circle:",
    Severity.INFO: ":information_source:",
}
_SEVERITY_COLOR = {
    Severity.CRITICAL: "#8B0000",
    Severity.HIGH: "#FF0000",
    Severity.MEDIUM: "#FFA500",
    Severity.LOW: "#FFD700",
    Severity.INFO: "#439FE0",
}

# The scale's older name, kept for code written against it.
SeverityLevel = Severity


class SignalState(StrEnum):
    """What a signal asks of people: act (firing), relax (resolved), or just know (info)."""

    FIRING = "firing"
    RESOLVED = "resolved"
    INFO = "info"

    def emoji(self) -> str:
        return {"firing": ":fire:", "resolved": ":white_check_mark:", "info": ":memo:"}[self]

    def color(self) -> str:
        return {"firing": "#FF0000", "resolved": "#36A64F", "info": "#439FE0"}[self]


class EventSource(StrEnum):
    """Sources the bot names in its own code: AWS services and the agents' sources."""

    AWS_HEALTH = "aws.health"
    AWS_GUARDDUTY = "aws.guardduty"
    AWS_CLOUDWATCH = "aws.cloudwatch"
    AWS_CLOUDFORMATION = "aws.cloudformation"
    AWS_SECURITYHUB = "aws.securityhub"
    AWS_ECS = "aws.ecs"
    AWS_CODEPIPELINE = "aws.codepipeline"
    AWS_BACKUP = "aws.backup"
    AWS_SNS = "aws.sns"
    AGENT_HEALTH = "monitoring.agent.health"
    AGENT_GUARDDUTY = "monitoring.agent.guardduty"
    AGENT_CLOUDWATCH = "monitoring.agent.cloudwatch"
    AGENT_LOGS = "monitoring.agent.logs"
    AGENT_CLOUDFORMATION = "monitoring.agent.cloudformation"


class AlarmState(StrEnum):
    ALARM = "ALARM"
    OK = "OK"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"

    def emoji(self) -> str:
        return {"ALARM": ":red_circle:", "OK": ":recycle:", "INSUFFICIENT_DATA": ":grey_question:"}[
            self
        ]

    def color(self) -> str:
        return {"ALARM": "#FF0000", "OK": "#36A64F", "INSUFFICIENT_DATA": "#AAAAAA"}[self]


class HealthEventCategory(StrEnum):
    ISSUE = "issue"
    ACCOUNT_NOTIFICATION = "accountnotification"
    SCHEDULED_CHANGE = "scheduledchange"
    INVESTIGATION = "investigation"

    @classmethod
    def parse(cls, value: str | None) -> HealthEventCategory | None:
        """AWS writes camelCase ("scheduledChange"); unknown categories give None."""
        try:
            return cls((value or "").lower())
        except ValueError:
            return None

    def emoji(self) -> str:
        return {
            "issue": ":warning:",
            "accountnotification": ":information_source:",
            "scheduledchange": ":calendar:",
            "investigation": ":mag:",
        }[self]


class HealthEventStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    UPCOMING = "upcoming"

    def color(self) -> str:
        return {"open": "#FFA500", "closed": "#36A64F", "upcoming": "#439FE0"}[self]


class CfnStackStatusType(StrEnum):
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    WARNING = "WARNING"

    @classmethod
    def from_status(cls, status: str) -> CfnStackStatusType:
        """FAILED and ROLLBACK mean failure; IN_PROGRESS a warning; the rest success."""
        if "FAILED" in status or "ROLLBACK" in status:
            return cls.FAILURE
        if "IN_PROGRESS" in status:
            return cls.WARNING
        return cls.SUCCESS

    def emoji(self) -> str:
        return {"SUCCESS": ":rocket:", "FAILURE": ":x:", "WARNING": ":warning:"}[self]

    def color(self) -> str:
        return {"SUCCESS": "#36A64F", "FAILURE": "#FF0000", "WARNING": "#FFA500"}[self]


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKED = "acked"
    RESOLVED = "resolved"


Direction = Literal["asc", "desc"]

# ---------------------------------------------------------------------------------------------
# Events and signals
# ---------------------------------------------------------------------------------------------


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
    region: str | None = None
    event_id: str = ""
    source: str = ""
    time: int = 0
    # What makes two events one occurrence, applied to an alert once: an alarm's
    # transition (its ARN, state and state time) whichever way it arrived. Empty: the
    # event's own id.
    occurrence: str = ""


# ---------------------------------------------------------------------------------------------
# Agents and logs
# ---------------------------------------------------------------------------------------------

AccountId = Annotated[str, Field(pattern=r"^[0-9]{12}$", description="A 12-digit AWS account id")]
RegionName = Annotated[
    str,
    Field(pattern=r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$", description="An AWS region name"),
]


class Agent(Model):
    """A monitoring agent, one per AWS account (its id is the account id)."""

    id: AccountId
    region: RegionName
    status: str | None = None
    deployed_at: int = 0
    created_at: int = 0
    last_seen: int | None = None

    @property
    def persistence_id(self) -> str:
        return self.id


class UpdateAgentDTO(Model):
    """A partial update: only the fields that are set are written."""

    model_config = ConfigDict(extra="forbid")

    region: RegionName | None = None
    status: str | None = None
    deployed_at: int | None = None
    last_seen: int | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> UpdateAgentDTO:
        """An agent always has a region and a deployment time: they may change, not vanish."""
        for name in ("region", "deployed_at"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class NewAgent(Agent):
    """An agent as POST /agents takes it: nothing but the agent's own fields."""

    model_config = ConfigDict(extra="forbid")


class DeploymentDTO(Model):
    """A deployment update: an agent (re)deployed in a region, with a status."""

    model_config = ConfigDict(extra="forbid")

    agent_id: AccountId
    region: RegionName
    status: str = Field(min_length=1, max_length=100)
    deployed_at: int = Field(ge=0, le=MAX_TIME)


class LogEntry(Model):
    message: str
    timestamp: str
    log_group: str


class QueryLogsResult(Model):
    log_group_name: str
    logs: list[LogEntry] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Paging
# ---------------------------------------------------------------------------------------------


class PaginatedInputDTO(Model):
    """Page size, order and an opaque cursor, as the REST API takes them."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=100)
    direction: Direction = "desc"
    cursor: str | None = None


class QueryResult(Model, Generic[T]):
    """One page of results, with opaque cursors to the next and the previous page."""

    items: list[T]
    limit: int
    next: str | None = None
    previous: str | None = None


class ListEventsDTO(PaginatedInputDTO):
    """Event listing filters. Dates are epoch seconds over `published_at`, inclusive."""

    start_date: int | None = Field(default=None, ge=0, le=MAX_TIME)
    end_date: int | None = Field(default=None, ge=0, le=MAX_TIME)
    source: str | None = None
    account: str | None = None

    @model_validator(mode="after")
    def _check_range(self) -> ListEventsDTO:
        if (
            self.start_date is not None
            and self.end_date is not None
            and self.start_date > self.end_date
        ):
            raise ValueError("start_date must be before or equal to end_date")
        return self


EventQueryResult = QueryResult[Event]
AgentQueryResult = QueryResult[Agent]

# ---------------------------------------------------------------------------------------------
# Alerts and silences
# ---------------------------------------------------------------------------------------------


class MessageRef(Model):
    """Where an alert's root message lives in Slack."""

    channel: str
    ts: str


class HistoryEntry(Model):
    at: int
    action: str
    by: str | None = None
    note: str | None = None


class Told(Model):
    """What an alert's thread has been told, so that the next reply says only what is new."""

    count: int = 1
    flaps: int = 0
    resolved: bool = False


class Alert(Model):
    """The life of one alert: one Slack message from first firing to resolution, and
    through any reopening within the reopen window.

    `version` is bumped by every write and compared on write, so that two writers (two
    Lambda instances, two clicks) never silently overwrite each other. `state_version`
    is the version of the last change people act on (status, silence, reopening): a
    click naming an older version is stale, one naming a newer version is not, although
    repeats moved `version` on.
    """

    id: str
    fingerprint: str
    status: AlertStatus = AlertStatus.OPEN
    title: str = ""
    severity: Severity = Severity.INFO
    source: str = ""
    account: str = ""
    silenced_until: int | None = None
    message: MessageRef | None = None
    version: int = 0
    count: int = 1
    first_seen: int
    last_seen: int
    flaps: int = 0
    acked_by: str | None = None
    acked_at: int | None = None
    resolved_at: int | None = None
    # Slack work outstanding (a post not yet confirmed, or an edit or a reply held back
    # by the coalescing window), due at next_attempt_at.
    pending: bool = False
    parent_id: str | None = None
    history: list[HistoryEntry] = Field(default_factory=list)
    state_version: int = 0
    opened_at: int = 0  # the latest (re)opening; 0 means first_seen
    # Delivery: what to draw, where, and when to try again after Slack failed.
    # A storm is the summary of a channel's alert storm; its members name it as parent_id,
    # and its resolved_at is when the storm ended.
    kind: Literal["alert", "notification", "storm"] = "alert"
    channel: str | None = None
    thread_ts: str | None = None  # a notification threaded under an open alert
    signal: Signal | None = None
    attempts: int = 0
    next_attempt_at: int = 0
    # A post was being made when this was written: until it is found or confirmed, its
    # outcome is unknown (the process may have died after Slack took it).
    in_flight: bool = False
    # Coalescing: at most one root edit and one thread reply per window.
    dirty: bool = False  # the root shows less than the record knows
    edited_at: int = 0
    replied_at: int = 0
    told: Told = Field(default_factory=Told)
    # Routing: whom the route that sent it here mentions; reminders sent while unacked.
    mention: str | None = None
    reminders: int = 0
    # A storm's members (the alerts folded into it), and what its thread was told of each.
    members: list[str] = Field(default_factory=list)
    told_members: dict[str, Told] = Field(default_factory=dict)
    # The latest events applied to it (lifecycle.EVENTS_KEPT): an event sent again, after
    # an attempt that stored it but died before alerting, is applied at most once.
    event_ids: list[str] = Field(default_factory=list)


SilenceScope = Literal["alert", "resource", "account_source"]


class Silence(Model):
    """A silence holds until `expires_at`, checked at read time, whatever the alert does."""

    id: str
    scope: SilenceScope = "alert"
    matcher: str
    created_by: str
    reason: str = ""
    created_at: int
    expires_at: int

    def active(self, now: int) -> bool:
        return self.expires_at > now


class CountItem(Model):
    label: str
    count: int


class StormAlert(Model):
    """One alert of a storm, as its summary lists it."""

    title: str
    severity: Severity
    count: int
    status: AlertStatus


class StormDigest(Model):
    """What a storm summary shows, computed from its members when it is drawn."""

    alerts: int = 0
    events: int = 0
    open: int = 0
    acked: int = 0
    resolved: int = 0
    severity: Severity = Severity.INFO
    by_source: list[CountItem] = Field(default_factory=list)
    by_account: list[CountItem] = Field(default_factory=list)
    top: list[StormAlert] = Field(default_factory=list)
    started_at: int = 0
    last_new_at: int = 0
    ended_at: int | None = None


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


class State(Model):
    """A small piece of shared delivery state (a rate budget, a channel's storm), changed
    only through conditional writes on `version`, so that every instance agrees on it."""

    key: str
    version: int = 0
    data: dict[str, Any] = Field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Ingest results
# ---------------------------------------------------------------------------------------------


class Rejection(Model):
    index: int
    error: str


class IngestResult(Model):
    """The answer of the ingest use case, shared by POST /ingest, the CLI and the Lambda."""

    stored: int = 0
    duplicates: int = 0
    ids: list[str] = Field(default_factory=list)
    rejected: list[Rejection] = Field(default_factory=list)
