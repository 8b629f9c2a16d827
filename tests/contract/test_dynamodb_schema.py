"""The DynamoDB table: its schema, defined once and created idempotently, and the key design
that the stores rely on, on moto and on Amazon's DynamoDB Local.

The store behaviour itself is the shared contract suite; these tests pin what is specific to
DynamoDB: the CreateTable parameters (what serverless.yml must match), item keys, the
queries a listing makes, and how failures reach the core.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError as PydanticValidationError
from pynamodb.connection.base import Connection
from pynamodb.exceptions import PutError

from adapters.dynamodb.models import ITEM_KINDS, TableItem
from adapters.dynamodb.schema import (
    TTL_ATTRIBUTE,
    TableSetupError,
    create_table,
    schema_of,
    table_definition,
)
from adapters.dynamodb.stores import PUT_WORKERS, DynamoStores, open_stores
from bot.config import Settings
from bot.cursors import CursorCodec
from bot.errors import AlreadyAppliedError, NotFoundError, UnprocessedError, ValidationError
from bot.models import (
    Agent,
    Alert,
    AlertStatus,
    Direction,
    Event,
    EventQueryResult,
    ListEventsDTO,
    Outbox,
    PaginatedInputDTO,
    Silence,
)
from tests.contract.conftest import (
    DYNAMODB_LOCAL,
    MOTO,
    REGION,
    Pager,
    dummy_aws_credentials,
    fresh_table_name,
)
from tests.factories import changes
from tests.factories.changes import ACCOUNT
from tests.factories.changes import REGION as CHANGE_REGION

ENDPOINTS = {"moto": MOTO, "dynamodb-local": DYNAMODB_LOCAL}
T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
OLD = 1_559_347_200  # 2019-06-01T00:00:00Z
FAR = T0 + 10 * 365 * 86400

EXPECTED_DEFINITION = {
    "TableName": "monitoring",
    "AttributeDefinitions": [
        {"AttributeName": name, "AttributeType": "S"}
        for name in ("pk", "sk", *(f"gsi{n}{k}" for n in (1, 2, 3, 4, 5) for k in ("pk", "sk")))
    ],
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": f"gsi{n}",
            "KeySchema": [
                {"AttributeName": f"gsi{n}pk", "KeyType": "HASH"},
                {"AttributeName": f"gsi{n}sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for n in (1, 2, 3, 4, 5)
    ],
    "BillingMode": "PAY_PER_REQUEST",
}


@pytest.fixture(params=list(ENDPOINTS))
def endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    url = ENDPOINTS[request.param].url()
    with dummy_aws_credentials():
        yield url


@pytest.fixture
def client(endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)


@pytest.fixture
def table(client: Any) -> Iterator[str]:
    name = fresh_table_name()
    yield name
    with suppress(client.exceptions.ResourceNotFoundException):
        client.delete_table(TableName=name)


@pytest.fixture
def stores(endpoint: str, table: str) -> DynamoStores:
    create_table(table=table, endpoint=endpoint, region=REGION)
    return open_stores(table=table, endpoint=endpoint, region=REGION, codec=CursorCodec("k"))


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The DynamoDB operations that pynamodb sends, counted by name (from any thread: a
    batch's puts are sent from the store's put threads)."""
    sent: Counter[str] = Counter()
    dispatch = Connection.dispatch
    lock = threading.Lock()

    def counting(self: Connection, operation_name: str, kwargs: dict[str, Any]) -> Any:
        with lock:
            sent[operation_name] += 1
        return dispatch(self, operation_name, kwargs)

    monkeypatch.setattr(Connection, "dispatch", counting)
    return sent


def event(event_id: str, published_at: int = T0, expired_at: int = FAR, **fields: Any) -> Event:
    values: dict[str, Any] = {
        "id": event_id,
        "account": "123456789012",
        "source": "aws.cloudwatch",
        "published_at": published_at,
        "updated_at": published_at,
        "received_at": T0,
        "expired_at": expired_at,
    }
    return Event(**{**values, **fields})


def raw_item(client: Any, table: str, pk: str, sk: str) -> dict[str, Any]:
    """The item as DynamoDB holds it, attribute name → plain value."""
    item = client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})["Item"]
    return {name: next(iter(value.values())) for name, value in item.items()}


# --- the schema, defined once ----------------------------------------------------------------


