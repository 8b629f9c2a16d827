"""Keyset paging in both directions, written once for every store.

A listing is a sequence ordered by a unique key ((published_at, id) for events, (id,) for
agents) in the order `asc` or `desc`. A store supplies one primitive, `fetch(after, order,
limit)`: at most `limit` items whose key is strictly after `after` in `order` (all items
when `after` is None), in that order. SQLite does it with a row-value comparison on an
index, DynamoDB with a key-range query, the in-memory fake with `select`. Everything else
(cursors, the limit+1 probe for a next page, walking backwards, the first page on the way
back) lives here, so that every store pages identically.

A cursor records the listing order, the way it points (`n`ext or `p`revious) and the key it
points from. A previous cursor without a key means "the last page", which is what an empty
page (its items deleted or expired since the cursor was issued) offers as its way back.
When a cursor is given, its order wins over `dto.direction`: a cursor is a position in one
listing, and a Slack button carries only the cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from bot.cursors import CursorCodec
from bot.errors import InvalidCursorError
from bot.models import (
    Agent,
    AgentQueryResult,
    Direction,
    Event,
    EventQueryResult,
    PaginatedInputDTO,
    QueryResult,
)

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
Key = tuple[int | str, ...]


class Fetch(Protocol[T_co]):
    """The one query a store implements for paging."""

    def __call__(self, after: Key | None, order: Direction, limit: int) -> Sequence[T_co]:
        """At most `limit` items with key strictly after `after` in `order`, in that order."""
        ...


@dataclass(frozen=True)
class Keyset(Generic[T]):
    """How one listing is keyed: its cursor scope, its key and the key's types."""

    scope: str  # a cursor of one listing is refused by another
    key_of: Callable[[T], Key]
    key_types: tuple[type, ...]
    result_type: type[QueryResult[T]]


def _event_key(event: Event) -> Key:
    return (event.published_at, event.id)


def _agent_key(agent: Agent) -> Key:
    return (agent.id,)


EVENT_KEYS: Keyset[Event] = Keyset("events", _event_key, (int, str), EventQueryResult)
AGENT_KEYS: Keyset[Agent] = Keyset("agents", _agent_key, (str,), AgentQueryResult)


def reverse(order: Direction) -> Direction:
    return "desc" if order == "asc" else "asc"


def is_after(key: Key, bound: Key | None, order: Direction) -> bool:
    """Whether `key` comes strictly after `bound` in `order` (everything is after None)."""
    if bound is None:
        return True
    return key > bound if order == "asc" else key < bound


def select(
    items: Iterable[T], key_of: Callable[[T], Key], after: Key | None, order: Direction, limit: int
) -> list[T]:
    """`fetch` over an in-memory collection (the fakes; merging several partitions)."""
    chosen = [item for item in items if is_after(key_of(item), after, order)]
    chosen.sort(key=key_of, reverse=order == "desc")
    return chosen[:limit]


@dataclass(frozen=True)
class _Position:
    order: Direction
    forward: bool
    key: Key | None


def _encode(codec: CursorCodec, keyset: Keyset[Any], position: _Position) -> str:
    return codec.encode(
        {
            "s": keyset.scope,
            "o": position.order,
            "d": "n" if position.forward else "p",
            "k": None if position.key is None else list(position.key),
        }
    )


def _valid_key(raw: object, types: tuple[type, ...]) -> bool:
    return (
        isinstance(raw, list)
        and len(raw) == len(types)
        and all(type(value) is kind for value, kind in zip(raw, types, strict=True))
    )


def _decode(codec: CursorCodec, keyset: Keyset[Any], token: str) -> _Position:
    data = codec.decode(token)
    order, way, raw = data.get("o"), data.get("d"), data.get("k")
    if data.get("s") != keyset.scope or order not in ("asc", "desc") or way not in ("n", "p"):
        raise InvalidCursorError("invalid cursor: not a cursor of this listing")
    if not (_valid_key(raw, keyset.key_types) or (raw is None and way == "p")):
        raise InvalidCursorError("invalid cursor: not a cursor of this listing")
    return _Position(order, way == "n", None if raw is None else tuple(raw))


def paginate(
    dto: PaginatedInputDTO, codec: CursorCodec, keyset: Keyset[T], fetch: Fetch[T]
) -> QueryResult[T]:
    """One page of the listing that `fetch` queries, with its next and previous cursors.

    Fetches `limit + 1` items to learn whether the listing goes on, never more.
    """
    limit = dto.limit
    if dto.cursor is None:
        return _first_page(dto.direction, limit, codec, keyset, fetch)
    position = _decode(codec, keyset, dto.cursor)
    order = position.order

    def cursor(forward: bool, key: Key | None) -> str:
        return _encode(codec, keyset, _Position(order, forward, key))

    if position.forward:
        rows = list(fetch(position.key, order, limit + 1))
        items = rows[:limit]
        more_after = len(rows) > limit
        return keyset.result_type(
            items=items,
            limit=limit,
            next=cursor(True, keyset.key_of(items[-1])) if more_after else None,
            # Something preceded the key we came from; an empty page offers the last page.
            previous=cursor(False, keyset.key_of(items[0]) if items else None),
        )
    rows = list(fetch(position.key, reverse(order), limit + 1))
    if len(rows) < limit:  # back at the start: show the first page, full and as it is now
        return _first_page(order, limit, codec, keyset, fetch)
    items = rows[:limit][::-1]
    more_before = len(rows) > limit
    return keyset.result_type(
        items=items,
        limit=limit,
        next=cursor(True, keyset.key_of(items[-1])) if position.key is not None else None,
        previous=cursor(False, keyset.key_of(items[0])) if more_before else None,
    )


def _first_page(
    order: Direction, limit: int, codec: CursorCodec, keyset: Keyset[T], fetch: Fetch[T]
) -> QueryResult[T]:
    rows = list(fetch(None, order, limit + 1))
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = _encode(codec, keyset, _Position(order, True, keyset.key_of(items[-1])))
    return keyset.result_type(items=items, limit=limit, next=next_cursor, previous=None)


def cursor_at(
    codec: CursorCodec, keyset: Keyset[Any], order: Direction, key: Key, *, forward: bool
) -> str:
    """A store cursor from `key`: the items after it (`forward`) or before it, in `order`.
    For listings that filter a store's pages further and so stop partway through one."""
    return _encode(codec, keyset, _Position(order, forward, key))


SCAN_PAGE = 1000  # items per query of a scan: few round trips, bounded memory


def walk(fetch: Fetch[T], key_of: Callable[[T], Key], page: int | None = None) -> Iterator[T]:
    """Every item of a listing in ascending key order, read `page` (SCAN_PAGE) at a time,
    for a use case that aggregates a whole range (the daily report) in constant memory."""
    page = page or SCAN_PAGE
    after: Key | None = None
    while True:
        rows = list(fetch(after, "asc", page))
        yield from rows
        if len(rows) < page:
            return
        after = key_of(rows[-1])
