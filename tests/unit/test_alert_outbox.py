"""An alert's delivery bookkeeping lives in its outbox: changed through `with_outbox`, and
read from records that still carry it at the top level."""

from __future__ import annotations

import pytest

from bot.models import Alert, Outbox, Told

T0 = 1_700_000_000
BASE = {"id": "a-1", "fingerprint": "fp", "first_seen": T0, "last_seen": T0}


def test_with_outbox_changes_the_outbox_and_nothing_else() -> None:
    alert = Alert.model_validate({**BASE, "count": 3})
    changed = alert.with_outbox(pending=True, next_attempt_at=T0 + 5)
    assert changed.outbox == Outbox(pending=True, next_attempt_at=T0 + 5)
    assert changed.model_copy(update={"outbox": Outbox()}) == alert
    assert alert.outbox == Outbox()  # the original is untouched


def test_with_outbox_refuses_a_name_that_is_no_outbox_field() -> None:
    alert = Alert.model_validate(BASE)
    with pytest.raises(TypeError, match="count"):
        alert.with_outbox(count=2)


def test_flat_bookkeeping_is_read_into_the_outbox() -> None:
    flat = {
        **BASE,
        "pending": True,
        "next_attempt_at": T0 + 30,
        "attempts": 1,
        "in_flight": True,
        "dirty": True,
        "edited_at": T0 + 1,
        "replied_at": T0 + 2,
        "told": {"count": 2, "flaps": 0, "resolved": False},
        "told_members": {"m": {"count": 1, "flaps": 0, "resolved": True}},
        "event_ids": ["e1"],
    }
    read = Alert.model_validate(flat)
    assert read.outbox == Outbox(
        pending=True,
        next_attempt_at=T0 + 30,
        attempts=1,
        in_flight=True,
        dirty=True,
        edited_at=T0 + 1,
        replied_at=T0 + 2,
        told=Told(count=2),
        told_members={"m": Told(resolved=True)},
        event_ids=["e1"],
    )
    dumped = read.model_dump()
    assert "pending" not in dumped and dumped["outbox"]["pending"] is True
    assert Alert.model_validate_json(read.model_dump_json()) == read


def test_a_key_the_outbox_has_wins_over_a_flat_one() -> None:
    read = Alert.model_validate({**BASE, "attempts": 4, "outbox": {"attempts": 1, "dirty": True}})
    assert (read.outbox.attempts, read.outbox.dirty) == (1, True)


def test_a_record_in_the_new_form_reads_as_it_was_written() -> None:
    alert = Alert.model_validate(BASE).with_outbox(event_ids=["e1"], pending=True)
    assert Alert.model_validate_json(alert.model_dump_json()) == alert
    assert Alert.model_validate(alert.model_dump()) == alert
