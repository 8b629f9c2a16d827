"""EventStore, AgentStore and AlertStore on the one DynamoDB table, through pynamodb.

Every access is a key lookup or a key-range Query: no Scan, no `contains`. The key
layout is in the package docstring; the reasons are here, next to the code they shape.

Sort keys that order by time are `<seconds as 12 digits>#<id>`: fixed width makes string
order numeric order, and the id after it breaks ties exactly as the ports order them
((time, id)), since DynamoDB compares strings by UTF-8 bytes, which is code point order,
which is Python's.

Errors: a missing item is NotFoundError, a failed condition is a duplicate (False),
ConflictError or StaleVersionError, and any other pynamodb error is UnprocessedError, so
the core never sees a pynamodb exception.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from adapters import (
    already_applied,
    already_exists,
    apply_agent_update,
    is_live,
    next_version,
    not_found,
    stale,
)
from adapters.dynamodb.models import (
    BoundModels,
    EventItem,
    TableConfig,
    TableItem,
    bind,
)
from bot import paging
from bot.changes import change_scope, scope
from bot.cursors import CursorCodec
from bot.errors import (
    ConflictError,
    NotFoundError,
    UnprocessedError,
    ValidationError,
)
from bot.event_tally import EventGrouper, EventTally, parse_key, stored_summary, tally_of
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

if TYPE_CHECKING:
    from bot.config import Settings

_I = TypeVar("_I", bound=TableItem)

MAX_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z: the last second a YYYY-MM-DD day can name
EVENT_DAYS = "EVENT_DAYS"
AGENT_PK = "AGENT"
PROBE_PK = "HEALTH_PROBE"  # never written: the write probe's condition never holds
SILENCES = "SILENCES"
PENDING = "PENDING"
DAY_SECONDS = 86_400
KNOWN_DAYS_CAP = 4096  # buckets this process remembers writing (a replay spans many days)
# A batch's conditional PutItems in flight at once, per event store: within the 10
# connections that pynamodb's client keeps (max_pool_connections), and enough to overlap
# the round trips of an SQS or EventBridge batch (10 events).
PUT_WORKERS = 8
# Fingerprints whose older-form key (FP#<fingerprint>) this process found empty. Only
# records written before alert keys named their channel have that key, and nothing
# writes it now, so an empty one stays empty: a process asks once per fingerprint.
OLDER_FORM_CAP = 10_000
# A table this version created says so in this state: it holds no older-form key, and no
# lookup asks for one.
TABLE_FORM_STATE = "table:alert-keys"
DAYS_PAGE = 32  # day buckets per Query page: a month of days, a few hundred bytes
FILTERED_PAGE = 100  # items evaluated per Query page when source/account filters drop some
AGENT_UPDATE_ATTEMPTS = 10  # each round one concurrent writer wins, so all get through
_MAX_PK_BYTES, _MAX_SK_BYTES = 2048, 1024  # DynamoDB's key size limits


# --- keys ------------------------------------------------------------------------------------


def _sortable(value: int, what: str) -> str:
    """`value` as 12 digits; ValidationError for a time no day bucket or sort key can hold."""
    if not 0 <= value <= MAX_TIME:
        raise ValidationError(f"{what} {value} is outside 1970-01-01 .. 9999-12-31")
    return f"{value:012d}"


def _time_key(seconds: int, item_id: str) -> str:
    return f"{seconds:012d}#{item_id}"


def _day(seconds: int) -> str:
    """The UTC day of `seconds` as YYYY-MM-DD (zero-padded, so days sort as strings)."""
    return datetime.fromtimestamp(seconds, UTC).date().isoformat()


def _later_expiry(a: int, b: int) -> int:
    """The later of two expiries, where 0 (never) is the latest of all."""
    return 0 if 0 in (a, b) else max(a, b)


def _lasts(known: int | None, needed: int) -> bool:
    """Whether a bucket known to expire at `known` already outlives `needed` (0 is never)."""
    return known is not None and (known == 0 or (needed != 0 and known >= needed))


def _bucket_expiry(expiry: int) -> int:
    """An expiry rounded up to a UTC midnight, so a process writes a day's bucket about
    once a day, not once per event: received_at, and so expiry, rises with every event."""
    return 0 if expiry == 0 else -(-expiry // DAY_SECONDS) * DAY_SECONDS


def _addressable(pk: str, sk: str) -> bool:
    """Whether DynamoDB accepts this key; one it refuses cannot name a stored item."""
    return 0 < len(pk.encode()) <= _MAX_PK_BYTES and 0 < len(sk.encode()) <= _MAX_SK_BYTES


def _changes_key(change_scope: str | None) -> str | None:
    """gsi5's partition of an account and region's changes; None for an event that is no
    change, or whose account and region are too long for a key (it is stored unindexed,
    never refused for that)."""
    if change_scope is None:
        return None
    key = f"CHANGES#{change_scope}"
    return key if len(key.encode()) <= _MAX_PK_BYTES else None


def _fingerprint_key(fingerprint: str, channel: str) -> str:
    return f"FP#{fingerprint}@{channel}"


def _applied_key(applied: str) -> str:
    """An application's sort key; a key too long for DynamoDB goes by its digest."""
    key = f"APPLIED#{applied}"
    if len(key.encode()) <= _MAX_SK_BYTES:
        return key
    return f"APPLIED#sha256:{hashlib.sha256(applied.encode()).hexdigest()}"


