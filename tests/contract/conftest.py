"""One contract, every store: each test here runs once per store kind in STORE_KINDS.

A store kind is a factory that builds the three stores on some backend. Adding a backend
(DynamoDB on moto, DynamoDB Local) is adding an entry; the suite does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.memory import MemoryAgentStore, MemoryAlertStore, MemoryEventStore
from adapters.sqlite import SqliteAgentStore, SqliteAlertStore, SqliteDatabase, SqliteEventStore
from bot.cursors import CursorCodec
from bot.models import QueryResult
from bot.ports import AgentStore, AlertStore, EventStore

CURSOR_SECRET = "contract-test-secret"


@dataclass
class Stores:
    """The three stores of one backend."""

    events: EventStore
    agents: AgentStore
    alerts: AlertStore


# A store kind opens its backend, yields the stores and releases the backend (a moto mock,
# a DynamoDB Local table) on exit.
StoreKind = Callable[[Path, CursorCodec], AbstractContextManager[Stores]]


@contextmanager
def memory_stores(tmp_path: Path, cursors: CursorCodec) -> Iterator[Stores]:
    yield Stores(MemoryEventStore(cursors), MemoryAgentStore(cursors), MemoryAlertStore())


@contextmanager
def sqlite_stores(tmp_path: Path, cursors: CursorCodec) -> Iterator[Stores]:
    db = SqliteDatabase(tmp_path / "data" / "monitoring.sqlite3")
    try:
        yield Stores(
            SqliteEventStore(db, cursors), SqliteAgentStore(db, cursors), SqliteAlertStore(db)
        )
    finally:
        db.close()


STORE_KINDS: dict[str, StoreKind] = {
    "memory": memory_stores,
    "sqlite": sqlite_stores,
}


@pytest.fixture
def cursors() -> CursorCodec:
    return CursorCodec(CURSOR_SECRET)


@pytest.fixture(params=list(STORE_KINDS))
def stores(
    request: pytest.FixtureRequest, tmp_path: Path, cursors: CursorCodec
) -> Iterator[Stores]:
    with STORE_KINDS[request.param](tmp_path, cursors) as built:
        yield built


@pytest.fixture
def event_store(stores: Stores) -> EventStore:
    return stores.events


@pytest.fixture
def agent_store(stores: Stores) -> AgentStore:
    return stores.agents


@pytest.fixture
def alert_store(stores: Stores) -> AlertStore:
    return stores.alerts


Lister = Callable[[str | None], QueryResult[Any]]


class Pager:
    """Walks a listing by its cursors, for the events and the agents suites alike."""

    @staticmethod
    def forward(list_page: Lister) -> list[QueryResult[Any]]:
        """Every page from the first, following `next` until there is none."""
        pages = [list_page(None)]
        while pages[-1].next is not None:
            pages.append(list_page(pages[-1].next))
            assert len(pages) < 100, "next cursors do not end"
        return pages

    @staticmethod
    def back(list_page: Lister, last: QueryResult[Any]) -> list[QueryResult[Any]]:
        """Every page before `last`, following `previous`, nearest first."""
        pages = [last]
        while pages[-1].previous is not None:
            pages.append(list_page(pages[-1].previous))
            assert len(pages) < 100, "previous cursors do not end"
        return pages[1:]

    def assert_round_trip(self, list_page: Lister, expected_ids: list[str], limit: int) -> None:
        """Forward pages hold exactly `expected_ids`; previous retraces them page for page."""
        pages = self.forward(list_page)
        ids = [item.id for page in pages for item in page.items]
        assert ids == expected_ids
        assert all(len(page.items) == limit for page in pages[:-1])
        assert pages[0].previous is None
        assert all(page.previous is not None for page in pages[1:])
        assert pages[-1].next is None
        # Walking back retraces every page exactly: items and both cursors.
        assert self.back(list_page, pages[-1]) == list(reversed(pages[:-1]))


@pytest.fixture
def pager() -> Pager:
    return Pager()
