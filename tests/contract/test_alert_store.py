"""The AlertStore contract: alerts with optimistic versions, and silences that expire."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import ConflictError, NotFoundError, StaleVersionError
from bot.models import (
    Alert,
    AlertStatus,
    HistoryEntry,
    Inhibition,
    MessageRef,
    Outbox,
    Severity,
    Silence,
)
from bot.ports import AlertStore

T0 = 1_700_000_000


def alert(alert_id: str = "al-1", **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "id": alert_id,
        "fingerprint": "fp-1",
        "title": "CPU high",
        "severity": Severity.HIGH,
        "source": "aws.cloudwatch",
        "account": "123456789012",
        "channel": "C0123",
        "message": MessageRef(channel="C0123", ts="1700000000.000100"),
        "first_seen": T0,
        "last_seen": T0,
        "history": [HistoryEntry(at=T0, action="fired")],
    }
    return Alert(**{**values, **fields})


def silence(silence_id: str, expires_at: int, **fields: Any) -> Silence:
    values: dict[str, Any] = {
        "id": silence_id,
        "matcher": "fp-1",
        "created_by": "U123",
        "reason": "maintenance",
        "created_at": T0,
        "expires_at": expires_at,
    }
    return Silence(**{**values, **fields})


# --- alerts ----------------------------------------------------------------------------------


def test_create_then_get(alert_store: AlertStore) -> None:
    created = alert()
    alert_store.create_alert(created)
    assert alert_store.get_alert("al-1") == created


def test_a_duplicate_alert_conflicts_and_keeps_the_first(alert_store: AlertStore) -> None:
    alert_store.create_alert(alert(title="first"))
    with pytest.raises(ConflictError):
        alert_store.create_alert(alert(title="second"))
    assert alert_store.get_alert("al-1").title == "first"


def test_an_unknown_alert_is_not_found(alert_store: AlertStore) -> None:
    with pytest.raises(NotFoundError):
        alert_store.get_alert("nope")
    with pytest.raises(NotFoundError):
        alert_store.update_alert(alert("nope"))


def test_find_alert_takes_the_latest_first_seen_of_the_fingerprint(alert_store: AlertStore) -> None:
    assert alert_store.find_alert("fp-1", "C0123") is None
    alert_store.create_alert(alert("old", first_seen=T0, status=AlertStatus.RESOLVED))
    alert_store.create_alert(alert("new", first_seen=T0 + 50, last_seen=T0 + 50))
    alert_store.create_alert(alert("mid", first_seen=T0 + 20, last_seen=T0 + 99))
    alert_store.create_alert(alert("other", fingerprint="fp-2", first_seen=T0 + 500))
    assert alert_store.find_alert("fp-1", "C0123").id == "new"
    alert_store.create_alert(alert("newest", first_seen=T0 + 60, status=AlertStatus.RESOLVED))
    assert alert_store.find_alert("fp-1", "C0123").id == "newest"  # whatever its status
    assert alert_store.find_alert("fp-3", "C0123") is None


def test_find_alert_breaks_first_seen_ties_by_id(alert_store: AlertStore) -> None:
    for alert_id in ("b", "c", "a"):
        alert_store.create_alert(alert(alert_id, first_seen=T0 + 5))
    assert alert_store.find_alert("fp-1", "C0123").id == "c"


def test_update_writes_and_increments_the_version(alert_store: AlertStore) -> None:
    alert_store.create_alert(alert())
    read = alert_store.get_alert("al-1")
    assert read.version == 0
    changed = read.model_copy(update={"status": AlertStatus.ACKED, "acked_by": "U1", "count": 4})
    written = alert_store.update_alert(changed)
    assert written == changed.model_copy(update={"version": 1})
    assert alert_store.get_alert("al-1") == written
    again = alert_store.update_alert(written.model_copy(update={"last_seen": T0 + 9}))
    assert again.version == 2
    assert alert_store.get_alert("al-1").last_seen == T0 + 9


def test_of_two_writers_at_one_version_the_first_wins_and_the_second_is_stale(
    alert_store: AlertStore,
) -> None:
    alert_store.create_alert(alert())
    mine = alert_store.get_alert("al-1").model_copy(update={"acked_by": "U-first"})
    theirs = alert_store.get_alert("al-1").model_copy(update={"acked_by": "U-second"})
    alert_store.update_alert(mine)
    with pytest.raises(StaleVersionError):
        alert_store.update_alert(theirs)
    stored = alert_store.get_alert("al-1")
    assert (stored.acked_by, stored.version) == ("U-first", 1)


def test_an_update_changes_what_lookups_and_listings_see(alert_store: AlertStore) -> None:
    alert_store.create_alert(alert())
    read = alert_store.get_alert("al-1")
    alert_store.update_alert(read.model_copy(update={"status": AlertStatus.RESOLVED}))
    assert alert_store.list_alerts(AlertStatus.OPEN) == []
    assert [a.id for a in alert_store.list_alerts(AlertStatus.RESOLVED)] == ["al-1"]
    assert alert_store.find_alert("fp-1", "C0123").status == AlertStatus.RESOLVED


def test_list_alerts_most_recently_seen_first_by_status_and_limit(alert_store: AlertStore) -> None:
    alert_store.create_alert(alert("a", last_seen=T0 + 10))
    alert_store.create_alert(alert("b", last_seen=T0 + 30, status=AlertStatus.ACKED))
    alert_store.create_alert(alert("c", last_seen=T0 + 20))
    alert_store.create_alert(alert("d", last_seen=T0 + 5, status=AlertStatus.RESOLVED))
    assert [a.id for a in alert_store.list_alerts()] == ["b", "c", "a", "d"]
    assert [a.id for a in alert_store.list_alerts(AlertStatus.OPEN)] == ["c", "a"]
    assert [a.id for a in alert_store.list_alerts(limit=2)] == ["b", "c"]
    assert [a.id for a in alert_store.list_alerts(AlertStatus.ACKED)] == ["b"]


def test_list_pending_lists_only_pending_records_that_are_due(alert_store: AlertStore) -> None:
    alert_store.create_alert(alert("due", outbox=Outbox(pending=True, next_attempt_at=T0 - 5)))
    alert_store.create_alert(alert("due-now", outbox=Outbox(pending=True, next_attempt_at=T0)))
    alert_store.create_alert(alert("later", outbox=Outbox(pending=True, next_attempt_at=T0 + 1)))
    alert_store.create_alert(
        alert("posted", outbox=Outbox(pending=False, next_attempt_at=T0 - 100))
    )
    alert_store.create_alert(alert("never-set", outbox=Outbox(next_attempt_at=0)))
    assert [a.id for a in alert_store.list_pending(T0)] == ["due", "due-now"]
    assert [a.id for a in alert_store.list_pending(T0 + 1)] == ["due", "due-now", "later"]
    assert alert_store.list_pending(T0 - 6) == []
    assert alert_store.list_pending(T0)[0] == alert_store.get_alert("due")


def test_list_pending_soonest_due_first_ties_by_id_and_limit(alert_store: AlertStore) -> None:
    for alert_id, due in (("c", T0 + 20), ("b", T0 + 10), ("z", T0), ("a", T0 + 10)):
        alert_store.create_alert(alert(alert_id, outbox=Outbox(pending=True, next_attempt_at=due)))
    # Most recently seen is not what orders them: the oldest record is due soonest.
    alert_store.create_alert(
        alert("old", outbox=Outbox(pending=True, next_attempt_at=0), last_seen=T0 - 9999)
    )
    assert [a.id for a in alert_store.list_pending(T0 + 60)] == ["old", "z", "a", "b", "c"]
    assert [a.id for a in alert_store.list_pending(T0 + 60, limit=3)] == ["old", "z", "a"]
    assert [a.id for a in alert_store.list_pending(T0 + 10, limit=10)] == ["old", "z", "a", "b"]


def test_a_record_leaves_the_pending_list_when_it_stops_being_pending(
    alert_store: AlertStore,
) -> None:
    alert_store.create_alert(alert("a", outbox=Outbox(pending=True, next_attempt_at=T0)))
    alert_store.create_alert(alert("b", outbox=Outbox(pending=True, next_attempt_at=T0)))
    claimed = alert_store.update_alert(
        alert_store.get_alert("a").with_outbox(next_attempt_at=T0 + 300)
    )
    assert [a.id for a in alert_store.list_pending(T0)] == ["b"]  # claimed: due later
    assert [a.id for a in alert_store.list_pending(T0 + 300)] == ["b", "a"]
    alert_store.update_alert(claimed.with_outbox(pending=False))
    assert [a.id for a in alert_store.list_pending(T0 + 300)] == ["b"]
    assert alert_store.get_alert("a").outbox.next_attempt_at == T0 + 300  # kept, just not listed


def test_list_members_reads_a_storm_s_members_by_id_up_to_the_limit(
    alert_store: AlertStore,
) -> None:
    for member in ("m3", "m1", "m2"):
        alert_store.create_alert(alert(member, parent_id="s1"))
    alert_store.create_alert(alert("other", parent_id="s2"))
    alert_store.create_alert(alert("lone"))
    assert [a.id for a in alert_store.list_members("s1", 10)] == ["m1", "m2", "m3"]
    assert [a.id for a in alert_store.list_members("s1", 2)] == ["m1", "m2"]
    detached = alert_store.get_alert("m2").model_copy(update={"parent_id": None})
    alert_store.update_alert(detached)
    assert [a.id for a in alert_store.list_members("s1", 10)] == ["m1", "m3"]
    assert alert_store.list_members("nothing", 10) == []


def test_alerts_held_in_a_parents_thread_are_its_members(alert_store: AlertStore) -> None:
    """Inhibit rules keep a parent's count and link on its record, and find the alerts
    held in its thread by the index of a storm's members (`parent_id`)."""
    parent = alert("p1", inhibition=Inhibition(held=2, parent_link="https://x.test/p1"))
    alert_store.create_alert(parent)
    for held in ("h2", "h1"):
        alert_store.create_alert(alert(held, parent_id="p1", thread_ts="1700000000.000100"))
    assert alert_store.get_alert("p1").inhibition == parent.inhibition
    members = alert_store.list_members("p1", 10)
    assert [a.id for a in members] == ["h1", "h2"] and all(a.held for a in members)
    told = alert_store.get_alert("h1").outbox.told.model_copy(update={"related": True})
    alert_store.update_alert(alert_store.get_alert("h1").with_outbox(told=told))
    assert alert_store.get_alert("h1").outbox.told.related


