"""Details of the agents' "CloudWatch Logs Error" findings (a QueryLogsResult)."""

from __future__ import annotations

from typing import Any

LOGS_ERROR = "CloudWatch Logs Error"
SOURCE = "monitoring.agent.logs"


def log_entry(
    message: str = "ERROR something broke",
    *,
    timestamp: str = "2024-01-01 00:00:00.000",
    log_group: str = "/aws/lambda/api",
) -> dict[str, Any]:
    return {"message": message, "timestamp": timestamp, "log_group": log_group}


def logs_result(
    messages: list[str] | None = None,
    *,
    log_group: str = "/aws/lambda/api",
    timestamps: list[str] | None = None,
) -> dict[str, Any]:
    """A QueryLogsResult with one line per message; timestamps one minute apart unless told."""
    messages = ["ERROR something broke"] if messages is None else messages
    stamps = timestamps or [f"2024-01-01 00:{i % 60:02d}:00.000" for i in range(len(messages))]
    return {
        "log_group_name": log_group,
        "logs": [
            log_entry(message, timestamp=stamp, log_group=log_group)
            for message, stamp in zip(messages, stamps, strict=False)
        ],
    }
