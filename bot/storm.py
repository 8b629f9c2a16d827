"""Storm mode: when a channel opens more than STORM_THRESHOLD new alerts within a minute,
further new alerts are gathered into one summary message instead of a root each.

The channel's state (the times of its recent new alerts, and its storm, if any) lives in
the store as a `State`, changed through conditional writes, so that every instance
agrees on when a storm starts and which summary gathers what. A storm ends after a quiet
minute: no new alert in the channel for QUIET_S. While it lasts, the edits and replies of
roots posted before it are held back, and made once each after it; an alert still
waiting for its post when the storm begins is told in the summary instead.

The summary is an alert-like record (kind "storm"); its members are the alerts whose
`parent_id` names it, read by an index, so that a new member costs its own write, never a
rewrite of the summary. The channel's state counts the places taken in the current
summary: past MAX_MEMBERS the storm goes on in a new summary, so that drawing one reads a
bounded number of records. An instance takes places a block at a time (`Places`), with
one write of the count for its new alerts of the same second: at hundreds of new alerts a
second, the count is written a few dozen times, not once each. Its view is drawn from a
digest of the members, computed when it is drawn, at most every SUMMARY_EVERY_S.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

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
MAX_MEMBERS = 2000  # a summary's members: what one draw reads, and what each was told
BREAKDOWN = 6
ATTEMPTS = 50  # the channel's state is hot during a storm: every instance writes it
MAX_BLOCK = 16  # places one write of the count reserves, at most
RESERVED_CHANNELS = 1000  # channels whose places a process keeps
_TAKING = threading.Lock()


def state_key(channel: str) -> str:
    return f"storm:{channel}"


@dataclass(frozen=True)
class Admission:
    """Where a new alert goes: its own root (`storm` None), or into a storm's summary,
    of the storm that began at `started`."""

    storm: str | None = None
    started: int = 0


def storm_id(channel: str, started: int, part: int = 0) -> str:
    """The summary of a storm's `part`-th MAX_MEMBERS members: the same on every instance."""
    suffix = f"\0{part}" if part else ""
    digest = hashlib.sha256(f"storm\0{channel}\0{started}{suffix}".encode()).hexdigest()
    return f"s{digest[:23]}"


def active(state: State | None, now: int) -> str | None:
    """The channel's storm at `now`, if one is on (its last new alert under QUIET_S ago)."""
    if state is None or not state.data.get("storm"):
        return None
    if now - int(state.data.get("last_new", 0)) >= QUIET_S:
        return None
    return str(state.data["storm"])


def _last_started(state: State) -> int | None:
    started = state.data.get("started") or state.data.get("last_started")
    return int(started) if started else None


def started_within(state: State | None, start: int, end: int) -> bool:
    """Whether the channel went into storm mode (the storm on now, or the last one)
    between `start` and `end`: a root of the burst's first minute stays unenriched."""
    started = _last_started(state) if state is not None else None
    return started is not None and start <= started <= end


def forming(state: State | None, now: int) -> bool:
    """Whether other new alerts came within WINDOW_S: the channel may be gathering into
    a storm, so a root of now waits out the minute before it is enriched."""
    if state is None:
        return False
    opens = state.data.get("opens", [])
    return isinstance(opens, list) and sum(1 for t in opens if t > now - WINDOW_S) > 1


def held_until(state: State | None, now: int) -> int:
    """Until when a storm holds back the channel's root edits and replies (0: it does not)."""
    if active(state, now) is None:
        return 0
    assert state is not None
    return int(state.data.get("last_new", now)) + QUIET_S


def channel_held_until(states: StateStore, channel: str, now: int) -> int:
    """`held_until` for the channel's stored state."""
    return held_until(states.get_state(state_key(channel)), now)


@dataclass
class Places:
    """Places in a storm's summary that this process reserved with one write of the
    channel's count, for its new alerts of the second it was written in (so that the
    count's `last_new` stays exact). `block` is how many that write asked for: doubled
    when they were all taken, halved when some were left."""

    admission: Admission
    at: int
    left: int
    block: int