def test_the_definition_is_derived_from_the_models() -> None:
    assert table_definition("monitoring") == EXPECTED_DEFINITION
    assert TTL_ATTRIBUTE == "expired_at"
    for kind in ITEM_KINDS:
        assert kind._get_schema() == TableItem._get_schema(), kind.__name__
        ttl = kind.get_attributes().get("expired_at")
        assert ttl is None or ttl.attr_name == TTL_ATTRIBUTE


def test_create_table_creates_once_as_defined_with_ttl(
    client: Any, endpoint: str, table: str
) -> None:
    assert create_table(table=table, endpoint=endpoint, region=REGION) is True
    assert create_table(table=table, endpoint=endpoint, region=REGION) is False
    described = client.describe_table(TableName=table)["Table"]
    assert described["TableStatus"] == "ACTIVE"
    assert schema_of(described) == schema_of(table_definition(table))
    ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", TTL_ATTRIBUTE)


def test_create_table_takes_the_settings(client: Any, endpoint: str, table: str) -> None:
    settings = Settings(aws_dynamodb_table=table, aws_endpoint=endpoint, aws_region=REGION)
    assert create_table(settings) is True
    assert create_table(settings) is False
    assert table in client.list_tables()["TableNames"]


def test_an_existing_table_with_other_keys_is_refused(
    client: Any, endpoint: str, table: str
) -> None:
    client.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    with pytest.raises(TableSetupError, match="other keys or indexes"):
        create_table(table=table, endpoint=endpoint, region=REGION)


@pytest.mark.parametrize("added", [("gsi5",), ("gsi4", "gsi5")], ids=["gsi5", "gsi4+gsi5"])
def test_a_table_of_an_earlier_version_gets_the_indexes_added_since(
    client: Any, endpoint: str, table: str, added: tuple[str, ...]
) -> None:
    definition = table_definition(table)
    earlier = [i for i in definition["GlobalSecondaryIndexes"] if i["IndexName"] not in added]
    client.create_table(
        **{
            **definition,
            "GlobalSecondaryIndexes": earlier,
            "AttributeDefinitions": [
                a
                for a in definition["AttributeDefinitions"]
                if not a["AttributeName"].startswith(added)
            ],
        }
    )
    assert create_table(table=table, endpoint=endpoint, region=REGION) is False
    described = client.describe_table(TableName=table)["Table"]
    assert schema_of(described) == schema_of(definition)


# --- the key design --------------------------------------------------------------------------


def test_items_are_keyed_as_designed(client: Any, table: str, stores: DynamoStores) -> None:
    stores.events.create(event("evt-1"))
    stores.agents.create(Agent(id="123456789012", region="eu-west-1"))
    stores.alerts.create_alert(
        Alert(id="al-1", fingerprint="fp-1", channel="C1", first_seen=T0, last_seen=T0 + 5),
        applied="evt-1",
    )
    stores.alerts.create_alert(
        Alert(id="n-1", fingerprint="fp-1", channel="C1", kind="notification", first_seen=T0,
              last_seen=T0)
    )  # fmt: skip
    stores.alerts.create_silence(
        Silence(id="s-1", matcher="fp-1", created_by="U1", created_at=T0, expires_at=T0 + 60)
    )
    stored = raw_item(client, table, "EVENT#evt-1", "EVENT")
    assert (stored["gsi1pk"], stored["gsi1sk"]) == ("EVENTS#2023-11-14", "001700000000#evt-1")
    assert (stored["source"], stored["account"], stored["expired_at"]) == (
        "aws.cloudwatch",
        "123456789012",
        str(FAR),
    )
    assert Event.model_validate_json(stored["body"]) == event("evt-1")
    day_expiry = int(raw_item(client, table, "EVENT_DAYS", "2023-11-14")["expired_at"])
    assert FAR <= day_expiry < FAR + 86_400  # rounded up to a midnight
    assert "body" in raw_item(client, table, "AGENT", "123456789012")
    alert = raw_item(client, table, "ALERT#al-1", "ALERT")
    assert (alert["gsi1pk"], alert["gsi1sk"]) == ("FP#fp-1@C1", "001700000000#al-1")
    assert raw_item(client, table, "ALERT#al-1", "APPLIED#evt-1") == {
        "pk": "ALERT#al-1",
        "sk": "APPLIED#evt-1",
    }
    note = raw_item(client, table, "ALERT#n-1", "ALERT")
    assert "gsi1pk" not in note and "gsi1sk" not in note  # found by id only
    assert (alert["gsi2pk"], alert["gsi2sk"], alert["version"]) == (
        "ALERTS#open",
        "001700000005#al-1",
        "0",
    )
    assert "gsi3pk" not in alert and "gsi3sk" not in alert  # not pending: not in gsi3
    silence = raw_item(client, table, "SILENCE#s-1", "SILENCE")
    assert (silence["gsi2pk"], silence["gsi2sk"]) == ("SILENCES", "001700000060#s-1")
    assert silence["expired_at"] == str(T0 + 60)


