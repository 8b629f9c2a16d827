"""The AlertStore contract on what a record says and what was applied to it.

Records written before `kind` and `channel` said what and where carried both in the
fingerprint (`<fp>@<channel>` outside the default channel, `<fp>#note` for a
notification), and records written before the outbox carried their delivery bookkeeping
at the top level: they are written here raw, as that code wrote them on each backend, and
must be found, read and rewritten in the new form until they expire.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from adapters.dynamodb.stores import TABLE_FORM_STATE, DynamoAlertStore
from adapters.memory import MemoryAlertStore
from adapters.sqlite import SqliteAlertStore
from bot.errors import AlreadyAppliedError, ConflictError, NotFoundError, StaleVersionError
from bot.models import Alert, AlertStatus, Outbox, Told
from bot.ports import AlertStore
from tests.contract.conftest import REGION

T0 = 1_700_000_000
HOME, ROUTED = "C1HOME", "C2OPS"


def alert(alert_id: str, **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "id": alert_id,
        "fingerprint": "fp",
        "channel": HOME,
        "title": "CPU high",
        "first_seen": T0,
        "last_seen": T0,
    }
    return Alert(**{**values, **fields})


# --- records as the older code wrote them ----------------------------------------------------


def write_old(store: AlertStore, record: Alert, fingerprint: str, body: str | None = None) -> None:
    """Store `record` exactly as it was stored when its fingerprint was `fingerprint`
    (its columns, index keys and body all saying so), bypassing the store's writes.
    `body`, when given, is the stored body instead of the record's own: the memory store,
    which keeps records rather than bodies, keeps what reading that body gives."""
    old = record.model_copy(update={"fingerprint": fingerprint})  # no validation: kept as is
    stored = old.model_dump_json() if body is None else body
    pending, due = old.outbox.pending, old.outbox.next_attempt_at
    if isinstance(store, MemoryAlertStore):
        store._alerts[old.id] = old if body is None else Alert.model_validate_json(body)
    elif isinstance(store, SqliteAlertStore):
        store._db.execute(
            "INSERT INTO alerts (id, fingerprint, status, first_seen, last_seen, version,"
            " pending, next_attempt_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (old.id, fingerprint, old.status.value, old.first_seen, old.last_seen, old.version,
             int(pending), due, stored),
        )  # fmt: skip
    else:
        assert isinstance(store, DynamoAlertStore)
        meta = store._alerts.Meta
        client = boto3.client("dynamodb", endpoint_url=meta.host, region_name=REGION)
        item = {
            "pk": {"S": f"ALERT#{old.id}"},
            "sk": {"S": "ALERT"},
            "gsi1pk": {"S": f"FP#{fingerprint}"},
            "gsi1sk": {"S": f"{old.first_seen:012d}#{old.id}"},
            "gsi2pk": {"S": f"ALERTS#{old.status.value}"},
            "gsi2sk": {"S": f"{old.last_seen:012d}#{old.id}"},
            "version": {"N": str(old.version)},
            "body": {"S": stored},
        }
        if pending:
            item |= {"gsi3pk": {"S": "PENDING"}, "gsi3sk": {"S": f"{due:012d}#{old.id}"}}
        client.put_item(TableName=meta.table_name, Item=item)
        # An earlier version's table: it carries no mark of holding the new keys only.
        marker = {"pk": {"S": f"STATE#{TABLE_FORM_STATE}"}, "sk": {"S": "STATE"}}
        client.delete_item(TableName=meta.table_name, Key=marker)


def stored_form(store: AlertStore, alert_id: str) -> tuple[str, str | None]:
    """What the backend holds for a record: its fingerprint as stored, and the key it is
    looked up by (None: in no lookup)."""
    if isinstance(store, MemoryAlertStore):
        held = store._alerts[alert_id]
        return held.fingerprint, held.fingerprint if held.kind == "alert" else None
    if isinstance(store, SqliteAlertStore):
        row = store._db.execute(  # the lookup index holds records of kind "alert" only
            "SELECT json_extract(body, '$.fingerprint'),"
            " iif(json_extract(body, '$.kind') = 'alert', fingerprint, NULL)"
            " FROM alerts WHERE id = ?",
            (alert_id,),
        ).fetchone()
        return row[0], row[1]
    item = dynamo_item(store, alert_id)
    return json.loads(item["body"]["S"])["fingerprint"], item.get("gsi1pk", {}).get("S")


def dynamo_item(store: AlertStore, alert_id: str) -> dict[str, Any]:
    """A record's item as DynamoDB holds it."""
    assert isinstance(store, DynamoAlertStore)
    meta = store._alerts.Meta
    client = boto3.client("dynamodb", endpoint_url=meta.host, region_name=REGION)
    key = {"pk": {"S": f"ALERT#{alert_id}"}, "sk": {"S": "ALERT"}}
    return dict(client.get_item(TableName=meta.table_name, Key=key)["Item"])


