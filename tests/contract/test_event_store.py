"""The EventStore contract: idempotent create, expiry at read time, filtered keyset paging."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.cursors import CursorCodec
from bot.errors import InvalidCursorError, NotFoundError
from bot.ingest import ingest
from bot.models import (
    Agent,
    Direction,
    Event,
    EventQueryResult,
    ListEventsDTO,
    PaginatedInputDTO,
    Severity,
    SignalState,
)
from bot.ports import AgentStore, EventStore
from tests.contract.conftest import CURSOR_SECRET, Pager
from tests.fakes import FakeClock

T0 = 1_700_000_000
NOW = T0 + 60  # before every expiry below unless a test says otherwise
TTL = 604_800
ACCOUNTS = ("111111111111", "222222222222")
SOURCES = ("aws.cloudwatch", "aws.guardduty", "aws.health")


def make(event_id: str, published_at: int = T0, **fields: Any) -> Event:
    """An event with every field that a store must keep set to something distinctive."""
    values: dict[str, Any] = {
        "id": event_id,
        "account": ACCOUNTS[0],
        "region": "eu-west-1",
        "source": SOURCES[0],
        "detail_type": "CloudWatch Alarm State Change",
        "detail": {"alarmName": f"alarm {event_id}", "state": {"value": "ALARM"}, "n": [1, 2.5]},
        "resources": [f"arn:aws:cloudwatch:eu-west-1:{ACCOUNTS[0]}:alarm:{event_id}"],
        "published_at": published_at,
        "updated_at": published_at + 1,
        "received_at": published_at + 2,
        "expired_at": published_at + 2 + TTL,
        "family": "cloudwatch_alarm",
        "title": f"title {event_id}",
        "severity": Severity.HIGH,
        "state": SignalState.FIRING,
    }
    return Event(**{**values, **fields})


def dataset(store: EventStore) -> list[Event]:
    """12 events over 6 seconds, two per second (ties on published_at), mixed sources and
    accounts, inserted out of order so that insertion order cannot pass for sorting."""
    events = [
        make(
            f"e{n:02d}",
            T0 + n // 2,
            source=SOURCES[n % 3],
            account=ACCOUNTS[(n // 2) % 2],
        )
        for n in range(12)
    ]
    for event in events[::-2] + events[-2::-2]:
        assert store.create(event) is True
    return events


def ordered(events: list[Event], direction: Direction) -> list[str]:
    keyed = sorted(events, key=lambda e: (e.published_at, e.id), reverse=direction == "desc")
    return [e.id for e in keyed]


def list_ids(store: EventStore, now: int = NOW, **dto: Any) -> list[str]:
    page = store.list(ListEventsDTO(limit=100, **dto), now)
    assert page.next is None and page.previous is None
    return [e.id for e in page.items]


# --- create, get, delete ---------------------------------------------------------------------


def test_create_then_get_returns_the_event_whole(event_store: EventStore) -> None:
    event = make("evt-1")
    assert event_store.create(event) is True
    assert event_store.get("evt-1", NOW) == event


def test_second_create_of_an_id_is_a_no_op(event_store: EventStore) -> None:
    first = make("evt-1", title="first delivery")
    assert event_store.create(first) is True
    assert event_store.create(make("evt-1", title="second delivery", published_at=T0 + 9)) is False
    assert event_store.get("evt-1", NOW) == first
    assert list_ids(event_store) == ["evt-1"]


def test_create_many_answers_per_event_in_order(event_store: EventStore) -> None:
    stored = make("a", title="stored before")
    event_store.create(stored)
    batch = [
        make("b"),
        make("a", title="dup of stored"),
        make("c"),
        make("b", title="dup in batch"),
    ]
    assert event_store.create_many(batch) == [True, False, True, False]
    assert event_store.get("a", NOW) == stored
    assert event_store.get("b", NOW) == batch[0]
    assert event_store.create_many([]) == []
    assert list_ids(event_store, direction="asc") == ["a", "b", "c"]


def test_get_of_an_unknown_id_is_not_found(event_store: EventStore) -> None:
    event_store.create(make("evt-1"))
    with pytest.raises(NotFoundError):
        event_store.get("evt-2", NOW)


def test_delete_removes_and_a_second_delete_is_not_found(event_store: EventStore) -> None:
    event_store.create(make("evt-1"))
    event_store.create(make("evt-2"))
    event_store.delete("evt-1")
    with pytest.raises(NotFoundError):
        event_store.get("evt-1", NOW)
    with pytest.raises(NotFoundError):
        event_store.delete("evt-1")
    assert list_ids(event_store) == ["evt-2"]


def test_a_returned_event_is_a_copy(event_store: EventStore) -> None:
    event_store.create(make("evt-1"))
    event_store.get("evt-1", NOW).detail["alarmName"] = "changed by a caller"
    assert event_store.get("evt-1", NOW).detail["alarmName"] == "alarm evt-1"


# --- expiry at read time ---------------------------------------------------------------------


def test_expiry_is_checked_at_read_time(event_store: EventStore) -> None:
    event_store.create(make("short", expired_at=T0 + 100))
    event_store.create(make("long", expired_at=T0 + 200))
    assert event_store.get("short", T0 + 99).id == "short"
    assert list_ids(event_store, now=T0 + 99, direction="asc") == ["long", "short"]
    with pytest.raises(NotFoundError):
        event_store.get("short", T0 + 100)  # expired_at <= now is expired
    assert list_ids(event_store, now=T0 + 100) == ["long"]
    assert list_ids(event_store, now=T0 + 200) == []
    assert event_store.get("short", T0).id == "short"  # nothing was deleted: earlier, visible


def test_expired_at_zero_means_no_expiry(event_store: EventStore) -> None:
    event_store.create(make("forever", expired_at=0))
    assert event_store.get("forever", T0 + 10 * TTL).id == "forever"
    assert list_ids(event_store, now=T0 + 10 * TTL) == ["forever"]


# --- filters and order -----------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_list_without_filters_orders_by_published_at_then_id(
    event_store: EventStore, direction: Direction
) -> None:
    events = dataset(event_store)
    assert list_ids(event_store, direction=direction) == ordered(events, direction)


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_ties_on_published_at_are_broken_by_id(
    event_store: EventStore, direction: Direction
) -> None:
    for event_id in ("m", "c", "x", "a"):
        event_store.create(make(event_id, T0 + 5))
    event_store.create(make("z", T0 + 4))
    event_store.create(make("b", T0 + 6))
    expected = ["z", "a", "c", "m", "x", "b"]
    if direction == "desc":
        expected.reverse()
    assert list_ids(event_store, direction=direction) == expected


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize(
    "filters",
    [
        {"start_date": T0 + 2, "end_date": T0 + 4},  # bounds inclusive at both ends
        {"start_date": T0 + 3},
        {"end_date": T0 + 1},
        {"start_date": T0 + 2, "end_date": T0 + 2},
        {"start_date": T0 + 6},  # past the last event
        {"source": SOURCES[1]},
        {"account": ACCOUNTS[1]},
        {"source": SOURCES[0], "account": ACCOUNTS[0], "start_date": T0 + 1},
        {"source": "aws.nothing"},
    ],
    ids=repr,
)
def test_list_applies_every_filter(
    event_store: EventStore, direction: Direction, filters: dict[str, Any]
) -> None:
    events = dataset(event_store)
    wanted = [
        e
        for e in events
        if filters.get("start_date", 0) <= e.published_at <= filters.get("end_date", 2**62)
        and e.source == filters.get("source", e.source)
        and e.account == filters.get("account", e.account)
    ]
    assert list_ids(event_store, direction=direction, **filters) == ordered(wanted, direction)


def test_list_of_an_empty_store_is_one_empty_page(event_store: EventStore) -> None:
    page = event_store.list(ListEventsDTO(), NOW)
    assert (page.items, page.next, page.previous) == ([], None, None)


# --- cursors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 3, 5, 12, 100])
def test_cursors_walk_forward_and_back_without_gaps_or_repeats(
    event_store: EventStore, pager: Pager, direction: Direction, limit: int
) -> None:
    events = dataset(event_store)

    def list_page(cursor: str | None) -> EventQueryResult:
        return event_store.list(ListEventsDTO(limit=limit, direction=direction, cursor=cursor), NOW)

    pager.assert_round_trip(list_page, ordered(events, direction), limit)


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_cursors_keep_to_the_filters(
    event_store: EventStore, pager: Pager, direction: Direction
) -> None:
    events = dataset(event_store)
    filters = {"account": ACCOUNTS[0], "start_date": T0 + 1, "end_date": T0 + 5}
    wanted = [e for e in events if e.account == ACCOUNTS[0] and T0 + 1 <= e.published_at <= T0 + 5]

    def list_page(cursor: str | None) -> EventQueryResult:
        dto = ListEventsDTO(limit=2, direction=direction, cursor=cursor, **filters)
        return event_store.list(dto, NOW)

    pager.assert_round_trip(list_page, ordered(wanted, direction), 2)


def test_a_cursor_continues_the_listing_it_came_from(event_store: EventStore) -> None:
    """A Slack button carries only the cursor, so its order wins over the dto's default."""
    events = dataset(event_store)
    first = event_store.list(ListEventsDTO(limit=4, direction="asc"), NOW)
    second = event_store.list(ListEventsDTO(limit=4, cursor=first.next), NOW)
    assert [e.id for e in second.items] == ordered(events, "asc")[4:8]


