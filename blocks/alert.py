"""The alert message: one Block Kit view of a Signal, and of its Alert when there is one.

    header    severity emoji + title ("Resolved: …" once resolved)
    fields    Account (with its owner and team tags), Region, State, Severity, Resource,
              then the signal's own fields
    summary   the family template's `summary` part (description, reason, key details)
    status    acknowledged / silenced / resolved lines, from the Alert
    changes   what changed in its account and region before it (its enrichment)
    context   source · time · event id
    actions   console and runbook links; Acknowledge (or undo), Resolve, Silence select
              (or Unsilence), Declare incident (until one is declared)

Severity is shown one way everywhere: its emoji in the header and its word in the
Severity field. Block Kit has no colour, so the view is colour-neutral. Every string from
the signal or the alert is escaped here or by the template, and the whole message goes
through `fit_message`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from blocks.look import SEVERITY_COLOR, SEVERITY_EMOJI, STATE_COLOR, STATE_EMOJI
from blocks.silences import hold_line
from blocks.slack_text import (
    BUTTON_TEXT,
    FIELD_TEXT,
    HEADER_TEXT,
    MAX_FIELDS,
    OPTION_TEXT,
    PLACEHOLDER_TEXT,
    SECTION_TEXT,
    URL,
    context_block,
    date_token,
    escape,
    fit_message,
    link,
    mention,
    mrkdwn,
    one_line,
    plain,
    safe_url,
    truncate,
)
from blocks.templates import render
from bot.lifecycle import resolved_text
from bot.models import Alert, AlertStatus, Change, Signal, SignalState
from bot.models.accounts import SHOWN_TAGS
from bot.runbook import runbook_url
from bot.timeutil import clock_text, duration_text

# Action ids: an outside contract (the Slack app and its tests name them); never rename.
ACK = "alert_ack"
UNACK = "alert_unack"
SILENCE = "alert_silence"
UNSILENCE = "alert_unsilence"
RESOLVE = "alert_resolve"
# A link button still sends an action to the app, which only has to ack it.
OPEN_CONSOLE = "alert_open_console"
OPEN_RUNBOOK = "alert_runbook"
DECLARE_INCIDENT = "alert_incident"

SILENCE_OPTIONS: tuple[tuple[str, str], ...] = (
    ("30m", "30 minutes"),
    ("1h", "1 hour"),
    ("4h", "4 hours"),
    ("24h", "24 hours"),
    ("7d", "7 days"),
    ("custom", "Custom…"),
)
STATUS_WORDS = {
    AlertStatus.OPEN: "open",
    AlertStatus.ACKED: "acknowledged",
    AlertStatus.RESOLVED: "resolved",
}
# Our values for these labels lead; a family's value for the same label only adds to them.
_PINNED = frozenset({"state", "severity"})
_LABEL_LIMIT = 100
# A field value at least this long that the summary already shows is not repeated.
_REPEAT_MIN = 20
_OWN_FIELDS = frozenset({"account", "region", "state", "severity", "resource"})
FIELD_SECTIONS = 2  # up to 20 fields: every family's key details, still one glance
CHANGES_SHOWN = 5  # the changes before an alert that its root lists, newest first
_CHANGE_TITLE = 150
_TAG_VALUE = 60  # an owner or a team as the Account field shows it


def alert_blocks(
    signal: Signal,
    alert: Alert | None,
    *,
    controls: bool,
    templates_dir: str | Path | None = None,
    now: int | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """(blocks, fallback text) for chat.postMessage / chat.update.

    `controls` adds Acknowledge and Silence while the alert is open; without it (info
    notifications) only the console link is offered. `now` (epoch seconds) decides whether
    a silence still holds; without it, a recorded `silenced_until` is taken as holding.
    """
    resolved = is_resolved(signal, alert)
    summary = _summary(signal, alert, resolved, templates_dir)
    blocks = [
        _header(signal, resolved),
        *_fields_sections(signal, alert, resolved, now, summary),
        *_optional({"type": "section", "text": mrkdwn(summary, SECTION_TEXT)} if summary else None),
        *_optional(_status(signal, alert, resolved, now)),
        *_optional(_changes(alert)),
        _context(signal),
        *_optional(_actions(signal, alert, controls=controls and not resolved, now=now)),
    ]
    return fit_message(blocks, fallback_text(signal, alert))


def _optional(block: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [block] if block else []


# ---------------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------------


def is_resolved(signal: Signal, alert: Alert | None) -> bool:
    return signal.state is SignalState.RESOLVED or (
        alert is not None and alert.status is AlertStatus.RESOLVED
    )


def is_silenced(alert: Alert | None, now: int | None) -> bool:
    if alert is None or alert.silenced_until is None:
        return False
    return now is None or alert.silenced_until > now


def _phase(signal: Signal, alert: Alert | None) -> SignalState:
    return SignalState.RESOLVED if is_resolved(signal, alert) else signal.state


def _state_text(signal: Signal, alert: Alert | None, resolved: bool, now: int | None) -> str:
    """ "firing, acknowledged, silenced"; "resolved"; "info"."""
    if resolved:
        return SignalState.RESOLVED.value
    words = [signal.state.value]
    if alert is not None:
        words.append(STATUS_WORDS[alert.status])
    if is_silenced(alert, now):
        words.append("silenced")
    return ", ".join(words)


def _account(signal: Signal) -> str:
    """ "prod (123456789012)", or whichever of the two is known."""
    name, ident = signal.account_name or "", signal.account
    if name and ident and name != ident:
        return f"{name} ({ident})"
    return name or ident


def _account_field(signal: Signal) -> str:
    """The account, then its owner and team tags on a line of their own:
    "prod (123456789012)\nowner: alice · team: payments"."""
    tags = {k.casefold(): v for k, v in signal.account_tags.items()}
    shown = [
        f"{key}: {truncate(one_line(tags[key]), _TAG_VALUE)}"
        for key in SHOWN_TAGS
        if one_line(tags.get(key, ""))
    ]
    account = _account(signal)
    return "\n".join([account, " · ".join(shown)]) if account and shown else account


# ---------------------------------------------------------------------------------------------
# Header, fields, summary
# ---------------------------------------------------------------------------------------------


def _title(signal: Signal) -> str:
    return one_line(signal.title) or one_line(signal.family) or "Alert"


def _header(signal: Signal, resolved: bool) -> dict[str, Any]:
    if resolved:
        text = f"{STATE_EMOJI[SignalState.RESOLVED]} Resolved: {_title(signal)}"
    else:
        text = f"{SEVERITY_EMOJI[signal.severity]} {_title(signal)}"
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def _pairs(
    signal: Signal, alert: Alert | None, resolved: bool, now: int | None
) -> list[tuple[str, str]]:
    """Our fields, then the signal's, merged by label (case-insensitively)."""
    merged: dict[str, tuple[str, str]] = {}
    ours = [
        ("Account", _account_field(signal)),
        ("Region", signal.region or ""),
        ("State", _state_text(signal, alert, resolved, now)),
        ("Severity", signal.severity.value),
        ("Resource", signal.resource),
    ]
    for label, value in [*ours, *((f.label, f.value) for f in signal.fields)]:
        key = one_line(label).casefold()
        if key in merged:
            shown, before = merged[key]
            merged[key] = (shown, _merge(key, before, value))
        else:
            merged[key] = (label, value)
    return [(label, value) for label, value in merged.values() if value.strip()]


