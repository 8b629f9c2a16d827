"""In-memory stores: the fakes of the unit tests, held to the same contract as the real ones.

Every model goes in and out as a deep copy, so that a caller mutating what it got back
cannot change the store behind its back (as it could not with a database). One lock per
store makes each method atomic, which is what the conditional writes need.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext

from adapters import (
    already_applied,
    already_exists,
    apply_agent_update,
    is_live,
    next_version,
    not_found,
    stale,
)
from bot.changes import change_scope, scope
from bot.cursors import CursorCodec
from bot.event_tally import EventGrouper, EventTally, event_key, stored_summary, tally_of
from bot.models import (
    Agent,
    AgentQueryResult,
    Alert,
    AlertStatus,
    Direction,
    Event,
    EventQueryResult,
    ListEventsDTO,
    PaginatedInputDTO,
    Silence,
    State,
    UpdateAgentDTO,
)
from bot.paging import AGENT_KEYS, EVENT_KEYS, Fetch, Key, paginate, select, walk

_FAKE_SECRET = "memory-store-fake"  # fakes need no real secret; callers may pass their codec


def _matches(event: Event, dto: ListEventsDTO, now: int) -> bool:
    return (
        is_live(event.expired_at, now)
        and (dto.start_date is None or event.published_at >= dto.start_date)
        and (dto.end_date is None or event.published_at <= dto.end_date)
        and (dto.source is None or event.source == dto.source)
        and (dto.account is None or event.account == dto.account)
    )


class MemoryEventStore:
    """EventStore over a dict keyed on the event id."""

    def __init__(self, cursors: CursorCodec | None = None) -> None:
        self._cursors = cursors or CursorCodec(_FAKE_SECRET)
        self._lock = threading.Lock()
        self._events: dict[str, Event] = {}
        self._changes: dict[str, set[str]] = {}  # change scope → its events' ids

    def _insert(self, event: Event) -> bool:
        if event.id in self._events:
            return False
        self._events[event.id] = event.model_copy(deep=True)
        changed = change_scope(event)
        if changed is not None:
            self._changes.setdefault(changed, set()).add(event.id)
        return True

    def create(self, event: Event) -> bool:
        with self._lock:
            return self._insert(event)

    def create_many(self, events: Sequence[Event]) -> list[bool]:
        """Each event's `create` answer, in order; the batch is applied atomically."""
        with self._lock:
            return [self._insert(event) for event in events]

    def together(self) -> AbstractContextManager[None]:
        """Each write applies on its own: nothing here to commit."""
        return nullcontext()

    def get(self, event_id: str, now: int) -> Event:
        with self._lock:
            event = self._events.get(event_id)
        if event is None or not is_live(event.expired_at, now):
            raise not_found("event", event_id)
        return event.model_copy(deep=True)

    def list(self, dto: ListEventsDTO, now: int) -> EventQueryResult:
        return paginate(dto, self._cursors, EVENT_KEYS, self._fetcher(dto, now))

    def scan(self, start: int, end: int, now: int) -> Iterator[Event]:
        dto = ListEventsDTO(start_date=start, end_date=end)
        return walk(self._fetcher(dto, now), EVENT_KEYS.key_of)

    def tally(self, start: int, end: int, now: int) -> EventTally:
        """Grouped in Python; events without fingerprints come whole, as a database's
        rows stored without them do."""
        dto = ListEventsDTO(start_date=start, end_date=end)
        with self._lock:
            found = sorted(
                (e for e in self._events.values() if _matches(e, dto, now)), key=event_key
            )
        grouper, whole = EventGrouper(), []
        for event in found:
            summary = stored_summary(event)
            if summary is None:
                whole.append(event.model_copy(deep=True))
            else:
                grouper.add(event_key(event), summary)
        return tally_of(grouper.hours, grouper.groups(), whole)

    def _fetcher(self, dto: ListEventsDTO, now: int) -> Fetch[Event]:
        with self._lock:
            candidates = [e for e in self._events.values() if _matches(e, dto, now)]

        def fetch(after: Key | None, order: Direction, limit: int) -> list[Event]:
            page = select(candidates, EVENT_KEYS.key_of, after, order, limit)
            return [event.model_copy(deep=True) for event in page]

        return fetch

    def list_changes(
        self, account: str, region: str | None, start: int, end: int, limit: int
    ) -> list[Event]:
        """The scope's ids (an index, as the databases keep one), newest first."""
        with self._lock:
            ids = self._changes.get(scope(account, region), set())
            found = [
                e for e in map(self._events.__getitem__, ids) if start <= e.published_at <= end
            ]
        found.sort(key=event_key, reverse=True)
        return [event.model_copy(deep=True) for event in found[: max(limit, 0)]]

    def delete(self, event_id: str) -> None:
        with self._lock:
            event = self._events.pop(event_id, None)
            if event is None:
                raise not_found("event", event_id)
            self._changes.get(change_scope(event) or "", set()).discard(event_id)


