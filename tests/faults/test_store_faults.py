"""The store failing in the middle of a batch: POST /ingest of a JSON array whose k-th
event's write raises, on SQLite (one transaction per batch) and on DynamoDB (moto's
server; one conditional PutItem per event, several at once, so all but the k-th are
written).

Whatever the first answer says, an event it lists as accepted must be stored; the
sender then re-sends the whole batch, as a 503 asks: that must give duplicates, never
doubles, and every alert of the batch must end with exactly one root in Slack.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from adapters.dynamodb.schema import create_table
from bot.models import Alert
from tests.contract.conftest import MOTO, REGION, dummy_aws_credentials, fresh_table_name
from tests.e2e.conftest import RunningService
from tests.fakes import FakeClock
from tests.faults.support import audit, fast_chat, in_store, settle, storm_of, throttle_put
from tests.figures import Figures
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack_e2e import CHANNEL

ALERTS = 6
REPEATS = 2
FAIL_AT = 5  # the k-th write of the batch raises


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's DynamoDB server, the contract suite's; stopped when this module is done."""
    with dummy_aws_credentials():
        yield MOTO.url()
    MOTO.close()


def _fail_sqlite_write(service: RunningService, k: int) -> list[int]:
    """The SQLite event store's k-th insert raises a disk error (once)."""
    store: Any = service.services.events
    original, calls = store._insert, [0]

    def insert(conn: sqlite3.Connection, event: Any) -> bool:
        calls[0] += 1
        if calls[0] == k:
            raise sqlite3.OperationalError("disk I/O error")
        return original(conn, event)

    store._insert = insert
    return calls


@pytest.fixture(params=["sqlite", "dynamodb"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def faulty(
    store_kind: str,
    service_factory: Callable[..., RunningService],
    fake_slack: FakeSlack,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> RunningService:
    """The service on the given store, whose k-th event write of the next batch fails."""
    fake_slack.rate_limits = True
    extra: dict[str, Any] = {}
    if store_kind == "dynamodb":
        url = request.getfixturevalue("moto_url")
        table = fresh_table_name()
        create_table(table=table, endpoint=url, region=REGION)
        extra = {"store": "dynamodb", "aws_endpoint": url, "aws_dynamodb_table": table}
    service = service_factory(
        ports={"clock": clock, "chat": fast_chat(fake_slack.url, clock)},
        slack_bot_token="xoxb-test", slack_api_url=fake_slack.url, slack_alerts_channel=CHANNEL,
        aws_region=REGION, **extra,
    )  # fmt: skip
    if store_kind == "dynamodb":
        throttle_put(service.services.events, FAIL_AT, monkeypatch)
    else:
        _fail_sqlite_write(service, FAIL_AT)
    return service


def test_a_store_failure_mid_batch_loses_nothing_and_doubles_nothing(
    faulty: RunningService,
    client_for: Callable[[RunningService], Any],
    fake_slack: FakeSlack,
    clock: FakeClock,
    store_kind: str,
    figures: Figures,
) -> None:
    """First answer: whatever it is, its ids are stored. Re-sent twice: the batch ends
    stored once, counted once per event, and posted once per alert."""
    http = client_for(faulty)
    batch = storm_of(ALERTS, REPEATS, prefix=f"batch-{store_kind}")
    try:
        first = http.post("/ingest", json=batch)
        status = str(first.status_code)
        accepted = list(first.json()["ids"]) if first.status_code == 202 else []
    except httpx.TransportError as err:  # no answer at all is an error answer too
        status, accepted = type(err).__name__, []
    is_stored = in_store(faulty.services.events, clock.now)
    assert all(is_stored(i) for i in accepted)  # what the answer claims is there

    clock.advance(1)
    http = client_for(faulty)  # a new connection: the server may have dropped the old one
    again = http.post("/ingest", json=batch)  # the sender retries the whole batch
    assert again.status_code == 202, again.text
    answer = again.json()
    assert len(answer["ids"]) == len(batch) and answer["rejected"] == []
    assert answer["stored"] + answer["duplicates"] == len(batch)
    clock.advance(1)
    third = http.post("/ingest", json=batch).json()  # and once more: all duplicates
    assert (third["stored"], third["duplicates"]) == (0, len(batch))
    accepted += answer["ids"]
    settle(lambda: faulty.services.delivery, clock)

    records: list[Alert] = faulty.services.alerts.list_alerts(limit=1000)
    result = audit(fake_slack, records, accepted, is_stored)
    counted = sum(r.count for r in records if r.kind == "alert")
    figures.add(
        "faults",
        f"store fails on write {FAIL_AT} of a {len(batch)}-event batch ({store_kind})",
        f"first answer {status}, {result.line()}, {result.alerts}/{ALERTS} alerts posted, "
        f"{len(batch) - counted} stored events never alerted on",
    )
    result.assert_clean()
    assert counted == len(batch)  # each event counted in its alert once: none twice, none lost
    assert (result.alerts, result.roots) == (ALERTS, ALERTS)  # every alert posted, once


def test_a_store_failure_is_answered_503_retry_not_500(
    faulty: RunningService, client_for: Callable[[RunningService], Any], store_kind: str
) -> None:
    """A store failure must tell the sender to retry (503 and Retry-After, an error in
    the API's shape), never a bare 500."""
    answer = client_for(faulty).post("/ingest", json=storm_of(ALERTS, REPEATS, prefix="503"))
    assert answer.status_code == 503, answer.text
    assert answer.headers.get("retry-after") and "error" in answer.json()