def _merge(key: str, ours: str, theirs: str) -> str:
    """Two values for one label: one, when either says all the other does; else both."""
    if not ours.strip():
        return theirs
    if not theirs.strip() or theirs.casefold() in ours.casefold():
        return ours
    if key not in _PINNED and ours.casefold() in theirs.casefold():
        return theirs
    return f"{ours} · {theirs}"


def _field(label: str, value: str) -> dict[str, Any]:
    """ "*Label*\\nvalue", escaped, within the field limit."""
    name = escape(truncate(one_line(label), _LABEL_LIMIT))
    body = escape(truncate(value, FIELD_TEXT))
    return mrkdwn(f"*{name}*\n{body}" if name else body, FIELD_TEXT)


def _fields_sections(
    signal: Signal, alert: Alert | None, resolved: bool, now: int | None, summary: str
) -> list[dict[str, Any]]:
    """The fields, ten to a section (Slack's cap), in at most FIELD_SECTIONS sections.

    A long value the summary already shows is not repeated, except our five own fields,
    which every alert shows in the same place.
    """
    pairs = [
        (label, value)
        for label, value in _pairs(signal, alert, resolved, now)
        if label.casefold() in _OWN_FIELDS
        or not (len(value) >= _REPEAT_MIN and escape(value) in summary)
    ]
    chunks = [pairs[i : i + MAX_FIELDS] for i in range(0, len(pairs), MAX_FIELDS)]
    return [
        {"type": "section", "fields": [_field(*pair) for pair in chunk]}
        for chunk in chunks[:FIELD_SECTIONS]
    ]


