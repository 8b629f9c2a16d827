"""Storm mode: when a channel opens more than STORM_THRESHOLD new alerts within a minute,
further new alerts are gathered into one summary message instead of a root each.

The channel's state (the times of its recent new alerts, and its storm, if any) lives in
the store as a `State`, changed through conditional writes, so that every instance
agrees on when a storm starts and which summary gathers what. A storm ends after a quiet
minute: no new alert in the channel for QUIET_S. While it lasts, the edits and replies of
roots posted before it are held back, and made once each after it.

The summary is an alert-like record (kind "storm") whose `members` are the alerts folded
into it. Its view is drawn from a digest of the members, computed when it is drawn.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass

from bot.errors import StaleVersionError
from bot.lifecycle import Work
from bot.models import (
    Alert,
    AlertStatus,
    CountItem,
    HistoryEntry,
    Outbox,
    Severity,
    State,
    StormAlert,
    StormDigest,
    Told,
)
from bot.optimistic import update_state
from bot.ports import StateStore

WINDOW_S = 60  # new alerts counted over this
QUIET_S = 60  # a storm ends after this long without a new alert
SUMMARY_EVERY_S = 15  # the summary is edited, and its thread told, at most this often
TOP = 10
MAX_MEMBERS = 2000  # a summary's members and what each was told: within a DynamoDB item
BREAKDOWN = 6
ATTEMPTS = 50  # the channel's state is hot during a storm: every new alert writes it


def state_key(channel: str) -> str:
    return f"storm:{channel}"


@dataclass(frozen=True)
class Admission:
    """Where a new alert goes: its own root (`storm` None), or into a storm's summary."""

    storm: str | None = None


def storm_id(channel: str, started: int) -> str:
    digest = hashlib.sha256(f"storm\0{channel}\0{started}".encode()).hexdigest()
    return f"s{digest[:23]}"


def active(state: State | None, now: int) -> str | None:
    """The channel's storm at `now`, if one is on (its last new alert under QUIET_S ago)."""
    if state is None or not state.data.get("storm"):
        return None
    if now - int(state.data.get("last_new", 0)) >= QUIET_S:
        return None
    return str(state.data["storm"])


def held_until(state: State | None, now: int) -> int:
    """Until when a storm holds back the channel's root edits and replies (0: it does not)."""
    if active(state, now) is None:
        return 0
    assert state is not None
    return int(state.data.get("last_new", now)) + QUIET_S


def channel_held_until(states: StateStore, channel: str, now: int) -> int:
    """`held_until` for the channel's stored state."""
    return held_until(states.get_state(state_key(channel)), now)


def admit(states: StateStore, channel: str, now: int, threshold: int) -> Admission:
    """Count a new alert in `channel`, and say whether it opens a root or joins a storm."""

    def count(state: State) -> tuple[State, Admission]:
        storm = active(state, now)
        if storm is not None:
            data = {**state.data, "last_new": now}
        else:
            opens = [t for t in state.data.get("opens", []) if t > now - WINDOW_S] + [now]
            if len(opens) > threshold:
                storm = storm_id(channel, now)
                data = {"opens": [], "storm": storm, "last_new": now, "started": now}
            else:
                data = {"opens": opens, "storm": None}
        return state.model_copy(update={"data": data}), Admission(storm=storm)

    try:
        return update_state(states, state_key(channel), count, attempts=ATTEMPTS)[1]
    except StaleVersionError:  # the channel is too contended to count: a root of its own
        return Admission()


def end(states: StateStore, channel: str, storm: str) -> None:
    """The storm is over: the channel's next new alert is counted afresh."""

    def reset(state: State) -> tuple[State, None]:
        if state.data.get("storm") != storm:
            return state, None
        return state.model_copy(update={"data": {"opens": [], "storm": None}}), None

    with suppress(StaleVersionError):  # contended: the next new alert finds it over
        update_state(states, state_key(channel), reset, attempts=ATTEMPTS)


def summary(storm: str, channel: str, now: int, claim_s: int) -> Alert:
    """A new storm's summary record: pending, owned by its creator for `claim_s`."""
    return Alert(
        id=storm,
        fingerprint=f"storm:{channel}",
        kind="storm",
        status=AlertStatus.OPEN,
        title="Alert storm",
        severity=Severity.INFO,
        first_seen=now,
        last_seen=now,
        opened_at=now,
        outbox=Outbox(pending=True, next_attempt_at=now + claim_s, in_flight=True),
        channel=channel,
        history=[HistoryEntry(at=now, action="storm started")],
    )