def test_a_returned_alert_is_a_copy(alert_store: AlertStore) -> None:
    alert_store.create_alert(alert())
    alert_store.get_alert("al-1").history.append(HistoryEntry(at=T0 + 1, action="tampered"))
    assert len(alert_store.get_alert("al-1").history) == 1


# --- silences --------------------------------------------------------------------------------


def test_silence_create_get_and_conflict(alert_store: AlertStore) -> None:
    created = silence("s-1", T0 + 3600, scope="resource", matcher="arn:aws:ec2:i-1")
    alert_store.create_silence(created)
    assert alert_store.get_silence("s-1") == created
    with pytest.raises(ConflictError):
        alert_store.create_silence(silence("s-1", T0 + 60))
    assert alert_store.get_silence("s-1") == created
    with pytest.raises(NotFoundError):
        alert_store.get_silence("s-2")


def test_silences_in_force_soonest_to_expire_first_and_gone_at_expiry(
    alert_store: AlertStore,
) -> None:
    alert_store.create_silence(silence("late", T0 + 300))
    alert_store.create_silence(silence("soon", T0 + 100))
    alert_store.create_silence(silence("tie-b", T0 + 200))
    alert_store.create_silence(silence("tie-a", T0 + 200))
    assert [s.id for s in alert_store.list_silences(T0)] == ["soon", "tie-a", "tie-b", "late"]
    assert [s.id for s in alert_store.list_silences(T0 + 100)] == ["tie-a", "tie-b", "late"]
    assert [s.id for s in alert_store.list_silences(T0 + 299)] == ["late"]
    assert alert_store.list_silences(T0 + 300) == []
    # Expiry is a read-time filter: nothing was deleted, an earlier `now` still sees them.
    assert [s.id for s in alert_store.list_silences(T0 + 150)] == ["tie-a", "tie-b", "late"]


