"""The /events use case: the grammar people type, and filtered pages of events with the
state of each one's alert.

    /events [since:24h|since:2024-05-02] [source:alarm] [account:prod] [severity:high]
            [state:open|acked|resolved|silenced] [free text…]
    /events <event-id>        one event, in detail
    /events help              the usage

The store filters what it can (time, account id); the rest (family, severity, alert state,
title words) is checked on its pages. A page's cursor is our own, signed like the
store's, and carries the query, so that Next and Previous (buttons that hold only the
cursor) keep the filters. Each page scans at most MAX_SCAN events, to bound the time of
an answer (it comes after the ack, through response_url); a sparse match leaves a Next
that carries on from where the scan stopped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from bot.config import parse_duration
from bot.cursors import CursorCodec
from bot.errors import InvalidCursorError, ValidationError
from bot.list_events import DEFAULT_WINDOW_S
from bot.models import Alert, AlertStatus, Event, ListEventsDTO, Severity
from bot.paging import EVENT_KEYS, Key, cursor_at
from bot.ports import AlertStore, EventStore
from bot.routing import SOURCE_ALIASES
from bot.sources import Context, interpret

PAGE = 10
STORE_PAGE = 100
MAX_SCAN = 2000
MAX_TEXT = 200
SCOPE = "events-search"
States = Literal["open", "acked", "resolved", "silenced"]
STATES = ("open", "acked", "resolved", "silenced")
KEYS = ("since", "source", "account", "severity", "state")

USAGE = (
    "*Usage:* `/events [filters] [words]`, newest first, 10 to a page\n"
    "• `since:1h`, `since:24h`, `since:7d` or `since:2024-05-02` (default: the last 7 days)\n"
    f"• `source:` a family ({', '.join(sorted(set(SOURCE_ALIASES.values())))}) or an alias\n"
    "• `account:` an account id or its name\n"
    "• `severity:` critical, high, medium, low or info (that level or worse)\n"
    "• `state:` open, acked, resolved or silenced (the state of the event's alert)\n"
    "• any other words: matched against the title\n"
    "• `/events <event-id>` shows one event; `/events help` shows this"
)


class QueryError(ValidationError):
    """The command's text cannot be read; the message says why, the usage follows."""


@dataclass(frozen=True)
class Query:
    """A parsed /events query (its times already resolved to epoch seconds)."""

    since: int
    family: str | None = None
    account: str | None = None
    severity: str | None = None
    state: str | None = None
    words: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, ())}


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Lookup:
    """A single bare token: an event id if one exists, else the words of a search."""

    event_id: str
    query: Query


def parse(text: str, *, now: int, account_names: dict[str, str]) -> Help | Lookup | Query:
    tokens = text.split()
    if [t.lower() for t in tokens] in (["help"], ["-h"], ["--help"]):
        return Help()
    found: dict[str, str] = {}
    words: list[str] = []
    for token in tokens:
        key, sep, value = token.partition(":")
        if sep and key.lower() in KEYS:
            if not value:
                raise QueryError(f"`{key}:` needs a value")
            if key.lower() in found:
                raise QueryError(f"`{key}:` is given twice")
            found[key.lower()] = value
        else:
            words.append(token)
    if len(" ".join(words)) > MAX_TEXT:
        raise QueryError(f"the words to match are over {MAX_TEXT} characters")
    query = Query(
        since=_since(found.get("since"), now),
        family=_family(found.get("source")),
        account=_account(found.get("account"), account_names),
        severity=_severity(found.get("severity")),
        state=_state(found.get("state")),
        words=tuple(w.casefold() for w in words),
    )
    if len(tokens) == 1 and not found:
        return Lookup(event_id=tokens[0], query=query)
    return query


def _since(value: str | None, now: int) -> int:
    if value is None:
        return max(now - DEFAULT_WINDOW_S, 0)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError as err:
            raise QueryError(f"`since:{value}` is not a date") from err
        return max(int(day.timestamp()), 0)
    try:
        return max(now - parse_duration(value), 0)
    except ValueError as err:
        raise QueryError(f"`since:{value}`: write 1h, 24h, 7d or a date (2024-05-02)") from err