def test_a_page_emptied_since_its_cursor_still_leads_back(event_store: EventStore) -> None:
    events = dataset(event_store)
    first = event_store.list(ListEventsDTO(limit=6, direction="asc"), NOW)
    for event_id in ordered(events, "asc")[6:]:
        event_store.delete(event_id)
    empty = event_store.list(ListEventsDTO(limit=6, cursor=first.next), NOW)
    assert (empty.items, empty.next) == ([], None)
    assert empty.previous is not None
    back = event_store.list(ListEventsDTO(limit=6, cursor=empty.previous), NOW)
    assert back.items == first.items
    assert back.previous is None


def test_items_expired_before_a_page_are_skipped_and_the_way_back_is_the_first_page(
    event_store: EventStore,
) -> None:
    for n in range(6):
        event_store.create(make(f"e{n}", T0 + n, expired_at=T0 + 1_000 if n < 3 else 0))
    first = event_store.list(ListEventsDTO(limit=2, direction="desc"), NOW)
    second = event_store.list(ListEventsDTO(limit=2, cursor=first.next), T0 + 1_000)
    assert [e.id for e in first.items + second.items] == ["e5", "e4", "e3"]
    assert second.next is None
    back = event_store.list(ListEventsDTO(limit=2, cursor=second.previous), T0 + 1_000)
    assert back == first


