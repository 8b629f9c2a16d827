"""Domain models, DTOs and scales, one module per concern; every name is importable from here."""

from bot.models.agents import (
    AccountId,
    Agent,
    DeploymentDTO,
    NewAgent,
    RegionName,
    UpdateAgentDTO,
)
from bot.models.alerts import (
    Alert,
    HistoryEntry,
    MessageRef,
    Outbox,
    Silence,
    SilenceScope,
    State,
    StormAlert,
    StormDigest,
    Told,
)
from bot.models.base import CountItem, Model
from bot.models.events import MAX_ID_BYTES, EpochSeconds, Event, Signal, SignalField
from bot.models.ingest import IngestResult, Rejection
from bot.models.logs import LogEntry, QueryLogsResult
from bot.models.paging import (
    AgentQueryResult,
    EventQueryResult,
    ListEventsDTO,
    PaginatedInputDTO,
    QueryResult,
)
from bot.models.reports import DailyReport, ReportAlert, ReportPart
from bot.models.scales import AlertStatus, Direction, Severity, SignalState

__all__ = [
    "MAX_ID_BYTES",
    "AccountId",
    "Agent",
    "AgentQueryResult",
    "Alert",
    "AlertStatus",
    "CountItem",
    "DailyReport",
    "DeploymentDTO",
    "Direction",
    "EpochSeconds",
    "Event",
    "EventQueryResult",
    "HistoryEntry",
    "IngestResult",
    "ListEventsDTO",
    "LogEntry",
    "MessageRef",
    "Model",
    "NewAgent",
    "Outbox",
    "PaginatedInputDTO",
    "QueryLogsResult",
    "QueryResult",
    "RegionName",
    "Rejection",
    "ReportAlert",
    "ReportPart",
    "Severity",
    "Signal",
    "SignalField",
    "SignalState",
    "Silence",
    "SilenceScope",
    "State",
    "StormAlert",
    "StormDigest",
    "Told",
    "UpdateAgentDTO",
]
