"""The answers of /events and /silences: compact lists, one event's detail, the usage.

Each is a full message for a response_url (`{"response_type": "ephemeral", "blocks": …}`).
Every string from an event, an alert or a person is escaped, and every message goes
through `fit_message`.
"""

from __future__ import annotations

from typing import Any

from blocks.look import SEVERITY_EMOJI
from blocks.silences import silence_text, window_text
from blocks.slack_text import (
    BUTTON_VALUE,
    SECTION_TEXT,
    context_block,
    date_token,
    escape,
    fit_message,
    link,
    mrkdwn,
    one_line,
    plain,
    truncate,
)
from bot.event_search import USAGE, Found, SearchPage
from bot.models import Agent, Event, Silence
from bot.silences import InForce
from bot.sources import Context
from bot.timeutil import clock_text, duration_text

EVENTS_PAGE = "events_page"
SILENCE_REMOVE = "silence_remove"
_TITLE = 120


def _message(blocks: list[dict[str, Any]], text: str, **extra: Any) -> dict[str, Any]:
    fitted, fallback = fit_message(blocks, text)
    return {"response_type": "ephemeral", "text": fallback, "blocks": fitted, **extra}


def usage(problem: str | None = None) -> dict[str, Any]:
    """The usage, after what was wrong with the command, if anything."""
    blocks = []
    if problem:
        blocks.append({"type": "section", "text": mrkdwn(f":warning: {escape(problem)}")})
    blocks.append({"type": "section", "text": mrkdwn(USAGE)})
    return _message(blocks, escape(problem) if problem else "How to use /events")


def _account(account: str, names: dict[str, str]) -> str:
    return Context(account_names=names).account_label(account)


def event_line(found: Found, names: dict[str, str], now: int) -> str:
    """ "🔴 *CpuHigh* · prod (1234…) · 5 min ago · open"."""
    event = found.event
    title = escape(truncate(one_line(event.title) or event.id, _TITLE))
    age = f"{duration_text(now - event.published_at)} ago"
    parts = [
        f"{SEVERITY_EMOJI[event.severity]} *{title}*",
        escape(_account(event.account, names)),
        age,
    ]
    if found.state:
        parts.append(found.state)
    return " · ".join(parts)


def _page_button(label: str, cursor: str | None) -> dict[str, Any] | None:
    if not cursor or len(cursor) > BUTTON_VALUE:
        return None
    return {"type": "button", "text": plain(label, 75), "action_id": EVENTS_PAGE, "value": cursor}


def events_list(
    page: SearchPage, asked: str | None, names: dict[str, str], now: int, *, replace: bool = False
) -> dict[str, Any]:
    """A page of events: a line each, and Previous / Next. `asked` is the command's text
    (None on a later page, whose cursor carries the query)."""
    what = f" for `/events {escape(one_line(asked))}`" if asked and asked.strip() else ""
    head = f"*Events*{what}, newest first" if page.items else f"No events match{what}."
    blocks: list[dict[str, Any]] = [{"type": "section", "text": mrkdwn(head)}]
    for found in page.items:
        line = event_line(found, names, now)
        blocks.append(
            {"type": "section", "text": mrkdwn(f"{line}\n`{escape(found.event.id)}`", SECTION_TEXT)}
        )
    buttons = [b for b in (_page_button("Previous", page.previous),
                           _page_button("Next", page.next)) if b]  # fmt: skip
    if buttons:
        blocks.append({"type": "actions", "block_id": "events_paging", "elements": buttons})
    if page.scanned and not page.items and page.next:
        blocks.append(context_block("Nothing in the events scanned so far; Next looks further."))
    return _message(blocks, head, **({"replace_original": True} if replace else {}))


