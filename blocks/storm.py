"""The storm summary: one message that gathers a channel's alert storm.

    header    :rotating_light: Alert storm: 40 alerts, 2,413 events
    status    since when, or over after a quiet minute; counts by state; acknowledged by
    fields    by source, by account
    top       the worst alerts first, with their counts and states
    actions   Acknowledge all (of its alerts), or Unacknowledge

Every string from an alert (titles, sources, account names) is escaped; the message goes
through `fit_message`, like every other.
"""

from __future__ import annotations

from typing import Any

from blocks.alert import ACK, UNACK, alert_ref
from blocks.look import SEVERITY_COLOR, SEVERITY_EMOJI, STATE_COLOR
from blocks.slack_text import (
    BUTTON_TEXT,
    FIELD_TEXT,
    HEADER_TEXT,
    SECTION_TEXT,
    context_block,
    escape,
    fit_message,
    mention,
    mrkdwn,
    one_line,
    plain,
    truncate,
)
from bot.models import Alert, AlertStatus, CountItem, SignalState, StormDigest
from bot.storm import QUIET_S
from bot.timeutil import clock_text, duration_text

_STATE = {AlertStatus.OPEN: "open", AlertStatus.ACKED: "acked", AlertStatus.RESOLVED: "resolved"}


def storm_blocks(
    storm: Alert, digest: StormDigest, *, now: int | None = None
) -> tuple[list[dict[str, Any]], str]:
    """(blocks, fallback text) of a storm summary."""
    title = f"Alert storm: {digest.alerts:,} alerts, {digest.events:,} events"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(f":rotating_light: {title}", HEADER_TEXT)},
        context_block(*_status(storm, digest, now)),
    ]
    fields = [f for f in (_field("By source", digest.by_source),
                          _field("By account", digest.by_account)) if f]  # fmt: skip
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if digest.top:
        lines = [
            f"{SEVERITY_EMOJI[a.severity]} *{escape(one_line(a.title))}* "
            f"×{a.count:,} ({_STATE[a.status]})"
            for a in digest.top
        ]
        shown = truncate("*Top alerts*\n" + "\n".join(lines), SECTION_TEXT)
        blocks.append({"type": "section", "text": mrkdwn(shown, SECTION_TEXT)})
    blocks.append(_actions(storm))
    return fit_message(blocks, title)


def storm_color(digest: StormDigest) -> str:
    """Green once every alert of it resolved; else its worst severity's colour."""
    if digest.alerts and digest.resolved == digest.alerts:
        return STATE_COLOR[SignalState.RESOLVED]
    return SEVERITY_COLOR[digest.severity]


def _status(storm: Alert, digest: StormDigest, now: int | None) -> list[str]:
    counts = f"{digest.open:,} open · {digest.acked:,} acknowledged · {digest.resolved:,} resolved"
    if storm.resolved_at is not None:
        span = duration_text(storm.resolved_at - storm.first_seen)
        state = f"Storm over at {clock_text(storm.resolved_at, now)}, after a quiet minute ({span})"
    else:
        state = (
            f"Storm since {clock_text(storm.first_seen, now)}: this channel's new alerts are "
            f"gathered here until {QUIET_S // 60} quiet minute passes; news goes to the thread"
        )
    lines = [state, counts]
    if storm.status is AlertStatus.ACKED:
        lines.append(f"Acknowledged by {mention(storm.acked_by or '')}")
    return lines


def _field(label: str, items: list[CountItem]) -> dict[str, Any] | None:
    if not items:
        return None
    text = "\n".join(f"{escape(one_line(i.label))}: {i.count:,}" for i in items)
    return mrkdwn(truncate(f"*{label}*\n{text}", FIELD_TEXT), FIELD_TEXT)


def _actions(storm: Alert) -> dict[str, Any]:
    ref = alert_ref(storm)
    if storm.status is AlertStatus.ACKED:
        button = {"type": "button", "text": plain("Unacknowledge", BUTTON_TEXT),
                  "action_id": UNACK, "value": ref}  # fmt: skip
    else:
        button = {"type": "button", "text": plain("Acknowledge all", BUTTON_TEXT),
                  "action_id": ACK, "value": ref, "style": "primary"}  # fmt: skip
    return {"type": "actions", "block_id": f"alert:{ref}", "elements": [button]}
