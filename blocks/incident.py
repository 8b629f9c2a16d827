"""What `/incident` shows in an incident channel: the timeline (a message, or a text file
when long) and the summary that asks to confirm closing it (bot/incidents.py builds both)."""

from __future__ import annotations

from typing import Any

from blocks.alert import STATUS_WORDS
from blocks.slack_text import SECTION_TEXT, escape, mention, mrkdwn, one_line, plain
from bot.incidents import Moment, Summary
from bot.timeutil import clock_text, duration_text, to_iso

# Action id: an outside contract (the Slack app and its tests name it); never rename.
CLOSE_INCIDENT = "incident_close"
TIMELINE_LINES = 30  # more than this, or more than a section holds, goes as a file
USAGE = (
    "Usage, in an incident channel: `/incident timeline` (what happened, who did what) · "
    "`/incident close` (a summary, then a button to archive the channel)"
)


def _line(moment: Moment, now: int, *, markup: bool, titled: bool) -> str:
    """ "14:05 UTC · acknowledged by @alice (note) · CpuHigh"; `markup` for mrkdwn (times
    on the clock, mentions, escaped), else plain text (ISO times, user ids)."""
    shown = escape if markup else str
    who = (mention(moment.by) if markup else moment.by) if moment.by else ""
    what = shown(moment.what) + (f" by {who}" if who else "")
    if moment.note:
        what += f" ({shown(one_line(moment.note))})"
    when = clock_text(moment.at, now) if markup else to_iso(moment.at)
    title = shown(one_line(moment.alert)) if titled and moment.alert else ""
    return " · ".join(p for p in (when, what, title) if p)


def timeline_text(name: str, moments: list[Moment], now: int) -> str | None:
    """The timeline as one mrkdwn message; None when it is too long for one (a file then)."""
    titled = len({m.alert for m in moments if m.alert}) > 1
    lines = [f"*Timeline of #{escape(name)}*"]
    lines += [_line(m, now, markup=True, titled=titled) for m in moments] or ["Nothing yet."]
    text = "\n".join(lines)
    if len(moments) > TIMELINE_LINES or len(text) > SECTION_TEXT:
        return None
    return text


def timeline_file(name: str, moments: list[Moment]) -> bytes:
    """The whole timeline as plain text, one moment a line, times in ISO 8601 UTC."""
    lines = [f"Timeline of #{name}", ""]
    lines += [_line(m, 0, markup=False, titled=True) for m in moments]
    return ("\n".join(lines) + "\n").encode("utf-8")


def summary_text(summary: Summary, now: int) -> str:
    """Duration, who did what, and the alerts involved, as mrkdwn."""
    since = clock_text(summary.started_at, now)
    lines = [
        f"*Incident #{escape(summary.name)}* · {duration_text(summary.duration)} (since {since})",
        "*Who did what:*",
        *(f"• {mention(user)}: {escape(', '.join(did))}" for user, did in summary.actors),
    ]
    if not summary.actors:
        lines.append("• nobody acted yet")
    lines.append("*Alerts:*")
    for alert in summary.alerts:
        state = STATUS_WORDS[alert.status]
        seen = f", seen {alert.count} times" if alert.count > 1 else ""
        title = escape(one_line(alert.title))
        lines.append(f"• {alert.severity.value} {title} ({state}{seen})")
    return "\n".join(lines)


def close_request(summary: Summary, channel: str, now: int) -> dict[str, Any]:
    """The summary, with the button that confirms closing (and archiving) the channel."""
    text = summary_text(summary, now)
    button = {
        "type": "button",
        "text": plain("Close and archive", 75),
        "action_id": CLOSE_INCIDENT,
        "value": channel,
        "style": "danger",
        "confirm": {
            "title": plain("Close the incident?", 100),
            "text": plain("The channel is archived; its messages stay readable.", 300),
            "confirm": plain("Close", 30),
            "deny": plain("Cancel", 30),
        },
    }
    return {
        "response_type": "in_channel",
        "text": f"Incident #{summary.name}: close it?",
        "blocks": [
            {"type": "section", "text": mrkdwn(text, SECTION_TEXT)},
            {"type": "actions", "elements": [button]},
        ],
    }


def closed_summary(summary: Summary, user: str, now: int) -> dict[str, Any]:
    """The close request once done: the summary, and who closed it."""
    text = f"{summary_text(summary, now)}\n:white_check_mark: Closed by {mention(user)}"
    return {
        "replace_original": True,
        "text": f"Incident #{summary.name} closed",
        "blocks": [{"type": "section", "text": mrkdwn(text, SECTION_TEXT)}],
    }