def event_detail(
    found: Found, names: dict[str, str], now: int, permalink: str | None
) -> dict[str, Any]:
    """One event: what, where, when, its alert's state and a link to the alert's thread."""
    event = found.event
    title = escape(truncate(one_line(event.title) or event.id, _TITLE))
    fields = [
        ("Account", _account(event.account, names)),
        ("Region", event.region or "—"),
        ("Source", event.source),
        ("Type", event.detail_type or "—"),
        ("Severity", event.severity.value),
        ("State", event.state.value),
        ("Alert", found.state or "none"),
        ("Received", clock_text(event.received_at, now)),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": mrkdwn(f"{SEVERITY_EMOJI[event.severity]} *{title}*")},
        {
            "type": "section",
            "fields": [mrkdwn(f"*{label}*\n{escape(value)}") for label, value in fields],
        },
        context_block(f"{date_token(event.published_at)} · `{escape(event.id)}`"),
    ]
    if permalink:
        blocks.append(
            {"type": "section", "text": mrkdwn(link(permalink, "Open the alert's thread"))}
        )
    return _message(blocks, f"Event {escape(event.id)}")


def silences_list(quiet: InForce, now: int) -> dict[str, Any]:
    """The active silences (scope, who, why, until when; each with Remove), then the
    maintenance windows (on until when, or off; the next start)."""
    silences = quiet.silences
    head = f"*Active silences* ({len(silences)})" if silences else "No active silences."
    blocks: list[dict[str, Any]] = [{"type": "section", "text": mrkdwn(head)}]
    blocks.extend(silence_row(s, now) for s in silences)
    if quiet.windows:
        on = sum(1 for w in quiet.windows if w.until is not None)
        blocks.append({"type": "section", "text": mrkdwn(f"*Maintenance windows* ({on} on now)")})
        blocks += [
            {"type": "section", "text": mrkdwn(window_text(w, now), SECTION_TEXT)}
            for w in quiet.windows
        ]
    text = f"{len(silences)} active silences" if silences else "No silences"
    return _message(blocks, text)


def silence_row(s: Silence, now: int) -> dict[str, Any]:
    """One silence with its Remove button: in /silences' answer and on the Home tab."""
    return {
        "type": "section",
        "text": mrkdwn(silence_text(s, now), SECTION_TEXT),
        "accessory": {
            "type": "button",
            "text": plain("Remove", 75),
            "action_id": SILENCE_REMOVE,
            "value": s.id,
            "style": "danger",
        },
    }


def agents_list(agents: list[tuple[Agent, str]], names: dict[str, str], now: int) -> dict[str, Any]:
    """Every agent: health mark, account, region, status, deployed, last seen."""
    if not agents:
        return _message([{"type": "section", "text": mrkdwn("No agents are registered.")}],
                        "No agents")  # fmt: skip
    lines = [_agent_line(agent, problem, names, now) for agent, problem in agents]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": mrkdwn(f"*Agents* ({len(agents)})")},
        *[{"type": "section", "text": mrkdwn(line, SECTION_TEXT)} for line in lines],
    ]
    return _message(blocks, f"{len(agents)} agents")


def _agent_line(agent: Agent, problem: str, names: dict[str, str], now: int) -> str:
    mark = f":warning: {escape(problem)}" if problem else ":white_check_mark: healthy"
    seen = f"{duration_text(now - agent.last_seen)} ago" if agent.last_seen else "never"
    deployed = clock_text(agent.deployed_at, now) if agent.deployed_at else "never"
    status = escape(one_line(agent.status or "unknown"))
    return (
        f"*{escape(_account(agent.id, names))}* · {escape(agent.region)} · {status}\n"
        f"{mark} · deployed {deployed} · last seen {seen}"
    )


def agent_detail(
    agent: Agent, problem: str, recent: list[Event], names: dict[str, str], now: int
) -> dict[str, Any]:
    """One agent, and its latest agent events."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": mrkdwn(_agent_line(agent, problem, names, now), SECTION_TEXT)}
    ]
    if recent:
        lines = [
            f"{SEVERITY_EMOJI[e.severity]} {escape(truncate(one_line(e.title) or e.id, _TITLE))} · "
            f"{duration_text(now - e.published_at)} ago"
            for e in recent
        ]
        text = "*Recent agent events*\n" + "\n".join(lines)
        blocks.append({"type": "section", "text": mrkdwn(truncate(text, SECTION_TEXT))})
    else:
        blocks.append(context_block("No agent events in the last 7 days."))
    return _message(blocks, f"Agent {agent.id}")