# --- errors ----------------------------------------------------------------------------------


def _answer(err: PynamoDBException) -> dict[str, str]:
    """DynamoDB's error answer (Code, Message); empty when there was none: a read timeout
    or a dropped connection carries `response = None`, on which pynamodb's own
    `cause_response_code` raises AttributeError."""
    response = getattr(err.cause, "response", None)
    answer = response.get("Error") if isinstance(response, dict) else None
    return answer if isinstance(answer, dict) else {}


def _condition_failed(err: PynamoDBException) -> bool:
    return _answer(err).get("Code") == "ConditionalCheckFailedException"


def _unprocessed(action: str, err: PynamoDBException) -> UnprocessedError:
    reason = _answer(err).get("Message") or f"{err.msg}: {err.cause}"
    return UnprocessedError(f"DynamoDB could not {action}: {reason}")


@contextmanager
def _dynamo(action: str) -> Iterator[None]:
    """Any pynamodb error not handled inside becomes an UnprocessedError naming `action`."""
    try:
        yield
    except PynamoDBException as err:
        raise _unprocessed(action, err) from err


def _get(model: type[_I], pk: str, sk: str, kind: str, key: str) -> _I:
    """One consistent GetItem; NotFoundError if there is no such item."""
    if not _addressable(pk, sk):
        raise not_found(kind, key)
    try:
        return model.get(pk, sk, consistent_read=True)
    except DoesNotExist as err:
        raise not_found(kind, key) from err
    except PynamoDBException as err:
        raise _unprocessed(f"get {kind} {key!r}", err) from err


def _put_if(item: TableItem, condition: Condition, action: str) -> bool:
    """PutItem under `condition`: False if the condition failed."""
    try:
        item.save(condition=condition)
    except PynamoDBException as err:
        if _condition_failed(err):
            return False
        raise _unprocessed(action, err) from err
    return True


def _delete(model: type[_I], pk: str, sk: str, kind: str, key: str) -> None:
    """DeleteItem of an item that must exist; NotFoundError if it does not."""
    if not _addressable(pk, sk):
        raise not_found(kind, key)
    try:
        model(pk, sk).delete(condition=model.pk.exists())
    except PynamoDBException as err:
        if _condition_failed(err):
            raise not_found(kind, key) from err
        raise _unprocessed(f"delete {kind} {key!r}", err) from err


# --- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DynamoTable:
    """One table, opened: its location and the item models bound to it.

    Opening makes no request (pynamodb connects on first use), which keeps it off a
    Lambda's cold start.
    """

    config: TableConfig
    models: BoundModels


def open_table(
    settings: Settings | None = None,
    *,
    table: str | None = None,
    endpoint: str | None = None,
    region: str | None = None,
) -> DynamoTable:
    """The table that the settings (or the explicit arguments, which win) name."""
    config = TableConfig.of(settings, table=table, endpoint=endpoint, region=region)
    return DynamoTable(config, bind(config))


# --- events ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Listing:
    """One event listing's fixed part: its published_at span and its server-side filters."""

    lowest: int
    highest: int
    condition: Condition  # on the events: live, source, account
    live_days: Condition  # on the day buckets: some event of the day is live
    filtered: bool  # whether source/account filters drop items after DynamoDB's Limit