def test_delete_silence(alert_store: AlertStore) -> None:
    alert_store.create_silence(silence("s-1", T0 + 100))
    alert_store.create_silence(silence("s-2", T0 + 100))
    alert_store.delete_silence("s-1")
    assert [s.id for s in alert_store.list_silences(T0)] == ["s-2"]
    with pytest.raises(NotFoundError):
        alert_store.get_silence("s-1")
    with pytest.raises(NotFoundError):
        alert_store.delete_silence("s-1")


# --- alerts seen since: what a daily report counts ----------------------------------------


def test_alerts_seen_since_by_status_across_pages(
    alert_store: AlertStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.paging

    monkeypatch.setattr(bot.paging, "SCAN_PAGE", 3)
    statuses = [AlertStatus.OPEN, AlertStatus.ACKED, AlertStatus.RESOLVED]
    for n in range(10):
        alert_store.create_alert(
            alert(f"al-{n}", fingerprint=f"fp-{n}", status=statuses[n % 3], last_seen=T0 + n)
        )
    seen = {a.id for a in alert_store.alerts_seen_since(T0 + 4)}
    assert seen == {f"al-{n}" for n in range(4, 10)}
    open_ones = {a.id for a in alert_store.alerts_seen_since(T0 + 4, AlertStatus.OPEN)}
    assert open_ones == {"al-6", "al-9"}
    assert {a.id for a in alert_store.alerts_seen_since(0)} == {f"al-{n}" for n in range(10)}
    assert list(alert_store.alerts_seen_since(T0 + 100)) == []


def test_alerts_seen_since_follows_an_update(alert_store: AlertStore) -> None:
    alert_store.create_alert(alert(last_seen=T0))
    stored = alert_store.get_alert("al-1")
    alert_store.update_alert(
        stored.model_copy(update={"last_seen": T0 + 50, "status": AlertStatus.RESOLVED})
    )
    (found,) = alert_store.alerts_seen_since(T0 + 50, AlertStatus.RESOLVED)
    assert found.last_seen == T0 + 50
    assert list(alert_store.alerts_seen_since(T0, AlertStatus.OPEN)) == []