def join(storm: Alert, member: Alert, now: int) -> Alert:
    """A new alert folded into the storm. One record holds them all, so a full summary
    takes no more: the caller gives such an alert a root of its own."""
    listed = member.id in storm.members or len(storm.members) >= MAX_MEMBERS
    members = storm.members if listed else [*storm.members, member.id]
    severity = max(storm.severity, member.severity, key=lambda s: s.rank)
    return storm.model_copy(
        update={
            "members": members,
            "count": len(members),
            "severity": severity,
            "last_seen": now,
        }
    ).with_outbox(dirty=True)


def over(storm: Alert, now: int) -> bool:
    """Past a quiet minute since its last new alert, and not yet marked ended."""
    return storm.resolved_at is None and now - storm.last_seen >= QUIET_S


def finish(storm: Alert, now: int) -> Alert:
    return storm.model_copy(
        update={
            "resolved_at": now,
            "history": [*storm.history, HistoryEntry(at=now, action="storm ended")],
        }
    ).with_outbox(dirty=True)


def digest(storm: Alert, members: Iterable[Alert]) -> StormDigest:
    """The summary's numbers: alerts and events by state, source and account; the top."""
    listed = list(members)
    sources: Counter[str] = Counter()
    accounts: Counter[str] = Counter()
    for m in listed:
        sources[m.source or "unknown"] += 1
        name = (m.signal.account_name if m.signal else None) or m.account or "unknown"
        accounts[name] += 1
    ranked = sorted(listed, key=lambda m: (-m.severity.rank, -m.count, m.first_seen, m.id))
    return StormDigest(
        alerts=len(listed),
        events=sum(m.count for m in listed),
        open=sum(m.status is AlertStatus.OPEN for m in listed),
        acked=sum(m.status is AlertStatus.ACKED for m in listed),
        resolved=sum(m.status is AlertStatus.RESOLVED for m in listed),
        severity=max((m.severity for m in listed), key=lambda s: s.rank, default=Severity.INFO),
        by_source=[CountItem(label=k, count=v) for k, v in sources.most_common(BREAKDOWN)],
        by_account=[CountItem(label=k, count=v) for k, v in accounts.most_common(BREAKDOWN)],
        top=[
            StormAlert(title=m.title, severity=m.severity, count=m.count, status=m.status)
            for m in ranked[:TOP]
        ],
        started_at=storm.first_seen,
        last_new_at=storm.last_seen,
        ended_at=storm.resolved_at,
    )


def told(members: Iterable[Alert]) -> dict[str, Told]:
    return {
        m.id: Told(count=m.count, flaps=m.flaps, resolved=m.status is AlertStatus.RESOLVED)
        for m in members
    }


def news(before: dict[str, Told], members: Iterable[Alert]) -> str | None:
    """What the storm's thread has not been told: repeats, resolutions and reopenings of
    its members, counted (titles are in the summary itself)."""
    events = alerts = resolved = reopened = 0
    for m in members:
        was = before.get(m.id, Told(count=1))
        more = m.count - was.count
        if more > 0:
            events += more
            alerts += 1
        now_resolved = m.status is AlertStatus.RESOLVED
        resolved += now_resolved and not was.resolved
        reopened += m.flaps > was.flaps
    parts = []
    if events:
        parts.append(f"{events} more events on {alerts} alerts")
    if resolved:
        parts.append(f"{resolved} resolved")
    if reopened:
        parts.append(f"{reopened} reopened")
    return f":repeat: {', '.join(parts)}." if parts else None


def plan(storm: Alert, now: int, claim_s: int) -> tuple[Alert, Work]:
    """The summary's due Slack work: its post; an edit (with a thread reply of its
    members' news) at most every SUMMARY_EVERY_S; its end after a quiet minute."""
    if storm.message is None:
        if not storm.outbox.pending or storm.outbox.next_attempt_at > now:
            return storm, Work()
        claimed = storm.with_outbox(next_attempt_at=now + claim_s, in_flight=True)
        return claimed, Work(post=True, before=storm)
    if over(storm, now):
        storm = finish(storm, now)
    out = storm.outbox
    ready = out.attempts == 0 or out.next_attempt_at <= now
    edit = ready and out.dirty and now >= out.edited_at + SUMMARY_EVERY_S
    planned = storm
    if edit:
        planned = planned.with_outbox(dirty=False, edited_at=now, attempts=0)
    return schedule(planned, now), Work(edit=edit, before=storm)


def schedule(storm: Alert, now: int, not_before: int = 0) -> Alert:
    """Due again for a held-back edit, or to end the storm after a quiet minute."""
    out = storm.outbox
    due = []
    if out.dirty:
        due.append(out.edited_at + SUMMARY_EVERY_S)
    if storm.resolved_at is None:
        due.append(storm.last_seen + QUIET_S)
    if not due:
        return storm.with_outbox(pending=False, next_attempt_at=0)
    at = max(min(due), not_before, out.next_attempt_at if out.attempts else 0)
    return storm.with_outbox(pending=True, next_attempt_at=at)
