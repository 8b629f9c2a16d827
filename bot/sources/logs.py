"""Error lines of CloudWatch Logs: one line at a time from a subscription filter, or an
hour's lines of a group from the Logs Insights sweep.

Always firing MEDIUM: someone should read them, but a log line alone says nothing of
scale. Lines of one log group with the same error signature (the message with its
numbers, ids and hex masked) are one alert, which counts them, whichever way they came
(the subscription's lines carry the bot's own region, as the sweep's do): the signature,
not the line, is what fires again.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    clip,
    dig,
    fields,
    fingerprint,
    first_line,
    headline,
    log_group_url,
    make_signal,
    scalar,
    time_text,
)

FAMILY = registry.LOGS
SUBSCRIPTION_LINE = "CloudWatch Logs Line"

_SHOWN = 5  # messages quoted in the description
_MESSAGE_MAX = 300
_SIGNATURE_MAX = 500
_UUID = r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
_MASKS = (
    (re.compile(_UUID), "<id>"),
    (re.compile(r"\b[a-z]+-[0-9a-f]{8,17}\b"), "<id>"),  # i-0abc…, sg-…, vol-…
    (re.compile(r"\b0[xX][0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"\b(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"), "<hex>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
)  # fmt: skip


def signature(message: str) -> str:
    """The message with what changes from one occurrence to the next masked: UUIDs,
    resource ids, hex and numbers, then whitespace folded."""
    text = message
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return " ".join(text.split())[:_SIGNATURE_MAX]


def _entries(detail: Any) -> list[dict[str, Any]]:
    """The sweep's lines, or the detail itself when it is one bare line."""
    logs = dig(detail, "logs")
    if isinstance(logs, list):
        return [entry for entry in logs if isinstance(entry, dict)]
    return [detail] if dig(detail, "message") is not None else []


def _group_name(detail: Any, entries: list[dict[str, Any]]) -> str:
    named = dig(detail, "logGroup") or dig(detail, "log_group_name") or dig(detail, "log_group")
    named = named or next((e.get("log_group") for e in entries if e.get("log_group")), "")
    return headline(named, 512) or "unknown log group"


def _signal(
    event: Event, ctx: Context, group: str, lines: list[dict[str, Any]], extra: list[Any]
) -> Signal:
    """One signature's lines of one group."""
    messages = [scalar(e.get("message")) for e in lines]
    shape = signature(messages[0]) if messages else ""
    digest = hashlib.sha256(shape.encode("utf-8")).hexdigest()[:16]
    times = sorted(filter(None, (time_text(e.get("timestamp")) for e in lines)))
    shown = [headline(m, _MESSAGE_MAX) for m in messages[:_SHOWN]]
    more = len(lines) - _SHOWN
    description = "\n".join(filter(None, shown)) + (f"\n… and {more} more" if more > 0 else "")
    what = first_line(messages[0], 120) if messages else ""
    count = f"{len(lines)} error lines" if len(lines) > 1 else "Error"
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"{count} in {group}: {what}" if what else f"{count} in {group}",
        severity=Severity.MEDIUM,
        state=SignalState.FIRING,
        fingerprint=fingerprint("logs", event.account, event.region, group, digest),
        fields=fields(
            [
                ("Log group", group),
                ("Signature", clip(shape, 200)),
                ("Count", len(lines)),
                ("First", times[0] if times else None),
                ("Last", times[-1] if times else None),
                *extra,
            ]
        ),
        description=description.strip(),
        resource=group,
        console_url=log_group_url(event.region, group),
    )


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per error signature in the event (a subscription line has one)."""
    detail = event.detail
    entries = _entries(detail)
    group = _group_name(detail, entries)
    if event.detail_type == SUBSCRIPTION_LINE:
        extra = [("Log stream", dig(detail, "logStream"))]
        return [_signal(event, ctx, group, entries, extra)]
    by_signature: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_signature.setdefault(signature(scalar(entry.get("message"))), []).append(entry)
    if not by_signature:
        return [_signal(event, ctx, group, [], [])]
    return [_signal(event, ctx, group, lines, []) for lines in by_signature.values()]
