"""Log lines as the error-log sweep reads them."""

from __future__ import annotations

from pydantic import Field

from bot.models.base import Model


class LogEntry(Model):
    message: str
    timestamp: str
    log_group: str


class QueryLogsResult(Model):
    log_group_name: str
    logs: list[LogEntry] = Field(default_factory=list)
