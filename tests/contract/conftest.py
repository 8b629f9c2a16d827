"""One contract, every store: each test here runs once per store kind in STORE_KINDS.

A store kind is a factory that builds the three stores on some backend. Adding a backend
(DynamoDB on moto, DynamoDB Local) is adding an entry; the suite does not change.

The DynamoDB kinds share one server per session (moto's threaded server, Amazon's DynamoDB
Local), started on first use and stopped at the end; each test gets a table of its own.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from adapters.dynamodb.schema import create_table
from adapters.dynamodb.stores import open_stores
from adapters.memory import MemoryAgentStore, MemoryAlertStore, MemoryEventStore
from adapters.sqlite import SqliteAgentStore, SqliteAlertStore, SqliteDatabase, SqliteEventStore
from bot.cursors import CursorCodec
from bot.models import QueryResult
from bot.ports import AgentStore, AlertStore, EventStore
from tests.contract.dynamodb_local import DynamoDBLocal

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


class LazyEndpoint:
    """A DynamoDB endpoint for the whole session, started by the first test that needs it.

    A start that fails fails every test of its kind, with the reason, once: never a skip.
    """

    def __init__(self, name: str, start: Callable[[], tuple[str, Callable[[], None]]]) -> None:
        self._name = name
        self._start = start
        self._url: str | None = None
        self._stop: Callable[[], None] | None = None
        self._error: str | None = None

    def url(self) -> str:
        if self._error is None and self._url is None:
            try:
                self._url, self._stop = self._start()
            except Exception as err:
                self._error = f"{self._name} did not start: {err}"
        if self._error is not None:
            pytest.fail(self._error, pytrace=False)
        assert self._url is not None
        return self._url

    def close(self) -> None:
        stop, self._stop, self._url = self._stop, None, None
        if stop is not None:
            stop()


def _start_moto() -> tuple[str, Callable[[], None]]:
    from moto.server import ThreadedMotoServer  # imported only when a moto test runs

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}", server.stop


def _start_dynamodb_local() -> tuple[str, Callable[[], None]]:
    local = DynamoDBLocal()
    return local.start(), local.stop


MOTO = LazyEndpoint("moto server", _start_moto)
DYNAMODB_LOCAL = LazyEndpoint("DynamoDB Local", _start_dynamodb_local)
REGION = "us-east-1"
# Dummy credentials: botocore needs some to sign, and they must never be real ones.
DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@contextmanager
def dummy_aws_credentials() -> Iterator[None]:
    """The dummy credentials in the environment, for as long as the block runs."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in DUMMY_AWS_ENV.items():
            env.setenv(name, value)
        env.delenv("AWS_PROFILE", raising=False)
        yield


def fresh_table_name() -> str:
    return f"contract-{uuid.uuid4().hex}"


@contextmanager
def dynamodb_stores(
    endpoint: LazyEndpoint, tmp_path: Path, cursors: CursorCodec
) -> Iterator[Stores]:
    """The DynamoDB stores on a new table of the session's server, deleted afterwards."""
    url = endpoint.url()
    table = fresh_table_name()
    with dummy_aws_credentials():
        create_table(table=table, endpoint=url, region=REGION)
        try:
            built = open_stores(table=table, endpoint=url, region=REGION, codec=cursors)
            yield Stores(built.events, built.agents, built.alerts)
        finally:
            boto3.client("dynamodb", endpoint_url=url, region_name=REGION).delete_table(
                TableName=table
            )


STORE_KINDS: dict[str, StoreKind] = {
    "memory": memory_stores,
    "sqlite": sqlite_stores,
    "moto": functools.partial(dynamodb_stores, MOTO),
    "dynamodb-local": functools.partial(dynamodb_stores, DYNAMODB_LOCAL),
}


@pytest.fixture(scope="session", autouse=True)
def _dynamodb_servers() -> Iterator[None]:
    """Stops whichever DynamoDB servers the session started (by PID, for DynamoDB Local)."""
    yield
    MOTO.close()
    DYNAMODB_LOCAL.close()


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