class MemoryAgentStore:
    """AgentStore over a dict keyed on the account id."""

    def __init__(self, cursors: CursorCodec | None = None) -> None:
        self._cursors = cursors or CursorCodec(_FAKE_SECRET)
        self._lock = threading.Lock()
        self._agents: dict[str, Agent] = {}

    def get(self, agent_id: str) -> Agent:
        with self._lock:
            agent = self._agents.get(agent_id)
        if agent is None:
            raise not_found("agent", agent_id)
        return agent.model_copy(deep=True)

    def list(self, dto: PaginatedInputDTO) -> AgentQueryResult:
        with self._lock:
            agents = list(self._agents.values())

        def fetch(after: Key | None, order: Direction, limit: int) -> list[Agent]:
            page = select(agents, AGENT_KEYS.key_of, after, order, limit)
            return [agent.model_copy(deep=True) for agent in page]

        return paginate(dto, self._cursors, AGENT_KEYS, fetch)

    def create(self, agent: Agent) -> None:
        with self._lock:
            if agent.id in self._agents:
                raise already_exists("agent", agent.id)
            self._agents[agent.id] = agent.model_copy(deep=True)

    def update(self, agent_id: str, dto: UpdateAgentDTO) -> Agent:
        with self._lock:
            agent = self._agents.get(agent_id)
            if agent is None:
                raise not_found("agent", agent_id)
            updated = apply_agent_update(agent, dto)
            self._agents[agent_id] = updated
            return updated.model_copy(deep=True)

    def delete(self, agent_id: str) -> None:
        with self._lock:
            if self._agents.pop(agent_id, None) is None:
                raise not_found("agent", agent_id)

    def exists(self, agent_id: str) -> bool:
        with self._lock:
            return agent_id in self._agents


