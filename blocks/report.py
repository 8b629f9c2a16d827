"""The daily report: a summary message, and one thread reply per source.

    summary   :bar_chart: Daily report: 2026-11-27 (UTC)
              totals; opened, resolved, still open; MTTA and MTTR
              by source, by account, by severity
              events per hour as a sparkline, with the peak
              the noisiest alerts
              active silences, and those that end within 24 h
    reply     one source: its events and alerts, worst and noisiest first

Every string from an event or a person is escaped; a reply's alert lines are packed into
sections of at most SECTION_TEXT, and every message goes through `fit_message`.
"""

from __future__ import annotations

from typing import Any

from blocks.look import SEVERITY_EMOJI
from blocks.silences import silence_text
from blocks.slack_text import (
    FIELD_TEXT,
    HEADER_TEXT,
    SECTION_TEXT,
    context_block,
    escape,
    fit_message,
    mrkdwn,
    one_line,
    plain,
    truncate,
)
from bot.models import AlertStatus, CountItem, DailyReport, ReportAlert, ReportPart, SignalState
from bot.timeutil import duration_text

SPARKS = "▁▂▃▄▅▆▇█"
_TITLE = 150  # escaped characters, so that PART_ALERTS lines fit in one message
_ACCOUNT = 60
_STATUS = {AlertStatus.OPEN: "open", AlertStatus.ACKED: "acked", AlertStatus.RESOLVED: "resolved"}
_STATE = {SignalState.FIRING: "firing", SignalState.RESOLVED: "resolved", SignalState.INFO: "info"}

Blocks = list[dict[str, Any]]


def sparkline(values: list[int]) -> str:
    """One bar per value, scaled to the largest; an empty hour is the lowest bar."""
    top = max(values, default=0)
    if top <= 0:
        return SPARKS[0] * len(values)
    last = len(SPARKS) - 1
    return "".join(SPARKS[0 if v <= 0 else max(1, round(v / top * last))] for v in values)


def _count_field(title: str, items: list[CountItem]) -> dict[str, Any] | None:
    if not items:
        return None
    lines = "\n".join(f"{escape(one_line(i.label))}: {i.count:,}" for i in items)
    return mrkdwn(truncate(f"*{title}*\n{lines}", FIELD_TEXT), FIELD_TEXT)


def _mean(seconds: int | None, over: int, what: str) -> str:
    if seconds is None:
        return f"{what}: none"
    return f"{what} {duration_text(seconds)} (over {over:,})"


def alert_line(alert: ReportAlert) -> str:
    """ "🔴 *CpuHigh* ×42 · prod (1234…) · open"."""
    title = truncate(escape(one_line(alert.title) or alert.fingerprint), _TITLE)
    status = _STATUS[alert.status] if alert.status else _STATE[alert.state]
    account = truncate(escape(one_line(alert.account)), _ACCOUNT)
    return f"{SEVERITY_EMOJI[alert.severity]} *{title}* ×{alert.count:,} · {account} · {status}"


def report_blocks(report: DailyReport, *, now: int) -> tuple[Blocks, str]:
    """(blocks, fallback text) of a daily report's summary."""
    title = f"Daily report: {report.day} (UTC)"
    at_least = "at least " if report.untracked else ""
    totals = (
        f"*{report.events:,} events* from {at_least}{report.alerts:,} alerts · "
        f"{report.opened:,} opened · {report.resolved:,} resolved · "
        f"{report.still_open:,} still open"
    )
    blocks: Blocks = [{"type": "header", "text": plain(f":bar_chart: {title}", HEADER_TEXT)}]
    if report.events == 0:
        totals = f"*A quiet day: no events.* {report.still_open:,} alerts still open."
    blocks.append(
        {
            "type": "section",
            "text": mrkdwn(
                f"{totals}\n{_mean(report.mtta, report.acked, 'Mean time to acknowledge')} · "
                f"{_mean(report.mttr, report.resolved, 'mean time to resolve')}"
            ),
        }
    )
    fields = [
        f
        for f in (
            _count_field("By source", report.by_source),
            _count_field("By account", report.by_account),
            _count_field("By severity", report.by_severity),
        )
        if f
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if report.events:
        peak = max(range(24), key=lambda h: report.hourly[h])
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(
                    f"*Events per hour* (00–23 UTC)\n`{sparkline(report.hourly)}`  "
                    f"peak {report.hourly[peak]:,} at {peak:02d}:00"
                ),
            }
        )
    if report.noisiest:
        lines = "\n".join(f"{n}. {alert_line(a)}" for n, a in enumerate(report.noisiest, 1))
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(truncate(f"*Noisiest alerts*\n{lines}", SECTION_TEXT)),
            }
        )
    blocks.extend(_silences(report, now))
    notes = []
    if report.parts:
        replies = "reply" if report.parts == 1 else "replies"
        notes.append(f"Details by source in the thread ({report.parts} {replies}).")
    if report.untracked:
        notes.append(f"{report.untracked:,} events of alerts past the listing cap are counted.")
    if notes:
        blocks.append(context_block(" ".join(notes)))
    fallback = f"{title}: {report.events:,} events, {report.still_open:,} alerts still open"
    return fit_message(blocks, fallback)


def _silences(report: DailyReport, now: int) -> Blocks:
    if not report.silences_total:
        return [{"type": "section", "text": mrkdwn("*Silences*: none active.")}]
    head = f"*Silences*: {report.silences_total:,} active, {report.expiring:,} end within 24 h"
    lines = [head, *(silence_text(s, now) for s in report.silences)]
    more = report.silences_total - len(report.silences)
    if more > 0:
        lines.append(f"… and {more:,} more (`/silences` lists them)")
    return [{"type": "section", "text": mrkdwn(truncate("\n".join(lines), SECTION_TEXT))}]


def _pack(lines: list[str], limit: int = SECTION_TEXT) -> list[str]:
    """Lines joined into as few texts of at most `limit` characters as they fit in."""
    texts: list[str] = []
    current = ""
    for line in lines:
        line = truncate(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            texts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        texts.append(current)
    return texts


def part_blocks(part: ReportPart) -> tuple[Blocks, str]:
    """(blocks, fallback text) of one thread reply: a source's alerts."""
    source = escape(one_line(part.source) or "unknown source")
    of = f" (part {part.part} of {part.parts})" if part.parts > 1 else ""
    head = f"*{source}*: {part.events:,} events, {part.alerts_total:,} alerts{of}"
    blocks: Blocks = [{"type": "section", "text": mrkdwn(head)}]
    for text in _pack([alert_line(a) for a in part.alerts]):
        blocks.append({"type": "section", "text": mrkdwn(text, SECTION_TEXT)})
    if not part.alerts:
        blocks.append(context_block("No alerts are listed for this source."))
    return fit_message(blocks, f"{part.day} · {escape(one_line(part.source))}{of}")
