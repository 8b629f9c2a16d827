"""The agents' hourly Logs Insights findings: error lines found in a log group.

Always firing MEDIUM: someone should read them, but a log line alone says nothing of scale.
One alert per log group, so that each hour's findings add to the same alert.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    make_signal,
    scalar,
)

FAMILY = registry.LOGS

_SHOWN = 5  # messages quoted in the description
_MESSAGE_MAX = 300


def _entries(detail: Any) -> list[dict[str, Any]]:
    """The QueryLogsResult's lines, or the detail itself when it is one bare line."""
    logs = dig(detail, "logs")
    if isinstance(logs, list):
        return [entry for entry in logs if isinstance(entry, dict)]
    return [detail] if dig(detail, "message") is not None else []


def _group_name(detail: Any, entries: list[dict[str, Any]]) -> str:
    named = dig(detail, "log_group_name") or dig(detail, "log_group")
    named = named or next((e.get("log_group") for e in entries if e.get("log_group")), "")
    return headline(named, 512) or "unknown log group"


def _console_link(region: str | None, group: str) -> str:
    """The console's fragment router wants the name quoted twice."""
    name = quote(quote(group, safe=""), safe="")
    return console_url(region, "cloudwatch/home", f"logsV2:log-groups/log-group/{name}")


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per finding event, whatever its number of lines."""
    detail = event.detail
    entries = _entries(detail)
    group = _group_name(detail, entries)
    times = sorted(filter(None, (scalar(e.get("timestamp")) for e in entries)))
    shown = [headline(e.get("message"), _MESSAGE_MAX) for e in entries[:_SHOWN]]
    more = len(entries) - _SHOWN
    description = "\n".join(filter(None, shown)) + (f"\n… and {more} more" if more > 0 else "")
    return [
        make_signal(
            event,
            ctx,
            family=FAMILY,
            title=f"{len(entries)} error line(s) in {group}",
            severity=Severity.MEDIUM,
            state=SignalState.FIRING,
            fingerprint=fingerprint("logs", event.account, event.region, group),
            fields=fields(
                [
                    ("Log group", group),
                    ("Count", len(entries)),
                    ("First", times[0] if times else None),
                    ("Last", times[-1] if times else None),
                ]
            ),
            description=description.strip(),
            resource=group,
            console_url=_console_link(event.region, group),
        )
    ]
