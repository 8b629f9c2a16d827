"""A full or frozen store, served: /healthz says "failing" within 2 s, /ingest answers 503
with Retry-After within the store's deadline instead of hanging, nothing acknowledged is
lost, and both recover once the store does.

The store is SQLite with its file capped (`max_page_count` on every connection the
service holds or opens) and then filled, SQLite under a held exclusive lock, and DynamoDB
Local stopped with SIGSTOP. The service's clock is the test's, so that the 5 s cache of
/healthz is passed by advancing it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from adapters import aws_session
from adapters.dynamodb.schema import create_table
from adapters.sqlite import SqliteDatabase
from bot.health import HEALTH_TTL_S
from tests.contract.conftest import REGION, dummy_aws_credentials, fresh_table_name
from tests.contract.dynamodb_local import DynamoDBLocal
from tests.e2e.conftest import RunningService
from tests.fakes import FakeClock
from tests.faults.support import in_store, storm_of
from tests.figures import Figures

HEALTH_BOUND_S = 2.0  # /healthz answers within this, whatever the store does
PROBE_TIMEOUT_S = 1.5
STORE_TIMEOUT_S = 1  # the store's deadline in these tests
# An ingest past the deadline: the deadline, plus botocore's backoff between DynamoDB's
# two tries and the request's own work; a hang would take the old 10-30 s.
INGEST_BOUND_S = STORE_TIMEOUT_S + 1.5
FILL_LIMIT = 600  # events posted at most while filling the capped file
ROOM_PAGES = 48  # the cap: this many pages above the file's size when it is set


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=float(int(time.time())))


def _serve(
    service_factory: Callable[..., RunningService], clock: FakeClock, **settings: Any
) -> RunningService:
    return service_factory(
        ports={"clock": clock},
        store_timeout=STORE_TIMEOUT_S,
        health_probe_timeout=PROBE_TIMEOUT_S,
        **settings,
    )


def _healthz(http: httpx.Client, clock: FakeClock) -> tuple[httpx.Response, float]:
    """/healthz past the cache of the previous answer, and how long it took."""
    clock.advance(HEALTH_TTL_S)
    started = time.perf_counter()
    answer = http.get("/healthz")
    return answer, time.perf_counter() - started


def _ingest(http: httpx.Client, event: dict[str, Any]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    answer = http.post("/ingest", json=event)
    return answer, time.perf_counter() - started


def _rest_write(http: httpx.Client) -> tuple[httpx.Response, float]:
    """A REST API write (DELETE of an agent: a store write whatever the agent)."""
    started = time.perf_counter()
    answer = http.delete("/agents/123456789012")
    return answer, time.perf_counter() - started


def _assert_failing(answer: httpx.Response, took: float, check: str) -> str:
    body = answer.json()
    assert (answer.status_code, body["status"]) == (503, "failing"), body
    assert body["checks"][check]["status"] == "failing", body
    assert answer.headers["retry-after"] == str(int(HEALTH_TTL_S))
    assert took < HEALTH_BOUND_S, f"/healthz took {took:.2f} s"
    return str(body["checks"][check]["detail"])


def _assert_retry(answer: httpx.Response, took: float) -> None:
    """A 503 asking to retry, well before the hang it used to be."""
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    assert took < INGEST_BOUND_S, f"/ingest took {took:.2f} s"


def _recovered(http: httpx.Client, clock: FakeClock, event: dict[str, Any]) -> float:
    """/healthz "ok" again and an ingest accepted; the real seconds it took (a probe
    still stuck in the store is waited out, one cache period at a time)."""
    started = time.perf_counter()
    for _ in range(20):
        answer, _took = _healthz(http, clock)
        if answer.status_code == 200:
            break
        time.sleep(0.25)
    assert answer.json()["status"] == "ok", answer.json()
    assert _ingest(http, event)[0].status_code == 202
    return time.perf_counter() - started


def _cap_pages(db: SqliteDatabase, pages: int) -> None:
    """`PRAGMA max_page_count` on every connection the service holds and will open: the
    file may grow to `pages` and no further, as a full disk would have it."""
    pragma = f"PRAGMA max_page_count = {pages}"
    db._pragmas = (*db._pragmas, pragma)
    for _thread, conn in list(db._connections):
        conn.execute(pragma)


# --- SQLite, full ------------------------------------------------------------------------


def test_sqlite_full_is_failing_and_503_and_nothing_stored_is_lost(
    service_factory, client_for, clock, figures: Figures
):
    service = _serve(service_factory, clock)
    http = client_for(service)
    assert _healthz(http, clock)[0].json()["status"] == "ok"
    db: SqliteDatabase = service.services.alerts._db  # type: ignore[attr-defined]
    size = db.execute("PRAGMA page_count").fetchone()[0]
    _cap_pages(db, size + ROOM_PAGES)

    events = storm_of(4, FILL_LIMIT // 4, prefix="full")
    accepted: list[str] = []
    refused: httpx.Response | None = None
    for event in events:
        answer, took = _ingest(http, event)
        if answer.status_code == 503:
            refused, refused_took = answer, took
            break
        assert answer.status_code == 202, answer.text
        accepted += answer.json()["ids"]
    assert refused is not None, f"{len(accepted)} events fit in {ROOM_PAGES} pages"
    _assert_retry(refused, refused_took)
    assert "full" in refused.json()["error"]

    answer, took = _healthz(http, clock)
    detail = _assert_failing(answer, took, "alert_store")
    assert detail.startswith("write: ") and "full" in detail, detail

    stored = in_store(service.services.events, clock.now)
    lost = [event_id for event_id in accepted if not stored(event_id)]
    assert accepted and not lost

    _cap_pages(db, 2**30)  # room again, as when the disk is cleared
    healed = _recovered(http, clock, events[-1])
    figures.add(
        "faults",
        "SQLite disk full (max_page_count)",
        f"{len(accepted)} events stored, then /ingest 503 + Retry-After in {refused_took:.2f} s;"
        f" /healthz failing in {took:.2f} s ({detail[:60]}); 0 lost; ok again in"
        f" {healed:.2f} s once there was room",
    )


# --- a frozen store ----------------------------------------------------------------------


def _frozen(
    service: RunningService,
    http: httpx.Client,
    clock: FakeClock,
    freeze: Callable[[], Callable[[], None]],
    prefix: str,
) -> str:
    """Ingest one event, freeze the store (`freeze` returns the thaw), and check what each
    route answers while it is frozen and once it is thawed; the figure's words."""
    events = storm_of(2, 2, prefix=prefix)
    assert _ingest(http, events[0])[0].status_code == 202
    assert _healthz(http, clock)[0].json()["status"] == "ok"
    thaw = freeze()
    try:
        answer, health_took = _healthz(http, clock)
        detail = _assert_failing(answer, health_took, "alert_store")
        refused, ingest_took = _ingest(http, events[1])
        _assert_retry(refused, ingest_took)
        _assert_retry(*_rest_write(http))
    finally:
        thaw()
    assert in_store(service.services.events, clock.now)(events[0]["id"])
    healed = _recovered(http, clock, events[2])
    return (
        f"/healthz failing in {health_took:.2f} s ({detail[:90]}); /ingest 503 + Retry-After"
        f" in {ingest_took:.2f} s (deadline {STORE_TIMEOUT_S} s), a REST write too;"
        f" ok again in {healed:.2f} s"
    )