def _family(value: str | None) -> str | None:
    if value is None:
        return None
    family = SOURCE_ALIASES.get(value.lower())
    if family is None:
        raise QueryError(
            f"`source:{value}` is not a source: use {', '.join(sorted(SOURCE_ALIASES))}"
        )
    return family


def _account(value: str | None, names: dict[str, str]) -> str | None:
    if value is None:
        return None
    if value in names:
        return value
    by_name = [ident for ident, name in names.items() if name.casefold() == value.casefold()]
    if by_name:
        return by_name[0]
    if re.fullmatch(r"[0-9]{6,12}", value):
        return value
    raise QueryError(f"`account:{value}` is neither an account id nor a known account name")


def _severity(value: str | None) -> str | None:
    if value is None:
        return None
    if value.upper() not in Severity.__members__:
        raise QueryError(f"`severity:{value}`: use critical, high, medium, low or info")
    return value.upper()


def _state(value: str | None) -> str | None:
    if value is None:
        return None
    if value.lower() not in STATES:
        raise QueryError(f"`state:{value}`: use open, acked, resolved or silenced")
    return value.lower()


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


@dataclass
class Found:
    """An event, with the state of its alert ("" for an event that opened none)."""

    event: Event
    state: str
    alert: Alert | None = None


@dataclass
class _Collected:
    found: list[Found] = field(default_factory=list)
    more: bool = False
    cut: bool = False
    scanned: int = 0
    last: Key | None = None


@dataclass
class SearchPage:
    items: list[Found] = field(default_factory=list)
    next: str | None = None
    previous: str | None = None
    scanned: int = 0


def alert_state(alert: Alert | None, now: int) -> str:
    if alert is None:
        return ""
    if alert.silenced_until is not None and alert.silenced_until > now:
        return "silenced"
    return {AlertStatus.OPEN: "open", AlertStatus.ACKED: "acked"}.get(alert.status, "resolved")