class DynamoEventStore:
    """EventStore: one item per event, found by time through day-bucketed gsi1 partitions.

    Why day buckets: one partition per UTC day spreads writes and reads (a single EVENT
    partition would be hot), and a time range is a few key-range Queries.
    Why the EVENT_DAYS index: an event's day is its published_at, but it lives until
    received_at + TTL, so a replay of a 2019 event received today is alive in a 2019 day.
    Walking the calendar day by day would query thousands of empty partitions for an open
    range; one Query on EVENT_DAYS lists exactly the days that hold events, in order.
    """

    def __init__(self, table: DynamoTable, cursors: CursorCodec) -> None:
        self._events = table.models.event
        self._days = table.models.day
        self._cursors = cursors
        # Day → the bucket expiry this process wrote: a hot item is not rewritten per event.
        self._known_days: dict[str, int] = {}
        self._puts: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def create(self, event: Event) -> bool:
        return self.create_many([event])[0]

    def create_many(self, events: Sequence[Event]) -> list[bool]:
        """One conditional PutItem per event (BatchWriteItem cannot be conditional), up to
        PUT_WORKERS of them in flight at once.

        The day buckets are written first: a listing finds an event only through its
        day's bucket, so a failure in between leaves an empty bucket, never an event that
        no listing shows (and whose redelivery, as a duplicate, would not repair it).
        Each answer is its own put's condition, so answers stay exact however the puts
        interleave, with each other or with another process's.
        """
        expiries: dict[str, int] = {}
        for event in events:  # refuse the whole batch before writing any of it
            _sortable(event.published_at, f"event {event.id!r}: published_at")
            day = _day(event.published_at)
            expiry = _bucket_expiry(event.expired_at)
            expiries[day] = _later_expiry(expiries.get(day, expiry), expiry)
        for day, expiry in expiries.items():
            if not _lasts(self._known_days.get(day), expiry):
                self._touch_day(day, expiry)
                self._remember(day, expiry)
        firsts: dict[str, Event] = {}  # a repeat within the batch is put once
        for event in events:
            firsts.setdefault(event.id, event)
        created = dict(zip(firsts, self._put_all(list(firsts.values())), strict=True))
        # The first of an id takes its put's answer; a repeat is a duplicate.
        return [created.pop(event.id, False) for event in events]

    def together(self) -> AbstractContextManager[None]:
        """No DynamoDB transaction spans calls: each write commits on its own, as outside.
        (An event's alert record has its own, one TransactWriteItems with its marker.)"""
        return nullcontext()

    def _put_all(self, events: list[Event]) -> list[bool]:
        """`_put` of each event, in parallel; once every put has finished, the first
        failure (in input order) is raised, so no write goes on after the answer."""
        if len(events) <= 1:
            return [self._put(event) for event in events]
        pool = self._pool()
        futures = [pool.submit(self._put, event) for event in events]
        wait(futures)
        return [future.result() for future in futures]

    def _pool(self) -> ThreadPoolExecutor:
        """The store's put threads, started on first use: a Lambda that receives one event
        per invocation never starts them. (pynamodb's client, which they share, is made
        before: by the store's first request, its day bucket's.)"""
        with self._pool_lock:
            if self._puts is None:
                self._puts = ThreadPoolExecutor(PUT_WORKERS, thread_name_prefix="event-puts")
            return self._puts

    def _touch_day(self, day: str, expiry: int) -> None:
        """Upsert the day's bucket, raising its expiry to `expiry` if that is later.

        The condition keeps the expiry the latest of the day's events (0, never, is the
        latest), so that TTL and listings drop the bucket only when all of them expired.
        """
        days = self._days
        condition = None
        if expiry != 0:
            condition = days.expired_at.does_not_exist() | (
                (days.expired_at != 0) & (days.expired_at < expiry)
            )
        try:
            days(EVENT_DAYS, day).update(actions=[days.expired_at.set(expiry)], condition=condition)
        except PynamoDBException as err:
            if not _condition_failed(err):  # failed: the bucket already lasts long enough
                raise _unprocessed(f"record the event day {day}", err) from err

    def _remember(self, day: str, expiry: int) -> None:
        if len(self._known_days) >= KNOWN_DAYS_CAP:
            self._known_days.clear()  # forgetting only costs a redundant, harmless write
        self._known_days[day] = expiry

    def _put(self, event: Event) -> bool:
        item = self.item(event)
        return _put_if(item, self._events.pk.does_not_exist(), f"store event {event.id!r}")

    def item(self, event: Event) -> EventItem:
        """The item `create` stores for `event` (its day's bucket aside): public, so that a
        benchmark's bare loop puts the very same items, and a bulk load seeds a table."""
        changes = _changes_key(change_scope(event))
        return self._events(
            f"EVENT#{event.id}",
            "EVENT",
            gsi1pk=f"EVENTS#{_day(event.published_at)}",
            gsi1sk=_time_key(event.published_at, event.id),
            gsi5pk=changes,
            gsi5sk=_time_key(event.published_at, event.id) if changes else None,
            source=event.source,
            account=event.account,
            published_at=event.published_at,
            expired_at=event.expired_at,
            body=event.model_dump_json(),
            summary=stored_summary(event),
        )

    def get(self, event_id: str, now: int) -> Event:
        item = _get(self._events, f"EVENT#{event_id}", "EVENT", "event", event_id)
        if not is_live(int(item.expired_at), now):
            raise not_found("event", event_id)
        return Event.model_validate_json(item.body)

    def list(self, dto: ListEventsDTO, now: int) -> EventQueryResult:
        return paginate(dto, self._cursors, EVENT_KEYS, self._fetcher(dto, now))

    def scan(self, start: int, end: int, now: int) -> Iterator[Event]:
        dto = ListEventsDTO(start_date=start, end_date=end)
        return walk(self._fetcher(dto, now), EVENT_KEYS.key_of)

    def tally(self, start: int, end: int, now: int) -> EventTally:
        """DynamoDB cannot group: the range's items are queried for their key and summary
        alone (a ProjectionExpression, no body) and folded here into groups. Items stored
        without a summary are then read whole, by a second walk, only if there were any."""
        listing = self._listing(ListEventsDTO(start_date=start, end_date=end), now)
        grouper, unsummarised = EventGrouper(), 0
        low_key, high_key = f"{listing.lowest:012d}", f"{listing.highest + 1:012d}"
        with _dynamo("tally events"):
            for day in self._live_days(listing, listing.lowest, listing.highest, True):
                for item in self._events.gsi1.query(
                    f"EVENTS#{day.sk}",
                    self._events.gsi1sk.between(low_key, high_key),
                    filter_condition=listing.condition,
                    attributes_to_get=["gsi1sk", "summary"],
                ):
                    if item.summary is None:
                        unsummarised += 1
                    else:
                        grouper.add(parse_key(item.gsi1sk), item.summary)
        whole: Iterator[Event] = iter(())
        if unsummarised:
            dto = ListEventsDTO(start_date=start, end_date=end)
            whole = walk(self._fetcher(dto, now, unsummarised=True), EVENT_KEYS.key_of)
        return tally_of(grouper.hours, grouper.groups(), whole)

    def _listing(self, dto: ListEventsDTO, now: int, unsummarised: bool = False) -> _Listing:
        events, days = self._events, self._days
        condition = (events.expired_at > now) | (events.expired_at == 0)  # is_live, server-side
        if dto.source is not None:
            condition &= events.source == dto.source
        if dto.account is not None:
            condition &= events.account == dto.account
        if unsummarised:
            condition &= events.summary.does_not_exist()
        return _Listing(
            lowest=dto.start_date or 0,
            highest=MAX_TIME if dto.end_date is None else min(dto.end_date, MAX_TIME),
            condition=condition,
            live_days=(days.expired_at > now) | (days.expired_at == 0),
            filtered=dto.source is not None or dto.account is not None or unsummarised,
        )

    def _live_days(
        self, listing: _Listing, lowest: int, highest: int, forward: bool
    ) -> Iterable[TableItem]:
        """The day buckets from `lowest`'s day to `highest`'s with some event still live."""
        return self._days.query(
            EVENT_DAYS,
            self._days.sk.between(_day(lowest), _day(highest)),
            filter_condition=listing.live_days,
            scan_index_forward=forward,
            consistent_read=True,
            page_size=DAYS_PAGE,
        )

    def _fetcher(self, dto: ListEventsDTO, now: int, unsummarised: bool = False) -> Fetch[Event]:
        listing = self._listing(dto, now, unsummarised)

        def fetch(after: Key | None, order: Direction, limit: int) -> list[Event]:
            with _dynamo("list events"):
                return self._fetch(listing, after, order, limit)

        return fetch

    def _fetch(
        self, listing: _Listing, after: Key | None, order: Direction, limit: int
    ) -> list[Event]:
        """Up to `limit` events of the listing, strictly after `after` in `order`.

        Bounds are inclusive sort keys: `after`'s own key bounds the range (keys are
        unique, so the item at `after` is the one extra item) and is skipped here; the
        upper time bound `<highest + 1>` is no item's key, since every key has `#<id>`.
        """
        lowest, highest = listing.lowest, listing.highest
        low_key, high_key = f"{lowest:012d}", f"{highest + 1:012d}"
        if after is not None:
            seconds, after_key = int(after[0]), _time_key(int(after[0]), str(after[1]))
            if order == "asc":
                lowest, low_key = max(lowest, seconds), max(low_key, after_key)
            else:
                highest, high_key = min(highest, seconds), min(high_key, after_key)
        if lowest > highest:
            return []
        forward = order == "asc"
        days = self._live_days(listing, lowest, highest, forward)
        found: list[Event] = []
        for day in days:
            wanted = limit - len(found) + 1  # +1: the item at `after` may come back too
            # DynamoDB applies Limit before the filter, so a filtered walk reads bigger pages;
            # pynamodb follows LastEvaluatedKey for as long as this loop asks for items.
            items = self._events.gsi1.query(
                f"EVENTS#{day.sk}",
                self._events.gsi1sk.between(low_key, high_key),
                filter_condition=listing.condition,
                scan_index_forward=forward,
                page_size=max(wanted, FILTERED_PAGE) if listing.filtered else wanted,
            )
            for item in items:
                event = Event.model_validate_json(item.body)
                if after is not None and (event.published_at, event.id) == after:
                    continue
                found.append(event)
                if len(found) == limit:
                    return found
        return found

    def list_changes(
        self, account: str, region: str | None, start: int, end: int, limit: int
    ) -> list[Event]:
        """One Query of gsi5 CHANGES#<account>#<region>, newest first, by a key range:
        only change events are in that index, so it reads `limit` items at most."""
        pk = _changes_key(scope(account, region))
        start, end = max(start, 0), min(end, MAX_TIME)
        if pk is None or limit <= 0 or start > end:
            return []
        with _dynamo("list changes"):
            items = self._events.gsi5.query(
                pk,
                self._events.gsi5sk.between(f"{start:012d}", f"{end + 1:012d}"),
                scan_index_forward=False,
                limit=limit,
            )
            return [Event.model_validate_json(item.body) for item in items]

    def delete(self, event_id: str) -> None:
        """The day bucket stays: it may hold other events, and TTL removes it in time."""
        _delete(self._events, f"EVENT#{event_id}", "EVENT", "event", event_id)