def test_going_back_to_a_first_page_that_shrank_shows_a_full_first_page(
    event_store: EventStore,
) -> None:
    events = dataset(event_store)
    first = event_store.list(ListEventsDTO(limit=5, direction="asc"), NOW)
    second = event_store.list(ListEventsDTO(limit=5, cursor=first.next), NOW)
    event_store.delete(ordered(events, "asc")[2])
    back = event_store.list(ListEventsDTO(limit=5, cursor=second.previous), NOW)
    assert back == event_store.list(ListEventsDTO(limit=5, direction="asc"), NOW)
    assert len(back.items) == 5 and back.previous is None


def _flip(token: str, index: int) -> str:
    char = token[index]
    return token[:index] + ("B" if char == "A" else "A") + token[index + 1 :]


B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _respell_last(token: str) -> str:
    """Flip the lowest bit of the last char: in unpadded base64 that bit is padding, so a
    lax decoder reads the same bytes and would take the token as genuine."""
    index = B64URL.index(token[-1]) ^ 1
    return token[:-1] + B64URL[index]


TAMPERINGS = {
    "flip first char": lambda t: _flip(t, 0),
    "flip middle char": lambda t: _flip(t, len(t) // 2),
    "flip last char": lambda t: _flip(t, -1),
    "flip char before the dot": lambda t: _flip(t, t.index(".") - 1),
    "last char respelled": _respell_last,
    "truncated": lambda t: t[:-3],
    "tag dropped": lambda t: t.split(".")[0],
    "extra part": lambda t: t + ".AAAA",
    "padded": lambda t: t + "==",
    "garbage": lambda t: "not-a-cursor",
    "not base64": lambda t: "%%%.***",
    "empty": lambda t: "",
    "foreign secret": lambda t: CursorCodec("another-secret").encode(
        CursorCodec(CURSOR_SECRET).decode(t)  # the same position, signed by someone else
    ),
}


@pytest.mark.parametrize("tamper", list(TAMPERINGS))
def test_a_tampered_cursor_is_refused(event_store: EventStore, tamper: str) -> None:
    dataset(event_store)
    token = event_store.list(ListEventsDTO(limit=3), NOW).next
    assert token is not None
    assert event_store.list(ListEventsDTO(limit=3, cursor=token), NOW).items  # genuine works
    with pytest.raises(InvalidCursorError, match="invalid cursor"):
        event_store.list(ListEventsDTO(limit=3, cursor=TAMPERINGS[tamper](token)), NOW)


def test_a_cursor_of_another_listing_is_refused(
    event_store: EventStore, agent_store: AgentStore
) -> None:
    for n in range(3):
        agent_store.create(Agent(id=f"{n:012d}", region="eu-west-1"))
    agent_cursor = agent_store.list(PaginatedInputDTO(limit=1)).next
    assert agent_cursor is not None
    with pytest.raises(InvalidCursorError):
        event_store.list(ListEventsDTO(cursor=agent_cursor), NOW)


# --- scan: a whole range for the daily report ---------------------------------------------


def test_scan_reads_a_range_oldest_first_across_pages(
    event_store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.paging

    monkeypatch.setattr(bot.paging, "SCAN_PAGE", 5)  # several pages, ties across a page edge
    stored = dataset(event_store)
    event_store.create(make("before", T0 - 1))
    event_store.create(make("after", T0 + 6))
    scanned = list(event_store.scan(T0, T0 + 5, NOW))
    assert [e.id for e in scanned] == [
        e.id for e in sorted(stored, key=lambda e: (e.published_at, e.id))
    ]
    assert scanned == sorted(stored, key=lambda e: (e.published_at, e.id))


def test_scan_skips_expired_events_and_is_empty_for_an_empty_range(event_store: EventStore) -> None:
    event_store.create(make("live", T0))
    event_store.create(make("gone", T0, expired_at=NOW - 1))
    assert [e.id for e in event_store.scan(T0, T0, NOW)] == ["live"]
    assert list(event_store.scan(T0 + 100, T0 + 200, NOW)) == []


# --- exactly once, through the ingest use case ------------------------------------------------


def body_of(count: int) -> list[dict[str, Any]]:
    """An EventBridge body of `count` events, more than a store puts at once, with one
    event repeated inside it."""
    events = [
        {
            "id": f"evt-{n:02d}",
            "source": "aws.cloudwatch",
            "detail-type": "CloudWatch Alarm State Change",
            "account": ACCOUNTS[n % 2],
            "region": "eu-west-1",
            "time": "2023-11-14T22:13:20Z",
            "detail": {"alarmName": f"alarm-{n}", "state": {"value": "ALARM"}},
        }
        for n in range(count)
    ]
    return [*events, events[3]]


def test_a_replayed_body_stores_nothing_twice(event_store: EventStore) -> None:
    body = body_of(25)
    first = ingest(body, event_store, FakeClock(NOW), ttl=TTL)
    assert (first.stored, first.duplicates, first.rejected) == (25, 1, [])
    kept = {i: event_store.get(i, NOW) for i in first.ids}
    again = ingest(body, event_store, FakeClock(NOW + 5), ttl=TTL)
    assert (again.stored, again.duplicates, again.ids) == (0, 26, first.ids)
    assert {i: event_store.get(i, NOW) for i in again.ids} == kept  # the first copies stay
    assert list_ids(event_store, direction="asc") == sorted(set(first.ids))


def test_a_body_ingested_twice_at_once_stores_each_event_once(event_store: EventStore) -> None:
    body = body_of(25)
    with ThreadPoolExecutor(2) as pool:
        both = list(pool.map(lambda _: ingest(body, event_store, FakeClock(NOW), ttl=TTL), [1, 2]))
    assert sum(result.stored for result in both) == 25
    assert sum(result.duplicates for result in both) == 27
    assert list_ids(event_store, direction="asc") == [f"evt-{n:02d}" for n in range(25)]


def test_create_many_answers_each_event_of_a_large_batch(event_store: EventStore) -> None:
    event_store.create_many([make(f"old-{n}") for n in range(5)])
    batch = [make(f"new-{n}") for n in range(20)] + [make(f"old-{n}") for n in range(5)]
    batch = batch[::2] + batch[1::2] + [make("new-7")]  # old and new mixed, one repeat
    expected = [e.id.startswith("new") for e in batch[:-1]] + [False]
    assert event_store.create_many(batch) == expected
    assert event_store.create_many(batch) == [False] * len(batch)