def test_a_table_created_now_is_marked_and_never_asked_for_older_keys(
    client: Any, table: str, stores: DynamoStores
) -> None:
    marker = raw_item(client, table, "STATE#table:alert-keys", "STATE")
    assert '"older_forms":false' in marker["body"]
    queries: list[str] = []
    real = stores.alerts._newest

    def newest(partition: str) -> Any:
        queries.append(partition)
        return real(partition)

    stores.alerts._newest = newest  # type: ignore[method-assign]
    assert stores.alerts.find_alert("never-seen", "C1") is None
    assert queries == ["FP#never-seen@C1"]  # the new key alone


def test_a_storm_member_is_in_gsi4_under_its_storm(
    client: Any, table: str, stores: DynamoStores
) -> None:
    stores.alerts.create_alert(Alert(id="m-1", fingerprint="f", first_seen=T0, last_seen=T0,
                                     parent_id="s-1"))  # fmt: skip
    stores.alerts.create_alert(Alert(id="a-1", fingerprint="g", first_seen=T0, last_seen=T0))
    member = raw_item(client, table, "ALERT#m-1", "ALERT")
    assert (member["gsi4pk"], member["gsi4sk"]) == ("MEMBERS#s-1", "m-1")
    assert "gsi4pk" not in raw_item(client, table, "ALERT#a-1", "ALERT")  # no storm: not in gsi4


def test_a_change_is_in_gsi5_under_its_account_and_region(
    client: Any, table: str, stores: DynamoStores
) -> None:
    stores.events.create(changes.stack(published_at=T0, event_id="c-1"))
    stores.events.create(changes.stack_resource(published_at=T0, event_id="r-1"))
    stores.events.create(changes.pipeline(published_at=T0, event_id="p-1", region=None))
    change = raw_item(client, table, "EVENT#c-1", "EVENT")
    assert (change["gsi5pk"], change["gsi5sk"]) == (
        f"CHANGES#{ACCOUNT}#{CHANGE_REGION}",
        "001700000000#c-1",
    )
    no_region = raw_item(client, table, "EVENT#p-1", "EVENT")
    assert no_region["gsi5pk"] == f"CHANGES#{ACCOUNT}#"
    resource = raw_item(client, table, "EVENT#r-1", "EVENT")
    assert "gsi5pk" not in resource and "gsi5sk" not in resource  # no change: not in gsi5


def test_a_change_whose_scope_is_too_long_for_a_key_is_stored_unindexed(
    client: Any, table: str, stores: DynamoStores
) -> None:
    long = changes.pipeline(published_at=T0, event_id="p-long", region="r" * 2100)
    assert stores.events.create(long) is True
    assert "gsi5pk" not in raw_item(client, table, "EVENT#p-long", "EVENT")
    assert stores.events.get("p-long", T0) == long
    assert stores.events.list_changes(ACCOUNT, "r" * 2100, T0, T0, 5) == []


def test_a_pending_alert_is_in_gsi3_only_while_pending(
    client: Any, table: str, stores: DynamoStores
) -> None:
    stores.alerts.create_alert(
        Alert(
            id="al-1",
            fingerprint="fp-1",
            first_seen=T0,
            last_seen=T0,
            outbox=Outbox(pending=True, next_attempt_at=T0 + 7),
        )
    )
    pending = raw_item(client, table, "ALERT#al-1", "ALERT")
    assert (pending["gsi3pk"], pending["gsi3sk"]) == ("PENDING", "001700000007#al-1")
    posted = stores.alerts.get_alert("al-1").with_outbox(pending=False)
    stores.alerts.update_alert(posted)
    done = raw_item(client, table, "ALERT#al-1", "ALERT")
    assert "gsi3pk" not in done and "gsi3sk" not in done


