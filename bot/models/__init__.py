"""Domain models, DTOs and scales, one module per concern; every name is importable from here.

The daily report's and the log sweep's models are imported on first use: an ingest never
builds them, so its cold start does not pay for their classes.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from bot.models.accounts import AccountInfo
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
    Hold,
    IncidentRef,
    Inhibition,
    MessageRef,
    Outbox,
    Silence,
    SilenceNote,
    SilenceScope,
    State,
    StormAlert,
    StormDigest,
    Told,
)
from bot.models.base import CountItem, Model
from bot.models.enrichment import Change, Enrichment, ErrorLine, LogFindings
from bot.models.escalation import EscalationStep, Notify
from bot.models.events import MAX_ID_BYTES, EpochSeconds, Event, Measure, Signal, SignalField
from bot.models.ingest import IngestResult, Rejection
from bot.models.paging import (
    AgentQueryResult,
    EventQueryResult,
    ListEventsDTO,
    PaginatedInputDTO,
    QueryResult,
)
from bot.models.scales import AlertStatus, Direction, Severity, SignalState

if TYPE_CHECKING:
    from bot.models.logs import LogEntry, QueryLogsResult
    from bot.models.reports import DailyReport, ReportAlert, ReportPart
else:
    _ON_FIRST_USE = {
        "LogEntry": "bot.models.logs",
        "QueryLogsResult": "bot.models.logs",
        "DailyReport": "bot.models.reports",
        "ReportAlert": "bot.models.reports",
        "ReportPart": "bot.models.reports",
    }

    def __getattr__(name: str) -> Any:
        if name not in _ON_FIRST_USE:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return getattr(import_module(_ON_FIRST_USE[name]), name)


__all__ = [
    "MAX_ID_BYTES",
    "AccountId",
    "AccountInfo",
    "Agent",
    "AgentQueryResult",
    "Alert",
    "AlertStatus",
    "Change",
    "CountItem",
    "DailyReport",
    "DeploymentDTO",
    "Direction",
    "Enrichment",
    "EpochSeconds",
    "ErrorLine",
    "EscalationStep",
    "Event",
    "EventQueryResult",
    "HistoryEntry",
    "Hold",
    "IncidentRef",
    "IngestResult",
    "Inhibition",
    "ListEventsDTO",
    "LogEntry",
    "LogFindings",
    "Measure",
    "MessageRef",
    "Model",
    "NewAgent",
    "Notify",
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
    "SilenceNote",
    "SilenceScope",
    "State",
    "StormAlert",
    "StormDigest",
    "Told",
    "UpdateAgentDTO",
]