def template_context(signal: Signal, alert: Alert | None, resolved: bool) -> dict[str, Any]:
    """What a family template sees. Values are raw: the template escapes on output."""
    return {
        "signal": signal,
        "alert": alert,
        "family": signal.family,
        "fields": {f.label: f.value for f in signal.fields},
        "severity": signal.severity.value,
        "state": _phase(signal, alert).value,
        "resolved": resolved,
        "account": _account(signal),
        "region": signal.region or "",
    }


def _summary(
    signal: Signal, alert: Alert | None, resolved: bool, templates_dir: str | Path | None
) -> str:
    context = template_context(signal, alert, resolved)
    text = render(signal.family, "summary", context, templates_dir=templates_dir)
    return truncate(text, SECTION_TEXT)


# ---------------------------------------------------------------------------------------------
# Status lines and context
# ---------------------------------------------------------------------------------------------


def _by(user: str | None) -> str:
    return f" by {mention(user)}" if user else ""


def _status_lines(
    signal: Signal, alert: Alert | None, resolved: bool, now: int | None
) -> Iterable[str]:
    if resolved:
        yield _resolved_line(signal, alert, now)
    if alert is None:
        return
    if not resolved and alert.status is AlertStatus.ACKED:
        at = f" at {clock_text(alert.acked_at, now)}" if alert.acked_at else ""
        yield f"Acknowledged{_by(alert.acked_by)}{at}"
    if not resolved and is_silenced(alert, now) and alert.silenced_until is not None:
        yield _silenced_line(alert, now)
    if alert.incident is not None and alert.incident.channel:
        closed = " (closed)" if alert.incident.closed_at is not None else ""
        yield f"Incident: <#{alert.incident.channel}>{closed}"
    if alert.flaps > 1:
        since = clock_text(alert.first_seen, now)
        yield f"Flapping: fired {alert.flaps} separate times since {since}"
    if alert.count > 1:
        yield (
            f"Seen {alert.count} times since {clock_text(alert.first_seen, now)}, "
            f"last at {clock_text(alert.last_seen, now)}"
        )
    yield from _inhibition_lines(alert)


def _inhibition_lines(alert: Alert) -> Iterable[str]:
    """What inhibit rules did: the related alerts held in its thread, or its being held."""
    held = alert.inhibition.held
    if held:
        yield f"{held} related alert{'s' if held != 1 else ''} held in its thread"
    if alert.held:
        yield "Held in the thread of a related open alert: posted on its own if that resolves"


def _silenced_line(alert: Alert, now: int | None) -> str:
    """Who silenced it, what and why (its hold), or the maintenance window it is in.
    Records silenced before the hold was kept have history tell who."""
    assert alert.silenced_until is not None
    if alert.hold is not None:
        return hold_line(alert.hold, now)
    entry = next((h for h in reversed(alert.history) if h.action == "silenced"), None)
    until = clock_text(alert.silenced_until, now)
    line = f"Silenced{_by(entry.by if entry else None)} until {until}"
    if entry is not None and entry.note:
        line += f" · {escape(one_line(entry.note))}"
    return line


def _resolved_line(signal: Signal, alert: Alert | None, now: int | None) -> str:
    if alert is not None:
        # Who resolved it by hand: history tells, since its source may have resolved it since.
        entry = next((h for h in reversed(alert.history) if h.action == "resolved"), None)
        return resolved_text(alert, now, by=_by(entry.by if entry else None))
    return f"Resolved at {clock_text(signal.time, now)}" if signal.time > 0 else "Resolved"


def _status(
    signal: Signal, alert: Alert | None, resolved: bool, now: int | None
) -> dict[str, Any] | None:
    lines = list(_status_lines(signal, alert, resolved, now))
    return context_block(*lines) if lines else None


def _changes(alert: Alert | None) -> dict[str, Any] | None:
    """ "4 min after stack api-prod UPDATE_COMPLETE", newest first, each linked to its
    console page: the changes its enrichment found before it fired."""
    if alert is None or not alert.enrichment.changes:
        return None
    fired = alert.opened_at or alert.first_seen
    newest = sorted(alert.enrichment.changes, key=lambda c: c.at, reverse=True)
    lines = [_change_line(change, fired) for change in newest[:CHANGES_SHOWN]]
    return context_block("\n".join(["*Changed before it fired:*", *lines]))


def _change_line(change: Change, fired: int) -> str:
    gap = fired - change.at
    after = "under a minute" if gap < 60 else duration_text(gap)
    title = truncate(one_line(change.title), _CHANGE_TITLE)
    return f"{after} after {link(change.url, title)}"