def put_old_alert(client: Any, table: str, record: Alert, fingerprint: str) -> None:
    """An alert item as it was written when the fingerprint carried the channel."""
    client.put_item(
        TableName=table,
        Item={
            "pk": {"S": f"ALERT#{record.id}"},
            "sk": {"S": "ALERT"},
            "gsi1pk": {"S": f"FP#{fingerprint}"},
            "gsi1sk": {"S": f"{record.first_seen:012d}#{record.id}"},
            "gsi2pk": {"S": f"ALERTS#{record.status.value}"},
            "gsi2sk": {"S": f"{record.last_seen:012d}#{record.id}"},
            "version": {"N": str(record.version)},
            "body": {"S": record.model_copy(update={"fingerprint": fingerprint}).model_dump_json()},
        },
    )


def test_find_alert_reads_the_older_key_only_when_the_new_one_finds_nothing(
    client: Any, table: str, stores: DynamoStores, requests: Counter[str]
) -> None:
    """One Query on a hit, and on an old record routed away from the default channel
    (whose key is the new key); two on a miss, or on an old record of the default channel;
    one on a later miss of a fingerprint whose older key was found empty (nothing writes
    that key any more)."""
    client.delete_item(  # an earlier version's table: not marked as holding new keys only
        TableName=table, Key={"pk": {"S": "STATE#table:alert-keys"}, "sk": {"S": "STATE"}}
    )
    assert stores.alerts._may_be_older()  # read once, before the counted lookups
    new = Alert(id="new", fingerprint="fp-1", channel="C1", first_seen=T0, last_seen=T0)
    stores.alerts.create_alert(new)
    put_old_alert(client, table, new.model_copy(update={"id": "home", "fingerprint": "fp-2"}),
                  "fp-2")  # fmt: skip
    routed = new.model_copy(update={"id": "routed", "fingerprint": "fp-3", "channel": "C2"})
    put_old_alert(client, table, routed, "fp-3@C2")
    for fingerprint, channel, found, queries in (
        ("fp-1", "C1", "new", 1),
        ("fp-3", "C2", "routed", 1),
        ("fp-2", "C1", "home", 2),
        ("fp-1", "C9", None, 2),
        ("fp-2", "C2", None, 2),  # the default channel's old record is not C2's
        ("fp-1", "C8", None, 1),  # fp-1's older key was found empty: not asked again
        ("fp-2", "C3", None, 2),  # fp-2's is not empty: asked again
    ):
        requests.clear()
        alert = stores.alerts.find_alert(fingerprint, channel)
        assert (alert.id if alert else None) == found
        assert alert is None or alert.fingerprint == fingerprint
        assert requests == Counter({"Query": queries}), (fingerprint, channel)
    home = stores.alerts.get_alert("home")
    stores.alerts.update_alert(home.model_copy(update={"count": 2}))
    assert raw_item(client, table, "ALERT#home", "ALERT")["gsi1pk"] == "FP#fp-2@C1"
    requests.clear()
    assert stores.alerts.find_alert("fp-2", "C1").count == 2
    assert requests == Counter({"Query": 1})  # rewritten: found under the new key


def test_an_application_is_one_transaction_in_place_of_the_put(
    stores: DynamoStores, requests: Counter[str]
) -> None:
    """What recording an application costs: the alert's PutItem becomes a
    TransactWriteItems of two Puts (the alert's and the application's), in one request."""
    record = Alert(id="a", fingerprint="fp-1", channel="C1", first_seen=T0, last_seen=T0)
    stores.alerts.create_alert(record, applied="e1")
    written = stores.alerts.update_alert(record.model_copy(update={"count": 2}), applied="e2")
    assert requests == Counter({"TransactWriteItems": 2})
    requests.clear()
    stores.alerts.update_alert(written.with_outbox(pending=True))
    assert stores.alerts.was_applied("a", "e2")
    assert requests == Counter({"PutItem": 1, "GetItem": 1})
    requests.clear()
    with pytest.raises(AlreadyAppliedError):
        stores.alerts.update_alert(stores.alerts.get_alert("a"), applied="e1")
    assert requests == Counter({"GetItem": 2, "TransactWriteItems": 1})


def test_an_application_key_too_long_for_dynamodb_goes_by_its_digest(
    stores: DynamoStores,
) -> None:
    record = Alert(id="a", fingerprint="fp-1", channel="C1", first_seen=T0, last_seen=T0)
    long_key = "x" * 2000
    stores.alerts.create_alert(record, applied=long_key)
    assert stores.alerts.was_applied("a", long_key)
    assert not stores.alerts.was_applied("a", long_key + "y")