def _member(
    state: State, channel: str, data: dict[str, Any], wanted: int = 1
) -> tuple[State, Admission, int]:
    """Places for the storm in `data`, `wanted` at most: in its current summary, or in the
    next one when that is full. Also says how many were taken."""
    started, part = int(data["started"]), int(data.get("part", 0))
    members = int(data.get("members", 0))
    if members >= MAX_MEMBERS:
        part, members = part + 1, 0
    taken = min(wanted, MAX_MEMBERS - members)
    storm = storm_id(channel, started, part)
    data = {**data, "storm": storm, "part": part, "members": members + taken}
    admission = Admission(storm=storm, started=started)
    return state.model_copy(update={"data": data}), admission, taken


def admit(
    states: StateStore,
    channel: str,
    now: int,
    threshold: int,
    reserved: dict[str, Places] | None = None,
) -> Admission:
    """Count a new alert in `channel`, and say whether it opens a root or joins a storm.

    With `reserved` (this process's places, by channel), a member of a storm under way
    takes a place reserved in the same second, with no read or write of the state; when
    none is left, it reserves a block, and gives back what its last block left unused."""
    held = reserved.get(channel) if reserved is not None else None
    given_back, block = 0, 1
    if held is not None:
        with _TAKING:  # threads serving requests share a process's places
            if held.at == now and held.left > 0:
                held.left -= 1
                return held.admission
            given_back, held.left = held.left, 0  # one thread alone gives them back
        block = min(held.block * 2, MAX_BLOCK) if not given_back else max(held.block // 2, 1)

    def count(state: State) -> tuple[State, tuple[Admission, int]]:
        if active(state, now) is not None:
            data = {**state.data, "last_new": now}
            if held is not None and given_back and held.admission.storm == data["storm"]:
                data["members"] = max(int(data.get("members", 0)) - given_back, 0)
            changed, admission, taken = _member(state, channel, data, block)
            return changed, (admission, taken)
        opens = [t for t in state.data.get("opens", []) if t > now - WINDOW_S] + [now]
        if len(opens) > threshold:
            changed, admission, taken = _member(
                state, channel, {"opens": [], "last_new": now, "started": now}, block
            )
            return changed, (admission, taken)
        data = {"opens": opens, "storm": None, "last_started": _last_started(state)}
        return state.model_copy(update={"data": data}), (Admission(), 0)

    try:
        admission, taken = update_state(states, state_key(channel), count, attempts=ATTEMPTS)[1]
    except StaleVersionError:  # the channel is too contended to count: a root of its own
        admission, taken = Admission(), 0
    if reserved is not None:
        if admission.storm is None:
            reserved.pop(channel, None)
        else:
            if len(reserved) >= RESERVED_CHANNELS:
                reserved.clear()  # forgetting leaves a block's places untaken
            reserved[channel] = Places(admission, at=now, left=taken - 1, block=block)
    return admission


def enlist(states: StateStore, channel: str, now: int) -> Admission:
    """An alert of `channel` not yet posted when its storm began: a member of the storm,
    counted in its summary (it is no new alert: the storm's quiet minute is not moved)."""

    def count(state: State) -> tuple[State, Admission]:
        if active(state, now) is None:
            return state, Admission()
        changed, admission, _ = _member(state, channel, dict(state.data))
        return changed, admission

    try:
        return update_state(states, state_key(channel), count, attempts=ATTEMPTS)[1]
    except StaleVersionError:  # contended: it keeps its own root
        return Admission()


def last_new(state: State | None, summary: Alert) -> int:
    """When the summary's storm last took a new alert: the channel's count while that
    storm goes on (in this summary or a later one), else what the summary last saw."""
    if state is None or not state.data.get("storm"):
        return summary.last_seen
    if int(state.data.get("started", -1)) != summary.first_seen:
        return summary.last_seen
    return max(summary.last_seen, int(state.data.get("last_new", 0)))


def gathering(state: State | None, summary: Alert) -> bool:
    """Whether new alerts still join this summary (it is its storm's current one)."""
    return state is not None and state.data.get("storm") == summary.id


def end(states: StateStore, channel: str, storm: str) -> None:
    """The storm is over: the channel's next new alert is counted afresh."""

    def reset(state: State) -> tuple[State, None]:
        if state.data.get("storm") != storm:
            return state, None
        data: dict[str, Any] = {"opens": [], "storm": None, "last_started": _last_started(state)}
        return state.model_copy(update={"data": data}), None

    with suppress(StaleVersionError):  # contended: the next new alert finds it over
        update_state(states, state_key(channel), reset, attempts=ATTEMPTS)


def summary(admission: Admission, channel: str, now: int, claim_s: int) -> Alert:
    """A storm's new summary record: pending, owned by its creator for `claim_s`. Its
    `first_seen` is when the storm began, whichever part of it the summary gathers."""
    assert admission.storm is not None
    return Alert(
        id=admission.storm,
        fingerprint=f"storm:{channel}",
        kind="storm",
        status=AlertStatus.OPEN,
        title="Alert storm",
        severity=Severity.INFO,
        first_seen=admission.started or now,
        last_seen=now,
        opened_at=now,
        outbox=Outbox(pending=True, next_attempt_at=now + claim_s, in_flight=True),
        channel=channel,
        history=[HistoryEntry(at=now, action="storm started")],
    )


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


def plan(storm: Alert, now: int, claim_s: int, state: State | None = None) -> tuple[Alert, Work]:
    """The summary's due Slack work: its post; an edit (with a thread reply of its
    members' news) at most every SUMMARY_EVERY_S; its end after a quiet minute. `state`
    is the channel's: new members since the last edit make the summary due for one."""
    storm = _caught_up(storm, state)
    if storm.message is None:
        if not storm.outbox.pending or storm.outbox.next_attempt_at > now:
            return storm, Work()
        claimed = storm.with_outbox(next_attempt_at=now + claim_s, in_flight=True)
        return claimed, Work(post=True, before=storm)
    if over(storm, now):
        storm = finish(storm, now)
    out = storm.outbox
    ready = out.attempts == 0 or out.next_attempt_at <= now
    joined = gathering(state, storm) and storm.last_seen > out.edited_at
    edit = ready and (out.dirty or joined) and now >= out.edited_at + SUMMARY_EVERY_S
    planned = storm
    if edit:
        planned = planned.with_outbox(dirty=False, edited_at=now, attempts=0)
    return schedule(planned, now), Work(edit=edit, before=storm)


def _caught_up(storm: Alert, state: State | None) -> Alert:
    """The summary with its storm's latest new alert and, while it gathers, its count."""
    seen = last_new(state, storm)
    count = int(state.data.get("members", 0)) if state and gathering(state, storm) else 0
    if seen == storm.last_seen and count <= storm.count:
        return storm
    return storm.model_copy(update={"last_seen": seen, "count": max(count, storm.count)})


def schedule(storm: Alert, now: int, not_before: int = 0) -> Alert:
    """Due again for a held-back edit, or to end the storm after a quiet minute."""
    out = storm.outbox
    due = []
    if out.dirty:
        due.append(out.edited_at + SUMMARY_EVERY_S)
    if storm.resolved_at is None:  # look again for new members, and for the quiet minute
        due.append(min(storm.last_seen + QUIET_S, max(now, out.edited_at) + SUMMARY_EVERY_S))
    if not due:
        return storm.with_outbox(pending=False, next_attempt_at=0)
    at = max(min(due), not_before, out.next_attempt_at if out.attempts else 0)
    return storm.with_outbox(pending=True, next_attempt_at=at)
