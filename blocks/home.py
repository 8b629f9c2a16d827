"""The Home tab: one person's view of what needs them, published with views.publish.

    header      the app's name, and when the home was drawn
    open        the unacknowledged alerts, worst first, each with Acknowledge, Resolve
                and Silence (the alert root's own controls)
    yours       the alerts this person acknowledged that are still open
    silences    the silences in force, each with Remove
    agents      the agents not heard from for AGENT_STALE_AFTER
    on call     who is on call, by rotation or route
    report      a link to the last daily report

A Home tab holds at most 100 blocks, so each list shows its first few and a note of how
many more there are and which command lists them all. Times are Slack date tokens, not
"5 min ago", so that the same content draws the same blocks and a home is published
again only when what it shows changed. Every string from an alert, a silence or an agent
is escaped, and the blocks go through `fit_view`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from blocks.alert import controls_block
from blocks.lists import silence_row
from blocks.look import SEVERITY_EMOJI
from blocks.slack_text import (
    HEADER_TEXT,
    SECTION_TEXT,
    context_block,
    date_token,
    escape,
    fit_view,
    link,
    mention,
    mrkdwn,
    one_line,
    plain,
    truncate,
)
from bot.models import Alert, Severity
from bot.models.home import Home

TITLE = "AWS Monitoring"
OPEN_SHOWN = 20  # two blocks each: the alert, and its controls
MINE_SHOWN = 10
SILENCES_SHOWN = 10
AGENTS_SHOWN = 20  # lines of one section
ROTATIONS_SHOWN = 15  # lines of one section
NO_ON_CALL = "No on-call rotations configured — see docs/routing.md"
_TITLE = 150
_NAME = 100
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]+")


def home_ref(alert: Alert) -> str:
    """ "<id>:<state_version>": a click from the home stays current while the alert's
    status and silence are as shown, however often it repeats in between."""
    return f"{alert.id}:{alert.state_version}"


def home_view(home: Home, report_url: str | None = None) -> dict[str, Any]:
    """The views.publish `view` of `home`; `report_url` is the last daily report's
    permalink (without one, the report is named with its channel)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(TITLE, HEADER_TEXT)},
        context_block(f"Drawn {date_token(home.now)}; kept up to date while you look."),
        *_open_alerts(home),
        {"type": "divider"},
        *_mine(home),
        {"type": "divider"},
        *_silences(home),
        {"type": "divider"},
        *_agents(home),
        {"type": "divider"},
        *_on_call(home),
        {"type": "divider"},
        _report(home, report_url),
    ]
    return {"type": "home", "blocks": fit_view(blocks)}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text, SECTION_TEXT)}


def _more(shown: int, total: int, where: str, *, at_least: bool = False) -> list[dict[str, Any]]:
    """The note under a cut list: how many are not shown, and what lists them all."""
    if total <= shown:
        return []
    more = f"{total - shown}{'+' if at_least else ''}"
    return [context_block(f"{more} more not shown here: {where} lists them all.")]


def _by_severity(alerts: Sequence[Alert]) -> str:
    """ "🚨 2 critical · 🔴 5 high"."""
    counts = Counter(a.severity for a in alerts)
    return " · ".join(
        f"{SEVERITY_EMOJI[s]} {counts[s]} {s.value.lower()}" for s in Severity if counts[s]
    )


def _in_channel(channel: str | None) -> str:
    """ "in #alerts" (Slack's channel token) for a channel id; "" for anything else."""
    return f"in <#{channel}>" if channel and _CHANNEL_ID.fullmatch(channel) else ""