def stored_body(store: AlertStore, alert_id: str) -> dict[str, Any]:
    """A record's body as the backend holds it (the memory store: its record, dumped)."""
    if isinstance(store, MemoryAlertStore):
        return store._alerts[alert_id].model_dump(mode="json")
    if isinstance(store, SqliteAlertStore):
        row = store._db.execute("SELECT body FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return dict(json.loads(row[0]))
    return dict(json.loads(dynamo_item(store, alert_id)["body"]["S"]))


OLD_FORMS = {
    # id: (the record, the fingerprint the older code stored it under)
    "home": (alert("home"), "fp"),
    "routed": (alert("routed", channel=ROUTED), f"fp@{ROUTED}"),
    "home-note": (
        alert("home-note", kind="notification", status=AlertStatus.RESOLVED, first_seen=T0 + 9),
        "fp#note",
    ),
    "routed-note": (
        alert(
            "routed-note",
            kind="notification",
            channel=ROUTED,
            status=AlertStatus.RESOLVED,
            first_seen=T0 + 9,
        ),
        f"fp@{ROUTED}#note",
    ),
}


@pytest.fixture
def old_records(alert_store: AlertStore) -> AlertStore:
    for record, fingerprint in OLD_FORMS.values():
        write_old(alert_store, record, fingerprint)
    return alert_store


def test_old_form_records_are_found_by_fingerprint_and_channel(old_records: AlertStore) -> None:
    assert stored_form(old_records, "routed")[0] == f"fp@{ROUTED}"  # the fixture is old
    home, routed = old_records.find_alert("fp", HOME), old_records.find_alert("fp", ROUTED)
    assert home is not None and routed is not None
    assert (home.id, home.fingerprint, home.channel) == ("home", "fp", HOME)
    assert (routed.id, routed.fingerprint, routed.channel) == ("routed", "fp", ROUTED)
    assert old_records.find_alert("fp", "C3ELSEWHERE") is None
    for note in ("home-note", "routed-note"):  # newer, but never found as the alert
        read = old_records.get_alert(note)
        assert (read.fingerprint, read.kind) == ("fp", "notification")
    assert {a.fingerprint for a in old_records.list_alerts()} == {"fp"}


def test_an_old_form_record_is_rewritten_in_the_new_form_by_its_update(
    old_records: AlertStore,
) -> None:
    for alert_id in OLD_FORMS:
        read = old_records.get_alert(alert_id)
        old_records.update_alert(read.model_copy(update={"count": 2}), applied=f"e-{alert_id}")
        assert stored_form(old_records, alert_id)[0] == "fp"
    assert stored_form(old_records, "home-note")[1] is None  # a notification: in no lookup
    assert stored_form(old_records, "routed-note")[1] is None
    home, routed = old_records.find_alert("fp", HOME), old_records.find_alert("fp", ROUTED)
    assert home is not None and (home.id, home.count, home.version) == ("home", 2, 1)
    assert routed is not None and (routed.id, routed.count, routed.version) == ("routed", 2, 1)
    assert old_records.was_applied("home", "e-home")


def test_a_new_record_is_found_before_an_old_form_one(old_records: AlertStore) -> None:
    old_records.create_alert(alert("next-home", first_seen=T0 + 60))
    old_records.create_alert(alert("next-routed", channel=ROUTED, first_seen=T0 + 60))
    assert old_records.find_alert("fp", HOME).id == "next-home"
    assert old_records.find_alert("fp", ROUTED).id == "next-routed"


# Delivery bookkeeping as records held it before the outbox: at the top level of the body.
FLAT_OUTBOX: dict[str, Any] = {
    "pending": True,
    "next_attempt_at": T0 + 30,
    "attempts": 2,
    "in_flight": True,
    "dirty": True,
    "edited_at": T0 + 5,
    "replied_at": T0 + 6,
    "told": {"count": 3, "flaps": 1, "resolved": False},
    "told_members": {"m-1": {"count": 2, "flaps": 0, "resolved": True}},
    "event_ids": ["e1", "e2"],
}


def flat_body(record: Alert) -> str:
    """`record`'s body as written before the outbox held its bookkeeping."""
    body = record.model_dump(mode="json")
    del body["outbox"]
    return json.dumps({**body, **FLAT_OUTBOX})


def test_a_flat_old_form_record_reads_its_bookkeeping_into_its_outbox(
    alert_store: AlertStore,
) -> None:
    record = alert("flat", outbox=Outbox.model_validate(FLAT_OUTBOX))
    write_old(alert_store, record, "fp", body=flat_body(record))
    if not isinstance(alert_store, MemoryAlertStore):  # the fixture is flat
        assert "outbox" not in stored_body(alert_store, "flat")
        assert stored_body(alert_store, "flat")["pending"] is True
    read = alert_store.get_alert("flat")
    assert read.outbox == Outbox.model_validate(FLAT_OUTBOX)
    assert read == record
    assert alert_store.find_alert("fp", HOME) == record
    assert alert_store.list_pending(T0 + 30) == [record]
    assert alert_store.list_pending(T0 + 29) == []


def _with_defaults(outbox: dict[str, Any]) -> dict[str, Any]:
    """`outbox` with the defaults of what its `told` records gained since (`related`)."""
    told = Told().model_dump(mode="json")
    return {
        **outbox,
        "told": {**told, **outbox["told"]},
        "told_members": {k: {**told, **v} for k, v in outbox["told_members"].items()},
    }


def test_a_flat_old_form_record_is_rewritten_with_an_outbox_by_its_update(
    alert_store: AlertStore,
) -> None:
    record = alert("flat", outbox=Outbox.model_validate(FLAT_OUTBOX))
    write_old(alert_store, record, "fp", body=flat_body(record))
    written = alert_store.update_alert(
        alert_store.get_alert("flat").with_outbox(pending=False), applied="e3"
    )
    body = stored_body(alert_store, "flat")
    assert not body.keys() & FLAT_OUTBOX.keys()
    # the flat values, with what later fields of the outbox default to
    assert body["outbox"] == {**_with_defaults(FLAT_OUTBOX), "pending": False}
    assert alert_store.get_alert("flat") == written and written.version == 1
    assert alert_store.list_pending(T0 + 30) == []


def test_find_alert_is_per_channel_and_skips_notifications(alert_store: AlertStore) -> None:
    alert_store.create_alert(alert("a-home"))
    alert_store.create_alert(alert("a-routed", channel=ROUTED, first_seen=T0 - 5))
    alert_store.create_alert(alert("note", kind="notification", first_seen=T0 + 5))
    alert_store.create_alert(alert("storm", kind="storm", first_seen=T0 + 5))
    assert alert_store.find_alert("fp", HOME).id == "a-home"
    assert alert_store.find_alert("fp", ROUTED).id == "a-routed"
    assert alert_store.find_alert("fp", "C3ELSEWHERE") is None


# --- applications ----------------------------------------------------------------------------


def test_an_application_is_written_with_the_alert(alert_store: AlertStore) -> None:
    alert_store.create_alert(alert("a"), applied="e1")
    assert alert_store.was_applied("a", "e1")
    assert not alert_store.was_applied("a", "e2") and not alert_store.was_applied("b", "e1")
    read = alert_store.get_alert("a")
    written = alert_store.update_alert(read.model_copy(update={"count": 2}), applied="e2")
    assert written.version == 1 and alert_store.was_applied("a", "e2")
    assert alert_store.get_alert("a") == written
    alert_store.update_alert(written.with_outbox(pending=True))  # applies nothing
    assert alert_store.get_alert("a").version == 2


def test_a_second_application_is_refused_and_leaves_the_alert_as_it_was(
    alert_store: AlertStore,
) -> None:
    alert_store.create_alert(alert("a"), applied="e1")
    once = alert_store.update_alert(
        alert_store.get_alert("a").model_copy(update={"count": 2}), applied="e2"
    )
    for replayed in ("e1", "e2"):
        with pytest.raises(AlreadyAppliedError):
            alert_store.update_alert(once.model_copy(update={"count": 3}), applied=replayed)
    assert alert_store.get_alert("a") == once  # count 2, version 1
    with pytest.raises(AlreadyAppliedError):  # even from a stale read: applied is applied
        alert_store.update_alert(once.model_copy(update={"version": 0}), applied="e2")
    with pytest.raises(ConflictError):
        alert_store.create_alert(alert("a"), applied="e1")
    assert issubclass(AlreadyAppliedError, ConflictError)


def test_a_write_that_fails_records_no_application(alert_store: AlertStore) -> None:
    alert_store.create_alert(alert("a"), applied="e1")
    with pytest.raises(ConflictError):  # the id exists
        alert_store.create_alert(alert("a", title="again"), applied="e-create")
    read = alert_store.get_alert("a")
    alert_store.update_alert(read.model_copy(update={"title": "first"}))
    with pytest.raises(StaleVersionError):  # read before the write above
        alert_store.update_alert(read.model_copy(update={"count": 2}), applied="e-stale")
    with pytest.raises(NotFoundError):
        alert_store.update_alert(alert("gone"), applied="e-gone")
    for key, alert_id in (("e-create", "a"), ("e-stale", "a"), ("e-gone", "gone")):
        assert not alert_store.was_applied(alert_id, key)
    stored = alert_store.get_alert("a")
    assert (stored.title, stored.count, stored.version) == ("first", 1, 1)
    alert_store.update_alert(stored.model_copy(update={"count": 2}), applied="e-stale")
    assert alert_store.get_alert("a").count == 2  # it was never recorded: it applies now


def test_a_thousand_applications_are_all_remembered(
    alert_store: AlertStore, request: pytest.FixtureRequest
) -> None:
    """No window: the first of a thousand is refused as surely as the last. Moto copies
    its whole table on every transaction, so there it is 120: still over twice the window
    of ids an alert itself keeps."""
    total = 120 if request.node.callspec.params.get("stores") == "moto" else 1000
    alert_store.create_alert(alert("a"), applied="e0000")
    current = alert_store.get_alert("a")
    for n in range(1, total):
        current = alert_store.update_alert(
            current.model_copy(update={"count": current.count + 1}), applied=f"e{n:04d}"
        )
    assert current.count == total
    assert all(alert_store.was_applied("a", f"e{n:04d}") for n in range(total))
    for n in (0, 1, total // 2, total - 2, total - 1):
        with pytest.raises(AlreadyAppliedError):
            alert_store.update_alert(
                current.model_copy(update={"count": current.count + 1}), applied=f"e{n:04d}"
            )
    assert alert_store.get_alert("a").count == total