def test_sqlite_under_a_held_lock_is_failing_and_503_within_the_deadline(
    service_factory, client_for, clock, figures: Figures
):
    service = _serve(service_factory, clock)

    def hold_the_lock() -> Callable[[], None]:
        holder = sqlite3.connect(service.services.settings.sqlite_path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        return holder.close

    held = _frozen(service, client_for(service), clock, hold_the_lock, "locked")
    figures.add(
        "faults", "SQLite frozen (BEGIN EXCLUSIVE held)", f"{held} after the lock was released"
    )


@pytest.fixture(scope="module")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    """An instance of this module's own: it is stopped with SIGSTOP."""
    with dummy_aws_credentials(), DynamoDBLocal() as local:
        yield local


def test_dynamodb_local_stopped_is_failing_and_503_within_the_deadline(
    dynamodb_local: DynamoDBLocal,
    service_factory,
    client_for,
    clock,
    monkeypatch: pytest.MonkeyPatch,
    figures: Figures,
):
    # DynamoDB Local keeps tables apart by access key: the table is made with the keys of
    # the process's botocore session, which the service's client uses (the first it found).
    keys = aws_session.session().get_credentials().get_frozen_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys.secret_key)
    table = fresh_table_name()
    create_table(table=table, endpoint=dynamodb_local.endpoint, region=REGION)
    service = _serve(
        service_factory,
        clock,
        store="dynamodb",
        aws_endpoint=dynamodb_local.endpoint,
        aws_dynamodb_table=table,
        aws_region=REGION,
    )
    pid = dynamodb_local._process.pid  # type: ignore[union-attr]

    def stop_the_process() -> Callable[[], None]:
        os.kill(pid, signal.SIGSTOP)
        return lambda: os.kill(pid, signal.SIGCONT)

    held = _frozen(service, client_for(service), clock, stop_the_process, "stopped")
    figures.add("faults", "DynamoDB Local frozen (SIGSTOP)", f"{held} after SIGCONT")
