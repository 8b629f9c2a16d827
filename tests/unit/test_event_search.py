"""/events: the grammar, and filtered pages that Next and Previous walk exactly once."""

from __future__ import annotations

import pytest

from adapters.memory import MemoryAlertStore, MemoryEventStore
from bot.cursors import CursorCodec
from bot.errors import InvalidCursorError
from bot.event_search import PAGE, Help, Lookup, Query, QueryError, Search, parse
from bot.ingest import ingest
from bot.models import ListEventsDTO, Severity
from tests.corpus import load
from tests.fakes import FakeClock

NOW = 1_790_000_000
NAMES = {"123456789012": "prod"}
CODEC = CursorCodec("search-test")


def test_the_grammar():
    query = parse("since:24h source:alarm account:prod severity:high state:open cpu High",
                  now=NOW, account_names=NAMES)  # fmt: skip
    assert query == Query(
        since=NOW - 86400,
        family="alarm",
        account="123456789012",
        severity="HIGH",
        state="open",
        words=("cpu", "high"),
    )
    assert parse("since:2024-05-02", now=NOW, account_names={}).since == 1714608000
    assert parse("", now=NOW, account_names={}).since == NOW - 7 * 86400
    assert isinstance(parse("help", now=NOW, account_names={}), Help)
    lookup = parse("evt-123", now=NOW, account_names={})
    assert isinstance(lookup, Lookup) and lookup.event_id == "evt-123"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("since:yesterday", "since:yesterday"),
        ("since:2024-13-40", "not a date"),
        ("source:s3", "not a source"),
        ("account:staging", "neither an account id"),
        ("severity:urgent", "severity:urgent"),
        ("state:pending", "state:pending"),
        ("state:", "needs a value"),
        ("state:open state:acked", "twice"),
        ("x" * 300, "over 200"),
    ],
)
def test_bad_arguments_say_why(text, words):
    with pytest.raises(QueryError, match=words):
        parse(text, now=NOW, account_names=NAMES)


@pytest.fixture
def stores():
    events, alerts = MemoryEventStore(CODEC), MemoryAlertStore()
    sample = load("cloudwatch_alarm_state_change_single_metric.json")
    bodies = []
    for n in range(1000):
        event = {**sample, "id": f"e{n:04d}", "time": NOW - 5000 + n * 3}
        event["detail"] = {**sample["detail"], "alarmName": f"{'Disk' if n % 3 else 'Cpu'}{n}"}
        bodies.append(event)
    ingest(bodies, events, FakeClock(NOW), ttl=86400)
    return events, alerts


def walk(search: Search, query: Query) -> tuple[list[list[str]], list[str | None]]:
    pages, cursors = [], []
    page = search.first(query)
    while True:
        pages.append([f.event.id for f in page.items])
        cursors.append(page.previous)
        if not page.next:
            return pages, cursors
        page = search.page(page.next)


def test_next_through_1000_events_reaches_each_exactly_once(stores):
    events, alerts = stores
    search = Search(events, alerts, CODEC, now=NOW)
    pages, _ = walk(search, parse("", now=NOW, account_names={}))
    seen = [i for p in pages for i in p]
    assert len(seen) == 1000 == len(set(seen))
    assert seen == sorted(seen, reverse=True)  # newest first
    assert all(len(p) == PAGE for p in pages)


def test_filtered_pages_walk_forward_and_back_alike(stores):
    events, alerts = stores
    search = Search(events, alerts, CODEC, now=NOW)
    query = parse("cpu since:7d", now=NOW, account_names={})  # every third event
    pages, _ = walk(search, query)
    seen = [i for p in pages for i in p]
    assert len(seen) == 334 == len(set(seen))
    assert all(int(i[1:]) % 3 == 0 for i in seen)
    # From the last page, Previous walks the same pages back.
    page = search.first(query)
    while page.next:
        page = search.page(page.next)
    back = []
    while page.previous:
        page = search.page(page.previous)
        back.append([f.event.id for f in page.items])
    assert back == list(reversed(pages[:-1]))


def test_filters_by_severity_and_alert_state(stores):
    events, alerts = stores
    search = Search(events, alerts, CODEC, now=NOW)
    assert search.first(parse("severity:critical", now=NOW, account_names={})).items == []
    assert search.first(parse("severity:high", now=NOW, account_names={})).items
    assert all(f.event.severity is Severity.HIGH for f in search.first(Query(since=0)).items)
    # No alert was opened here: every event's alert state is empty, so state:open finds none.
    assert search.first(parse("state:open", now=NOW, account_names={})).items == []


def test_a_tampered_or_foreign_cursor_is_refused(stores):
    events, alerts = stores
    search = Search(events, alerts, CODEC, now=NOW)
    cursor = search.first(Query(since=0)).next
    assert cursor
    with pytest.raises(InvalidCursorError):
        search.page(cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB"))
    store_cursor = events.list(ListEventsDTO(limit=5), NOW).next
    with pytest.raises(InvalidCursorError):
        search.page(store_cursor)


def sparse_store(count: int, every: int) -> MemoryEventStore:
    """`count` events a second apart; those whose number is a multiple of `every` match."""
    from bot.models import Event

    store = MemoryEventStore(CODEC)
    for n in range(count):
        t = NOW - 10_000 + n
        title = "cpu" if n % every == 0 else "disk"
        store.create(Event(id=f"e{n:03d}", source="custom.app", published_at=t, updated_at=t,
                           received_at=t, title=title))  # fmt: skip
    return store


def test_previous_across_store_pages_neither_repeats_nor_skips():
    search = Search(sparse_store(300, 15), MemoryAlertStore(), CODEC, now=NOW)
    query = Query(since=0, words=("cpu",))
    first = search.first(query)
    second = search.page(first.next)
    back = search.page(second.previous)
    assert [f.event.id for f in back.items] == [f.event.id for f in first.items]
    assert back.previous is None  # it is the first page


def test_next_is_offered_only_when_another_match_exists():
    store = sparse_store(25, 1)
    for n in range(15):  # the 15 oldest stop matching: only the 10 newest match
        event = store.get(f"e{n:03d}", NOW)
        store.delete(event.id)
        store.create(event.model_copy(update={"title": "disk"}))
    page = Search(store, MemoryAlertStore(), CODEC, now=NOW).first(Query(since=0, words=("cpu",)))
    assert len(page.items) == 10 and page.next is None


def test_a_cursor_with_many_emoji_still_fits_a_button(stores):
    from blocks.slack_text import BUTTON_VALUE

    events, alerts = stores
    words = " ".join(["🔥"] * 100)  # the most the grammar takes is 200 characters of words
    query = parse(f"since:7d {words}", now=NOW, account_names={})
    search = Search(events, alerts, CODEC, now=NOW)
    cursor = search._cursor(query, (NOW, "e0001"), "n")
    assert len(cursor) <= BUTTON_VALUE
    assert search.page(cursor).items == []  # and it reads back