def _context(signal: Signal) -> dict[str, Any]:
    """source · time · event id."""
    parts = [
        escape(one_line(signal.source)),
        date_token(signal.time) if signal.time > 0 else "",
        escape(one_line(signal.event_id)),
    ]
    return context_block(" · ".join(p for p in parts if p) or escape(signal.family) or "event")


# ---------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------


def _button(text: str, action_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain(text, BUTTON_TEXT), "action_id": action_id, **extra}


def _console_button(signal: Signal) -> dict[str, Any] | None:
    url = safe_url(signal.console_url)
    if url is None or not url.lower().startswith("https://"):
        return None
    return _button("Open in console", OPEN_CONSOLE, url=url)


def _runbook_button(signal: Signal, alert: Alert | None) -> dict[str, Any] | None:
    url = runbook_url(signal, alert, URL)
    return _button("Runbook", OPEN_RUNBOOK, url=url) if url is not None else None


def _silence_select() -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": SILENCE,
        "placeholder": plain("Silence…", PLACEHOLDER_TEXT),
        "options": [
            {"text": plain(label, OPTION_TEXT), "value": value} for value, label in SILENCE_OPTIONS
        ],
    }


def _controls(alert: Alert, now: int | None, ref: str) -> list[dict[str, Any]]:
    """Acknowledge (or undo it), Resolve, Silence (or lift it), and Declare incident until
    one is declared (not on an alert held in a parent's thread); each names `ref`, the
    alert and version they act on. A maintenance window is no silence to lift: its alerts
    keep the select."""
    if alert.status is AlertStatus.ACKED:
        elements = [_button("Unacknowledge", UNACK, value=ref)]
    else:
        elements = [_button("Acknowledge", ACK, value=ref, style="primary")]
    elements.append(_button("Resolve", RESOLVE, value=ref))
    if is_silenced(alert, now) and not (alert.hold and alert.hold.window):
        elements.append(_button("Unsilence", UNSILENCE, value=ref))
    else:
        elements.append(_silence_select())
    declarable = alert.incident is None or alert.incident.closed_at is not None
    # A held alert's news is told only in its parent's thread: the parent is declared.
    if alert.kind == "alert" and not alert.held and declarable:
        elements.append(_button("Declare incident", DECLARE_INCIDENT, value=ref, style="danger"))
    return elements


def _actions(
    signal: Signal, alert: Alert | None, *, controls: bool, now: int | None
) -> dict[str, Any] | None:
    elements = _optional(_console_button(signal)) + _optional(_runbook_button(signal, alert))
    block: dict[str, Any] = {"type": "actions"}
    if controls and alert is not None and alert.status is not AlertStatus.RESOLVED:
        controls_of = controls_block(alert, now, alert_ref(alert))
        block["block_id"] = controls_of["block_id"]
        elements += controls_of["elements"]
    return {**block, "elements": elements} if elements else None


def controls_block(alert: Alert, now: int | None, ref: str) -> dict[str, Any]:
    """The actions block of an open alert's controls, naming `ref` (`<id>:<version>`)
    in each button's value and in its block_id, since the Silence select's values are
    durations: what an alert's root shows, and the Home tab under each alert."""
    return {"type": "actions", "block_id": f"alert:{ref}", "elements": _controls(alert, now, ref)}


def alert_ref(alert: Alert) -> str:
    """ "<id>:<version>": what a button's value (and the actions block_id) names, so that a
    click on a stale message is detected."""
    return f"{alert.id}:{alert.version}"


# ---------------------------------------------------------------------------------------------
# Fallback text
# ---------------------------------------------------------------------------------------------


def fallback_text(signal: Signal, alert: Alert | None) -> str:
    """ "HIGH firing: CpuHigh (prod (123456789012), eu-west-1)": notifications and
    screen readers show it."""
    where = ", ".join(p for p in (_account(signal), signal.region or "") if p)
    text = f"{signal.severity.value} {_phase(signal, alert).value}: {_title(signal)}"
    return escape(f"{text} ({where})" if where else text)


def alert_color(signal: Signal, alert: Alert | None) -> str:
    """The message's colour bar: green once resolved, the severity's colour while firing,
    blue for information."""
    if is_resolved(signal, alert):
        return STATE_COLOR[SignalState.RESOLVED]
    if signal.state is SignalState.FIRING or alert is not None:
        return SEVERITY_COLOR[signal.severity]
    return STATE_COLOR[SignalState.INFO]