# --- agents ----------------------------------------------------------------------------------


class DynamoAgentStore:
    """AgentStore: the agents in one partition, AGENT, sorted by account id."""

    def __init__(self, table: DynamoTable, cursors: CursorCodec) -> None:
        self._agents = table.models.agent
        self._cursors = cursors

    def get(self, agent_id: str) -> Agent:
        return Agent.model_validate_json(
            _get(self._agents, AGENT_PK, agent_id, "agent", agent_id).body
        )

    def list(self, dto: PaginatedInputDTO) -> AgentQueryResult:
        agents = self._agents

        def fetch(after: Key | None, order: Direction, limit: int) -> list[Agent]:
            condition = None
            if after is not None:
                condition = agents.sk > after[0] if order == "asc" else agents.sk < after[0]
            with _dynamo("list agents"):
                items = agents.query(
                    AGENT_PK,
                    condition,
                    scan_index_forward=order == "asc",
                    consistent_read=True,
                    limit=limit,
                )
                return [Agent.model_validate_json(item.body) for item in items]

        return paginate(dto, self._cursors, AGENT_KEYS, fetch)

    def create(self, agent: Agent) -> None:
        item = self._agents(AGENT_PK, agent.id, body=agent.model_dump_json())
        if not _put_if(item, self._agents.pk.does_not_exist(), f"create agent {agent.id!r}"):
            raise already_exists("agent", agent.id)

    def update(self, agent_id: str, dto: UpdateAgentDTO) -> Agent:
        """Read, apply, and write only if the agent is still as read (optimistic, retried):
        a concurrent update is never silently overwritten."""
        for _ in range(AGENT_UPDATE_ATTEMPTS):
            item = _get(self._agents, AGENT_PK, agent_id, "agent", agent_id)
            agent = apply_agent_update(Agent.model_validate_json(item.body), dto)
            written = self._agents(AGENT_PK, agent_id, body=agent.model_dump_json())
            if _put_if(written, self._agents.body == item.body, f"update agent {agent_id!r}"):
                return agent
        raise ConflictError(f"agent {agent_id!r} kept changing during the update; try again")

    def delete(self, agent_id: str) -> None:
        _delete(self._agents, AGENT_PK, agent_id, "agent", agent_id)

    def exists(self, agent_id: str) -> bool:
        try:
            _get(self._agents, AGENT_PK, agent_id, "agent", agent_id)
        except NotFoundError:
            return False
        return True


