"""Views of what an alert learns after its first post: the error lines of its logs, as a
reply in its thread. Log lines are untrusted text: escaped, and shown as code so that
nothing in them formats, links or mentions."""

from __future__ import annotations

from typing import Any

from blocks.slack_text import (
    CONTEXT_TEXT,
    FALLBACK_TEXT,
    SECTION_TEXT,
    context_block,
    escape,
    fit_message,
    mrkdwn,
    truncate,
)
from bot.models import ErrorLine, LogFindings
from bot.timeutil import clock_text

LINE_CHARS = 500  # of each example line


def _code(text: str) -> str:
    """A preformatted block of untrusted text: escaped, its backticks made harmless."""
    return "```" + escape(truncate(text, LINE_CHARS)).replace("```", "`\u200b``") + "```"


def _line_block(line: ErrorLine) -> dict[str, Any]:
    times = "once" if line.count == 1 else f"{line.count}×"
    where = f" in `{escape(line.group)}`" if line.group else ""
    head = f"*{times}*{where}"
    return {"type": "section", "text": mrkdwn(f"{head}\n{_code(line.example)}", SECTION_TEXT)}


def log_findings_blocks(findings: LogFindings) -> tuple[list[dict[str, Any]], str]:
    """The reply: the top signatures, most frequent first, and what was queried."""
    count = len(findings.lines)
    title = f":mag: Top {count} error line{'s' if count != 1 else ''} from the logs"
    groups = ", ".join(f"`{escape(g)}`" for g in findings.groups)
    window = f"{clock_text(findings.start)} to {clock_text(findings.end)}"
    read = (
        f"counts of the newest {findings.read} matching lines"
        if findings.capped
        else f"{findings.read} matching lines"
    )
    blocks = [
        {"type": "section", "text": mrkdwn(f"*{title}*")},
        *(_line_block(line) for line in findings.lines),
        context_block(truncate(f"{groups} · {window} · {read}", CONTEXT_TEXT)),
    ]
    text = truncate(f"{title}: {escape(findings.lines[0].example) if count else ''}", FALLBACK_TEXT)
    return fit_message(blocks, text)