class Search:
    """One page of a query, over an event store and the alerts of its events."""

    def __init__(
        self,
        events: EventStore,
        alerts: AlertStore,
        codec: CursorCodec,
        *,
        now: int,
        ctx: Context | None = None,
        find_alert: Callable[[str], Alert | None] | None = None,
    ) -> None:
        self._events, self._alerts, self._codec = events, alerts, codec
        # Which alert a fingerprint has (an alert is per channel): the command passes one
        # that looks in every channel the routes send to; without one, events show none.
        self._find_alert = find_alert or (lambda fingerprint: None)
        self._now, self._ctx = now, ctx or Context()
        self._alert_of: dict[str, Alert | None] = {}

    def first(self, query: Query, limit: int = PAGE) -> SearchPage:
        return self._forward(query, None, limit)

    def page(self, cursor: str, limit: int = PAGE) -> SearchPage:
        """The page a Next or Previous cursor points to."""
        data = self._codec.decode(cursor)
        if data.get("s") != SCOPE or data.get("d") not in ("n", "p"):
            raise InvalidCursorError("invalid cursor: not a cursor of /events")
        try:
            query = Query(**data["q"])
            key: Key = (int(data["k"][0]), str(data["k"][1]))
        except (KeyError, TypeError, ValueError, IndexError) as err:
            raise InvalidCursorError("invalid cursor: not a cursor of /events") from err
        if data["d"] == "n":
            return self._forward(query, key, limit)
        return self._backward(query, key, limit)

    def find(self, event: Event) -> Found:
        alert = self._alert(event)
        return Found(event, alert_state(alert, self._now), alert)

    # --- matching ----------------------------------------------------------------------------

    def _alert(self, event: Event) -> Alert | None:
        signals = interpret(event, self._ctx)
        fingerprint = signals[0].fingerprint if signals else ""
        if fingerprint not in self._alert_of:
            self._alert_of[fingerprint] = self._find_alert(fingerprint) if fingerprint else None
        return self._alert_of[fingerprint]

    def _match(self, query: Query, event: Event) -> Found | None:
        if query.family and event.family != query.family:
            return None
        if query.severity and event.severity.rank < Severity[query.severity].rank:
            return None
        title = event.title.casefold()
        if any(word not in title for word in query.words):
            return None
        found = self.find(event)
        if query.state and found.state != query.state:
            return None
        return found

    # --- paging ------------------------------------------------------------------------------

    def _dto(self, query: Query, cursor: str | None) -> ListEventsDTO:
        return ListEventsDTO(
            start_date=query.since, account=query.account, limit=STORE_PAGE, cursor=cursor
        )

    def _cursor(self, query: Query, key: Key, way: str) -> str:
        return self._codec.encode({"s": SCOPE, "q": query.as_dict(), "d": way, "k": list(key)})

    def _walk(self, query: Query, start: Key | None, *, older: bool) -> Iterator[Event]:
        """The store's events from `start` (exclusive), each once: older ones newest first,
        or newer ones oldest first. Going back, the store's pages may overlap (its way
        back ends on its first page), so each is cut at the newest key already walked."""
        if older:
            cursor = None if start is None else self._store_cursor(start, forward=True)
            while True:
                page = self._events.list(self._dto(query, cursor), self._now)
                yield from page.items
                if not page.next:
                    return
                cursor = page.next
        assert start is not None
        bound: Key = start
        back: str | None = self._store_cursor(start, forward=False)
        while back:
            page = self._events.list(self._dto(query, back), self._now)
            newer = [e for e in page.items if _key(e) > bound]
            if not newer:
                return
            yield from reversed(newer)
            bound = _key(newer[0])
            back = page.previous

    def _collect(self, query: Query, events: Iterator[Event], limit: int) -> _Collected:
        """Up to `limit` matches, and whether another match follows them (`more`), or the
        scan budget ran out first (`cut`, with the last key scanned)."""
        got = _Collected()
        for event in events:
            if got.scanned == MAX_SCAN:
                got.cut = True
                return got
            got.scanned += 1
            hit = self._match(query, event)
            if hit is not None:
                if len(got.found) == limit:
                    got.more = True
                    return got
                got.found.append(hit)
            got.last = _key(event)
        return got

    def _forward(self, query: Query, after: Key | None, limit: int) -> SearchPage:
        got = self._collect(query, self._walk(query, after, older=True), limit)
        page = SearchPage(items=got.found, scanned=got.scanned)
        if got.more:
            page.next = self._cursor(query, _key(got.found[-1].event), "n")
        elif got.cut and got.last is not None:
            page.next = self._cursor(query, got.last, "n")  # Next carries on from here
        if after is not None:  # we came from newer matches: the way back
            newest = _key(got.found[0].event) if got.found else after
            page.previous = self._cursor(query, newest, "p")
        return page

    def _backward(self, query: Query, before: Key, limit: int) -> SearchPage:
        """The `limit` matches just newer than `before`, newest first."""
        got = self._collect(query, self._walk(query, before, older=False), limit)
        if len(got.found) < limit and not got.cut:  # back at the top: the first page
            return self._forward(query, None, limit)
        found = list(reversed(got.found))
        page = SearchPage(items=found, scanned=got.scanned)
        page.next = self._cursor(query, _key(found[-1].event), "n") if found else None
        if got.more:
            page.previous = self._cursor(query, _key(found[0].event), "p")
        elif got.cut and got.last is not None:
            page.previous = self._cursor(query, got.last, "p")
        return page

    def _store_cursor(self, key: Key, *, forward: bool) -> str:
        return cursor_at(self._codec, EVENT_KEYS, "desc", key, forward=forward)


def _key(event: Event) -> Key:
    return (event.published_at, event.id)
