"""Why an alarm fired, in its logs: one Logs Insights query over the alarm's window and
log groups, its error lines grouped by signature (numbers, ids, hex and quoted values
made alike) with counts, most frequent first."""

from __future__ import annotations

import re

from bot.models import ErrorLine

# Lines that say something went wrong; the newest LINES_READ of them are grouped.
LINES_READ = 1000
QUERY = (
    "fields @timestamp, @message, @log"
    " | filter @message like /(?i)(error|exception|fatal|fail|traceback|timed? ?out|throttl|panic)/"
    f" | sort @timestamp desc | limit {LINES_READ}"
)
BEFORE_S = 15 * 60  # the window: from before the transition
AFTER_S = 5 * 60  # to shortly after it
TOP = 5
SIGNATURE_CHARS = 160

_VARIABLE = [
    (re.compile(r"\d{4}-\d\d-\d\d[T ][\d:.,]+(Z|[+-]\d\d:?\d\d)?"), "<time>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<id>"),
    (re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]{12,}\b", re.I), "<hex>"),
    (re.compile(r"\"[^\"]{0,200}\"|'[^']{0,200}'"), "<str>"),
    (re.compile(r"\d+(\.\d+)?"), "<n>"),
    (re.compile(r"\s+"), " "),
]


def signature(message: str) -> str:
    """What alike lines share once their variable parts are made alike."""
    text = message.strip()
    for pattern, stand_in in _VARIABLE:
        text = pattern.sub(stand_in, text)
    return text[:SIGNATURE_CHARS]


def group(rows: list[dict[str, str]], top: int = TOP) -> list[ErrorLine]:
    """The `top` signatures of a query's rows, most frequent first (the newest first on a
    tie); each shows its newest line."""
    found: dict[str, ErrorLine] = {}
    for row in rows:  # newest first, as queried
        message = row.get("@message", "")
        if not message.strip():
            continue
        key = signature(message)
        seen = found.get(key)
        if seen is None:
            found[key] = ErrorLine(
                signature=key,
                example=message.strip(),
                count=1,
                group=row.get("@log", ""),
                last_at=row.get("@timestamp", ""),
            )
        else:
            found[key] = seen.model_copy(update={"count": seen.count + 1})
    ranked = sorted(found.values(), key=lambda line: -line.count)  # stable: newest first on ties
    return ranked[:top]