def test_a_listing_queries_only_days_that_hold_events(
    stores: DynamoStores, requests: Counter[str]
) -> None:
    """An event published in 2019 but received today is alive; an open range must find it
    without a Query for each of the ~1,600 empty days in between."""
    stores.events.create_many([event("old", OLD), event("new", T0), event("new-2", T0 + 1)])
    requests.clear()
    page = stores.events.list(ListEventsDTO(limit=10, direction="asc"), T0 + 60)
    assert [e.id for e in page.items] == ["old", "new", "new-2"]
    assert requests == Counter({"Query": 3})  # EVENT_DAYS, then the two days that hold events
    requests.clear()
    in_2019 = ListEventsDTO(start_date=OLD - 86400, end_date=OLD + 86400)
    assert [e.id for e in stores.events.list(in_2019, T0 + 60).items] == ["old"]
    assert requests == Counter({"Query": 2})


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_cursors_walk_across_days_and_skip_the_filtered_and_expired(
    stores: DynamoStores, pager: Pager, direction: Direction
) -> None:
    """The contract's data sits in one day; here pages start and end in different days."""
    day = 86400
    events = [
        event(f"d{n}", T0 + (n // 3) * day + n, source="aws.health" if n % 4 == 0 else "aws.ecs")
        for n in range(12)
    ] + [event("expired", T0 + 5 * day, expired_at=T0 + 10), event("old", OLD)]
    stores.events.create_many(events)
    wanted = [e for e in events if e.source == "aws.ecs" and e.id != "expired"]
    expected = [e.id for e in sorted(wanted, key=lambda e: (e.published_at, e.id))]
    if direction == "desc":
        expected.reverse()

    def list_page(cursor: str | None) -> EventQueryResult:
        dto = ListEventsDTO(limit=2, direction=direction, cursor=cursor, source="aws.ecs")
        return stores.events.list(dto, T0 + 60)

    pager.assert_round_trip(list_page, expected, 2)


def test_a_batch_records_each_day_once_and_puts_each_event_once(
    stores: DynamoStores, requests: Counter[str]
) -> None:
    batch = [event(f"e{n}", T0 + n) for n in range(3)] + [event("old", OLD), event("e0")]
    assert stores.events.create_many(batch) == [True, True, True, True, False]
    assert requests == Counter({"UpdateItem": 2, "PutItem": 4})  # the repeat costs nothing


def test_a_batch_puts_up_to_put_workers_events_at_once(
    stores: DynamoStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each PutItem waits until PUT_WORKERS of them are in flight together: one at a time,
    the batch would never get past the first."""
    together = threading.Barrier(PUT_WORKERS)
    in_flight, most = [0], [0]
    lock = threading.Lock()
    dispatch = Connection.dispatch

    def gathered(self: Connection, operation_name: str, kwargs: dict[str, Any]) -> Any:
        if operation_name != "PutItem":
            return dispatch(self, operation_name, kwargs)
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            together.wait(timeout=30)
            return dispatch(self, operation_name, kwargs)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(Connection, "dispatch", gathered)
    batch = [event(f"e{n}", T0 + n) for n in range(2 * PUT_WORKERS)]
    assert stores.events.create_many(batch) == [True] * len(batch)
    assert most[0] == PUT_WORKERS
    assert [stores.events.get(e.id, T0) for e in batch] == batch


def test_a_put_that_fails_fails_the_batch_after_the_others_finished(
    stores: DynamoStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing is written after the answer: the error comes once every put has ended, and
    the batch sent again finds exactly the failed event new."""
    model: Any = stores.events._events
    save = model.save

    def throttled(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.pk == "EVENT#e3":
            error = {"Code": "ProvisionedThroughputExceededException", "Message": "throttled"}
            raise PutError("Failed to put item", cause=ClientError({"Error": error}, "PutItem"))
        return save(self, *args, **kwargs)

    batch = [event(f"e{n}", T0 + n) for n in range(12)]
    monkeypatch.setattr(model, "save", throttled)
    with pytest.raises(UnprocessedError, match=r"store event 'e3'.*throttled"):
        stores.events.create_many(batch)
    others = [e for e in batch if e.id != "e3"]
    assert [stores.events.get(e.id, T0) for e in others] == others  # all written already
    monkeypatch.setattr(model, "save", save)
    assert stores.events.create_many(batch) == [e.id == "e3" for e in batch]


def test_a_day_lasts_as_long_as_its_longest_lived_event(
    client: Any, table: str, endpoint: str, stores: DynamoStores
) -> None:
    def day_expiry() -> str:
        return raw_item(client, table, "EVENT_DAYS", "2023-11-14")["expired_at"]

    def midnight_after(t: int) -> str:
        return str(-(-t // 86_400) * 86_400)

    stores.events.create(event("a", expired_at=T0 + 100))
    stores.events.create(event("b", expired_at=T0 + 50))
    assert day_expiry() == midnight_after(T0 + 100)
    stores.events.create(event("c", expired_at=T0 + 3 * 86_400))
    assert day_expiry() == midnight_after(T0 + 3 * 86_400)
    stores.events.create(event("d", expired_at=0))  # never expires: nor does its day
    stores.events.create(event("e", expired_at=T0 + 900))
    assert day_expiry() == "0"
    # Another process (no memory of what was written) never shortens the bucket either.
    fresh = open_stores(table=table, endpoint=endpoint, region=REGION, codec=CursorCodec("k"))
    fresh.events.create(event("f", expired_at=T0 + 5))
    assert day_expiry() == "0"
    # A day whose events all expired is skipped without querying its partition.
    stores.events.create(event("gone", OLD, expired_at=T0 + 10))
    assert [e.id for e in stores.events.list(ListEventsDTO(end_date=OLD + 1), T0 + 10).items] == []


def test_a_day_bucket_is_written_about_once_a_day_not_per_event(
    stores: DynamoStores, requests: Counter[str]
) -> None:
    for n in range(5):  # one event per call, as a Lambda receives them
        stores.events.create(event(f"s{n}", T0 + n, expired_at=T0 + 604_800 + n))
    assert requests == Counter({"UpdateItem": 1, "PutItem": 5})


def unchecked(event_id: str, published_at: int) -> Event:
    """An event the model would refuse, as if it got past validation."""
    return event("template").model_copy(
        update={"id": event_id, "published_at": published_at, "updated_at": published_at}
    )


def test_a_time_no_key_can_hold_is_refused_before_anything_is_written(
    stores: DynamoStores,
) -> None:
    with pytest.raises(PydanticValidationError, match="published_at"):
        event("far", 253_402_300_800)  # the model refuses it first
    with pytest.raises(ValidationError, match="published_at"):
        stores.events.create_many([event("fine"), unchecked("far", 253_402_300_800)])
    with pytest.raises(ValidationError, match="published_at"):
        stores.events.create(unchecked("before-1970", -1))
    with pytest.raises(NotFoundError):
        stores.events.get("fine", T0)


def test_a_key_dynamodb_would_refuse_is_simply_not_found(stores: DynamoStores) -> None:
    with pytest.raises(NotFoundError):
        stores.events.get("x" * 3000, T0)
    with pytest.raises(NotFoundError):
        stores.agents.get("")
    assert stores.agents.exists("") is False


def test_dynamodb_failures_reach_the_core_as_unprocessed_errors(endpoint: str) -> None:
    missing = open_stores(
        table=fresh_table_name(), endpoint=endpoint, region=REGION, codec=CursorCodec("k")
    )
    calls = [
        lambda: missing.events.create(event("e")),
        lambda: missing.events.get("e", T0),
        lambda: missing.events.list(ListEventsDTO(), T0),
        lambda: missing.events.delete("e"),
        lambda: missing.agents.list(PaginatedInputDTO()),
        lambda: missing.alerts.find_alert("fp", "C1"),
        lambda: missing.alerts.list_alerts(AlertStatus.OPEN),
        lambda: missing.alerts.list_pending(T0),
        lambda: missing.alerts.list_silences(T0),
    ]
    for call in calls:
        with pytest.raises(UnprocessedError, match="DynamoDB could not"):
            call()


def test_stores_of_two_tables_in_one_process_stay_apart(endpoint: str, client: Any) -> None:
    names = [fresh_table_name(), fresh_table_name()]
    try:
        for name in names:
            create_table(table=name, endpoint=endpoint, region=REGION)
        first, second = (
            open_stores(table=name, endpoint=endpoint, region=REGION, codec=CursorCodec("k"))
            for name in names
        )
        first.events.create(event("only-in-first"))
        with pytest.raises(NotFoundError):
            second.events.get("only-in-first", T0)
    finally:
        for name in names:
            client.delete_table(TableName=name)