def _alert_text(alert: Alert, now: int) -> str:
    """ "🔴 *CpuHigh* · prod (1234…) · since <date> · in #alerts · silenced until <date>"."""
    title = escape(truncate(one_line(alert.title) or alert.fingerprint, _TITLE))
    account = alert.signal.account_name if alert.signal and alert.signal.account_name else ""
    where = f"{account} ({alert.account})" if account and alert.account else alert.account
    parts = [f"{SEVERITY_EMOJI[alert.severity]} *{title}*"]
    if where:
        parts.append(escape(one_line(where)))
    parts.append(f"since {date_token(alert.opened_at or alert.first_seen)}")
    parts.append(_in_channel(alert.channel))
    if alert.silenced_until is not None and alert.silenced_until > now:
        parts.append(f"silenced until {date_token(alert.silenced_until)}")
    return " · ".join(p for p in parts if p)


def _alert_rows(alerts: Sequence[Alert], now: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for alert in alerts:
        rows.append(_section(_alert_text(alert, now)))
        rows.append(controls_block(alert, now, home_ref(alert)))
    return rows


def _open_alerts(home: Home) -> list[dict[str, Any]]:
    alerts = home.open_alerts
    if not alerts:
        note = f" ({home.acked_by_others} acknowledged by others)" if home.acked_by_others else ""
        return [_section(f"*Open alerts*\nNothing needs acknowledging.{note}")]
    total = f"{len(alerts)}{'+' if home.capped else ''}"
    others = f" · {home.acked_by_others} acknowledged by others" if home.acked_by_others else ""
    head = _section(f"*Open alerts* ({total}): {_by_severity(alerts)}{others}")
    shown = alerts[:OPEN_SHOWN]
    where = "`/events state:open`"
    return [
        head,
        *_alert_rows(shown, home.now),
        *_more(len(shown), len(alerts), where, at_least=home.capped),
    ]


def _mine(home: Home) -> list[dict[str, Any]]:
    if not home.mine:
        return [_section("*Acknowledged by you*\nNone of the open alerts.")]
    shown = home.mine[:MINE_SHOWN]
    return [
        _section(f"*Acknowledged by you* ({len(home.mine)})"),
        *_alert_rows(shown, home.now),
        *_more(len(shown), len(home.mine), "`/events state:acked`"),
    ]


def _silences(home: Home) -> list[dict[str, Any]]:
    if not home.silences:
        return [_section("*Silences*\nNo active silences.")]
    shown = home.silences[:SILENCES_SHOWN]
    return [
        _section(f"*Silences* ({len(home.silences)})"),
        *[silence_row(s, home.now) for s in shown],
        *_more(len(shown), len(home.silences), "`/silences`"),
    ]


def _agents(home: Home) -> list[dict[str, Any]]:
    if not home.stale_agents:
        return [_section("*Agents*\nEvery agent was heard from recently.")]
    shown = home.stale_agents[:AGENTS_SHOWN]
    lines = [
        f":warning: *{escape(agent.id)}* · {escape(agent.region)} · last seen "
        + (date_token(agent.last_seen) if agent.last_seen else "never")
        for agent in shown
    ]
    head = f"*Stale agents* ({len(home.stale_agents)})"
    return [
        _section("\n".join([head, *lines])),
        *_more(len(shown), len(home.stale_agents), "`/agents`"),
    ]


def _on_call(home: Home) -> list[dict[str, Any]]:
    if not home.on_call:
        return [_section(f"*On call*\n{NO_ON_CALL}")]
    shown = home.on_call[:ROTATIONS_SHOWN]
    lines = [
        f"*{escape(truncate(one_line(name), _NAME))}*: "
        + (", ".join(mention(u) for u in users) if users else "nobody")
        for name, users in shown
    ]
    cut = len(home.on_call) - len(shown)
    if cut:
        lines.append(f"and {cut} more rotations")
    return [_section("\n".join(["*On call*", *lines]))]


def _report(home: Home, url: str | None) -> dict[str, Any]:
    report = home.last_report
    if report is None:
        return _section("*Daily report*\nNo daily report in the last days.")
    label = f"The daily report of {report.day}"
    shown = link(url, label) if url else " ".join([escape(label), _in_channel(report.channel)])
    return _section(f"*Daily report*\n{shown}")
