"""The write probe /healthz asks of every store: it answers when the store takes writes,
any number of times, and leaves the records the bot keeps as they were."""

from __future__ import annotations

from typing import Any

from bot.models import State


def test_the_probe_answers_again_and_again_and_changes_no_record(alert_store: Any) -> None:
    kept = alert_store.put_state(State(key="budget:C0123", data={"tokens": 5}))
    for now in (1_800_000_000.0, 1_800_000_005.5, 1_800_000_010.0):
        alert_store.probe_write(now)
    assert alert_store.get_state("budget:C0123") == kept
    assert alert_store.list_alerts() == []
    assert alert_store.list_silences(0) == []
    # a state written after it is written as the first of its key
    assert alert_store.put_state(State(key="storm:C0123")).version == 1