# --- alerts and silences ---------------------------------------------------------------------


class DynamoAlertStore:
    """AlertStore: alerts and states with a conditional `version`, and silences ordered by
    expiry.

    An alert of kind "alert" is in gsi1 under FP#<fingerprint>@<channel>: the key the
    records routed away from the default channel always had, so they are found with no
    extra read. Records of the default channel had FP#<fingerprint>: `find_alert` reads
    that partition only when the new key finds nothing, and a record found there is
    rewritten under the new key by its next update. Notifications and storms are in no
    gsi1 partition (nothing looks them up by fingerprint).
    """

    def __init__(self, table: DynamoTable) -> None:
        self._alerts = table.models.alert
        self._applied = table.models.applied
        self._silences = table.models.silence
        self._states = table.models.state
        self._connection = table.models.alert._get_connection().connection
        self._no_older_form: set[str] = set()
        self._older_forms: bool | None = None  # read once per process, on first need

    def _alert_item(self, alert: Alert) -> TableItem:
        first = _sortable(alert.first_seen, f"alert {alert.id!r}: first_seen")
        last = _sortable(alert.last_seen, f"alert {alert.id!r}: last_seen")
        found = alert.kind == "alert" and alert.channel is not None
        return self._alerts(
            f"ALERT#{alert.id}",
            "ALERT",
            # None leaves an attribute out of the item, and the item out of that index.
            gsi1pk=_fingerprint_key(alert.fingerprint, alert.channel or "") if found else None,
            gsi1sk=f"{first}#{alert.id}" if found else None,
            gsi2pk=f"ALERTS#{alert.status.value}",
            gsi2sk=f"{last}#{alert.id}",
            gsi3pk=PENDING if alert.outbox.pending else None,
            gsi3sk=self._pending_key(alert) if alert.outbox.pending else None,
            gsi4pk=f"MEMBERS#{alert.parent_id}" if alert.parent_id else None,
            gsi4sk=alert.id if alert.parent_id else None,
            version=alert.version,
            body=alert.model_dump_json(),
        )

    @staticmethod
    def _pending_key(alert: Alert) -> str:
        due = alert.outbox.next_attempt_at
        _sortable(due, f"alert {alert.id!r}: next_attempt_at")
        return _time_key(due, alert.id)

    def _write(
        self, item: TableItem, condition: Condition, alert_id: str, applied: str, *, retry: bool
    ) -> tuple[bool, bool]:
        """The alert's conditional PutItem and its application's, in one TransactWriteItems.

        Returns whether the alert's condition failed, and whether the application exists
        already; neither: both were written. A transaction that met another one on the
        same item counts as a failed alert condition where `retry` (an update re-reads
        and tries again), else as a failure to report.
        """
        marker = self._applied(f"ALERT#{alert_id}", _applied_key(applied))
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(item, condition=condition)
                transaction.save(marker, condition=self._applied.pk.does_not_exist())
        except PynamoDBException as err:
            reasons = getattr(err, "cancellation_reasons", None) or []
            codes = [reason.code if reason else "None" for reason in reasons]
            if len(codes) == 2 and "ConditionalCheckFailed" in codes:
                return codes[0] == "ConditionalCheckFailed", codes[1] == "ConditionalCheckFailed"
            if retry and "TransactionConflict" in codes:
                return True, False
            raise _unprocessed(f"write alert {alert_id!r}", err) from err
        return False, False

    def create_alert(self, alert: Alert, applied: str | None = None) -> None:
        item = self._alert_item(alert)
        absent = self._alerts.pk.does_not_exist()
        if applied is None:
            if not _put_if(item, absent, f"create alert {alert.id!r}"):
                raise already_exists("alert", alert.id)
            return
        exists, done = self._write(item, absent, alert.id, applied, retry=False)
        if exists:
            raise already_exists("alert", alert.id)
        if done:
            raise already_applied(alert.id, applied)

    def get_alert(self, alert_id: str) -> Alert:
        item = _get(self._alerts, f"ALERT#{alert_id}", "ALERT", "alert", alert_id)
        return Alert.model_validate_json(item.body)

    def find_alert(self, fingerprint: str, channel: str) -> Alert | None:
        """The newest item of gsi1 FP#<fingerprint>@<channel> (first_seen, then id); if
        there is none, one more Query, of the older key FP#<fingerprint>."""
        with _dynamo(f"find the alert of fingerprint {fingerprint!r} in {channel!r}"):
            found = self._newest(_fingerprint_key(fingerprint, channel))
            if found is None and fingerprint not in self._no_older_form and self._may_be_older():
                found = self._newest(f"FP#{fingerprint}")
                if found is None:
                    if len(self._no_older_form) >= OLDER_FORM_CAP:
                        self._no_older_form.clear()  # forgetting costs one more Query
                    self._no_older_form.add(fingerprint)
                elif found.kind != "alert" or found.channel != channel:
                    found = None
        return found

    def _may_be_older(self) -> bool:
        """Whether the table may hold older-form keys: one it was created with this
        version's keys says it does not."""
        if self._older_forms is None:
            state = self.get_state(TABLE_FORM_STATE)
            self._older_forms = state is None or state.data.get("older_forms") is not False
        return self._older_forms

    def _newest(self, partition: str) -> Alert | None:
        items = self._alerts.gsi1.query(partition, scan_index_forward=False, limit=1)
        item = next(iter(items), None)
        return None if item is None else Alert.model_validate_json(item.body)

    def update_alert(self, alert: Alert, applied: str | None = None) -> Alert:
        """PutItem if `version` still equals the version read; the condition also fails
        on a missing item, so a failure is told apart by looking the alert up. With
        `applied`, the PutItem and the application's go in one transaction."""
        written = next_version(alert)
        item = self._alert_item(written)
        condition = self._alerts.version == alert.version
        done = False
        if applied is None:
            if _put_if(item, condition, f"update alert {alert.id!r}"):
                return written
        else:
            failed, done = self._write(item, condition, alert.id, applied, retry=True)
            if not (failed or done):
                return written
        self.get_alert(alert.id)  # NotFoundError if it is gone
        if done:
            raise already_applied(alert.id, str(applied))
        raise stale(alert)

    def was_applied(self, alert_id: str, key: str) -> bool:
        try:
            _get(self._applied, f"ALERT#{alert_id}", _applied_key(key), "application", key)
        except NotFoundError:
            return False
        return True

    def list_alerts(self, status: AlertStatus | None = None, limit: int = 100) -> list[Alert]:
        """gsi2 ALERTS#<status>, last_seen descending; all statuses: the three merged."""
        statuses = list(AlertStatus) if status is None else [status]
        limit = max(limit, 0)
        found: list[Alert] = []
        with _dynamo("list alerts"):
            for each in statuses:
                items = self._alerts.gsi2.query(
                    f"ALERTS#{each.value}", scan_index_forward=False, limit=limit
                )
                found.extend(Alert.model_validate_json(item.body) for item in items)
        return select(found, lambda a: (a.last_seen, a.id), None, "desc", limit)

    def alerts_seen_since(self, since: int, status: AlertStatus | None = None) -> Iterator[Alert]:
        """gsi2 ALERTS#<status> from `since` on, a page at a time (pynamodb follows
        LastEvaluatedKey as the caller iterates)."""
        first = f"{max(since, 0):012d}"
        for each in list(AlertStatus) if status is None else [status]:
            with _dynamo("list alerts seen since"):
                items = self._alerts.gsi2.query(
                    f"ALERTS#{each.value}", self._alerts.gsi2sk >= first, page_size=paging.SCAN_PAGE
                )
                for item in items:
                    yield Alert.model_validate_json(item.body)

    def list_pending(self, now: int, limit: int = 100) -> list[Alert]:
        """gsi3 PENDING up to the last key of second `now`, next_attempt_at ascending."""
        if now < 0 or limit <= 0:
            return []
        upto = _time_key(min(now, MAX_TIME), "\uffff")
        with _dynamo("list pending alerts"):
            items = self._alerts.gsi3.query(
                PENDING, self._alerts.gsi3sk <= upto, scan_index_forward=True, limit=limit
            )
            return [Alert.model_validate_json(item.body) for item in items]

    def list_members(self, storm_id: str, limit: int) -> list[Alert]:
        """gsi4 MEMBERS#<storm id>, by id, a page at a time up to `limit`."""
        if limit <= 0:
            return []
        with _dynamo("list storm members"):
            items = self._alerts.gsi4.query(
                f"MEMBERS#{storm_id}", limit=limit, page_size=paging.SCAN_PAGE
            )
            return [Alert.model_validate_json(item.body) for item in items]

    def create_silence(self, silence: Silence) -> None:
        expires = _sortable(silence.expires_at, f"silence {silence.id!r}: expires_at")
        item = self._silences(
            f"SILENCE#{silence.id}",
            "SILENCE",
            gsi2pk=SILENCES,
            gsi2sk=f"{expires}#{silence.id}",
            expired_at=silence.expires_at,  # TTL cleans up later; reads check expiry
            body=silence.model_dump_json(),
        )
        action = f"create silence {silence.id!r}"
        if not _put_if(item, self._silences.pk.does_not_exist(), action):
            raise already_exists("silence", silence.id)

    def get_silence(self, silence_id: str) -> Silence:
        item = _get(self._silences, f"SILENCE#{silence_id}", "SILENCE", "silence", silence_id)
        return Silence.model_validate_json(item.body)

    def list_silences(self, now: int) -> list[Silence]:
        """gsi2 SILENCES from the first key past `now`: expires_at > now, soonest first."""
        first = f"{min(max(now + 1, 0), MAX_TIME + 1):012d}"
        with _dynamo("list silences"):
            items = self._silences.gsi2.query(
                SILENCES, self._silences.gsi2sk >= first, scan_index_forward=True
            )
            silences = [Silence.model_validate_json(item.body) for item in items]
        return [s for s in silences if s.active(now)]

    def delete_silence(self, silence_id: str) -> None:
        _delete(self._silences, f"SILENCE#{silence_id}", "SILENCE", "silence", silence_id)

    def get_state(self, key: str) -> State | None:
        """A consistent read: every instance races on these items, and an eventually
        consistent one would hand it a version that is already stale."""
        try:
            item = _get(self._states, f"STATE#{key}", "STATE", "state", key)
        except NotFoundError:
            return None
        return State.model_validate_json(item.body)

    def put_state(self, state: State) -> State:
        """PutItem on `attribute_not_exists` for a create (version 0), on `version` for an
        update; unlike an alert, a failure is always stale (a state is never deleted)."""
        written = next_version(state)
        states = self._states
        item = states(
            f"STATE#{state.key}", "STATE", version=written.version, body=written.model_dump_json()
        )
        expected = (
            states.pk.does_not_exist() if state.version == 0 else (states.version == state.version)
        )
        if not _put_if(item, expected, f"write state {state.key!r}"):
            raise stale(state)
        return written

    def probe_write(self, now: float) -> None:
        """A PutItem on the probe key under a condition that never holds: DynamoDB takes
        it through the write path (capacity, throttling, the network) and refuses it, so
        the refusal is the success and nothing is written. Throttled or unreachable past
        the store's deadline: UnprocessedError."""
        states = self._states
        item = states(PROBE_PK, "STATE", version=0, body=State(key=PROBE_PK).model_dump_json())
        never = states.pk.does_not_exist() & states.pk.exists()
        _put_if(item, never, "probe a write")  # True cannot happen: the condition never holds


# --- wiring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DynamoStores:
    """The three stores on one table."""

    events: DynamoEventStore
    agents: DynamoAgentStore
    alerts: DynamoAlertStore


def open_stores(
    settings: Settings | None = None,
    *,
    codec: CursorCodec | None = None,
    table: str | None = None,
    endpoint: str | None = None,
    region: str | None = None,
) -> DynamoStores:
    """The stores on the table that the settings (or explicit arguments) name."""
    if codec is None:
        if settings is None:
            raise ValueError("open_stores needs a cursor codec or the settings to make one")
        codec = CursorCodec(settings.cursor_secret)
    opened = open_table(settings, table=table, endpoint=endpoint, region=region)
    return DynamoStores(
        DynamoEventStore(opened, codec), DynamoAgentStore(opened, codec), DynamoAlertStore(opened)
    )