class MemoryAlertStore:
    """AlertStore over dicts: alerts and silences keyed on their ids, states on their keys,
    and the set of (alert id, occurrence) applications."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._alerts: dict[str, Alert] = {}
        self._applied: set[tuple[str, str]] = set()
        self._silences: dict[str, Silence] = {}
        self._states: dict[str, State] = {}
        self.probed_at: float | None = None  # the last write probe's time

    @staticmethod
    def _read(alert: Alert) -> Alert:
        """A copy, read as a database reads its rows: through the model's validation, so
        that a record held in an older form comes out in the new one."""
        return Alert.model_validate(alert.model_dump())

    def _mark(self, alert_id: str, applied: str | None) -> None:
        """AlreadyAppliedError before anything is written, if `applied` was recorded."""
        if applied is not None and (alert_id, applied) in self._applied:
            raise already_applied(alert_id, applied)

    def create_alert(self, alert: Alert, applied: str | None = None) -> None:
        with self._lock:
            if alert.id in self._alerts:
                raise already_exists("alert", alert.id)
            self._mark(alert.id, applied)
            self._alerts[alert.id] = alert.model_copy(deep=True)
            if applied is not None:
                self._applied.add((alert.id, applied))

    def get_alert(self, alert_id: str) -> Alert:
        with self._lock:
            alert = self._alerts.get(alert_id)
        if alert is None:
            raise not_found("alert", alert_id)
        return self._read(alert)

    def find_alert(self, fingerprint: str, channel: str) -> Alert | None:
        """A record held in the older form is matched on its composite fingerprint too."""
        keys = (fingerprint, f"{fingerprint}@{channel}")
        with self._lock:
            matching = [
                a
                for a in self._alerts.values()
                if a.kind == "alert" and a.channel == channel and a.fingerprint in keys
            ]
        latest = max(matching, key=lambda a: (a.first_seen, a.id), default=None)
        return None if latest is None else self._read(latest)

    def update_alert(self, alert: Alert, applied: str | None = None) -> Alert:
        with self._lock:
            stored = self._alerts.get(alert.id)
            if stored is None:
                raise not_found("alert", alert.id)
            self._mark(alert.id, applied)
            if stored.version != alert.version:
                raise stale(alert)
            written = next_version(alert, deep=True)
            self._alerts[alert.id] = written
            if applied is not None:
                self._applied.add((alert.id, applied))
            return written.model_copy(deep=True)

    def was_applied(self, alert_id: str, key: str) -> bool:
        with self._lock:
            return (alert_id, key) in self._applied

    def list_alerts(self, status: AlertStatus | None = None, limit: int = 100) -> list[Alert]:
        with self._lock:
            alerts = [a for a in self._alerts.values() if status is None or a.status == status]
        alerts.sort(key=lambda a: (a.last_seen, a.id), reverse=True)
        return [self._read(alert) for alert in alerts[:limit]]

    def alerts_seen_since(self, since: int, status: AlertStatus | None = None) -> Iterator[Alert]:
        with self._lock:
            alerts = [
                self._read(a)
                for a in self._alerts.values()
                if a.last_seen >= since and (status is None or a.status == status)
            ]
        return iter(alerts)

    def list_pending(self, now: int, limit: int = 100) -> list[Alert]:
        with self._lock:
            due = [
                a
                for a in self._alerts.values()
                if a.outbox.pending and a.outbox.next_attempt_at <= now
            ]
        due.sort(key=lambda a: (a.outbox.next_attempt_at, a.id))
        return [self._read(alert) for alert in due[:limit]]

    def list_members(self, storm_id: str, limit: int) -> list[Alert]:
        with self._lock:
            members = sorted(
                (a for a in self._alerts.values() if a.parent_id == storm_id), key=lambda a: a.id
            )
        return [self._read(alert) for alert in members[:limit]]

    def create_silence(self, silence: Silence) -> None:
        with self._lock:
            if silence.id in self._silences:
                raise already_exists("silence", silence.id)
            self._silences[silence.id] = silence.model_copy(deep=True)

    def get_silence(self, silence_id: str) -> Silence:
        with self._lock:
            silence = self._silences.get(silence_id)
        if silence is None:
            raise not_found("silence", silence_id)
        return silence.model_copy(deep=True)

    def list_silences(self, now: int) -> list[Silence]:
        with self._lock:
            active = [s for s in self._silences.values() if s.active(now)]
        active.sort(key=lambda s: (s.expires_at, s.id))
        return [silence.model_copy(deep=True) for silence in active]

    def delete_silence(self, silence_id: str) -> None:
        with self._lock:
            if self._silences.pop(silence_id, None) is None:
                raise not_found("silence", silence_id)

    def get_state(self, key: str) -> State | None:
        with self._lock:
            state = self._states.get(key)
        return None if state is None else state.model_copy(deep=True)

    def put_state(self, state: State) -> State:
        """Compare and write under the lock; an absent key counts as version 0."""
        with self._lock:
            stored = self._states.get(state.key)
            if (0 if stored is None else stored.version) != state.version:
                raise stale(state)
            written = next_version(state, deep=True)
            self._states[state.key] = written
            return written.model_copy(deep=True)

    def probe_write(self, now: float) -> None:
        """Memory always takes a write: record when it was asked, under the lock."""
        with self._lock:
            self.probed_at = now
