"""The AlertStore's state contract: small shared records under conditional writes.

Version 0 means "nothing stored yet", so a create is a conditional write like any other,
and of two creates of one key the second is stale, as a second update of one version is.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import StaleVersionError
from bot.models import State
from bot.ports import AlertStore


def test_a_missing_key_is_none(alert_store: AlertStore) -> None:
    assert alert_store.get_state("budget:C0123") is None


def test_a_create_is_version_one_and_reads_back(alert_store: AlertStore) -> None:
    written = alert_store.put_state(State(key="budget:C0123", data={"tokens": 5, "at": 100}))
    assert written == State(key="budget:C0123", version=1, data={"tokens": 5, "at": 100})
    assert alert_store.get_state("budget:C0123") == written


def test_an_update_at_the_stored_version_bumps_it(alert_store: AlertStore) -> None:
    created = alert_store.put_state(State(key="storm:C0123", data={"open": True}))
    updated = alert_store.put_state(created.model_copy(update={"data": {"open": False}}))
    assert updated == State(key="storm:C0123", version=2, data={"open": False})
    again = alert_store.put_state(updated.model_copy(update={"data": {"open": True, "n": 3}}))
    assert again.version == 3
    assert alert_store.get_state("storm:C0123") == again


def test_a_stale_version_is_refused_and_changes_nothing(alert_store: AlertStore) -> None:
    first = alert_store.put_state(State(key="k", data={"n": 1}))
    second = alert_store.put_state(first.model_copy(update={"data": {"n": 2}}))
    for version in (first.version, second.version + 1, 0):  # behind, ahead, a re-create
        with pytest.raises(StaleVersionError):
            alert_store.put_state(State(key="k", version=version, data={"n": 99}))
    assert alert_store.get_state("k") == second


def test_of_two_creates_of_one_key_the_second_is_stale(alert_store: AlertStore) -> None:
    alert_store.put_state(State(key="k", data={"by": "first"}))
    with pytest.raises(StaleVersionError):
        alert_store.put_state(State(key="k", data={"by": "second"}))
    assert alert_store.get_state("k") == State(key="k", version=1, data={"by": "first"})


def test_an_update_of_a_key_never_created_is_stale(alert_store: AlertStore) -> None:
    with pytest.raises(StaleVersionError):
        alert_store.put_state(State(key="never", version=1, data={}))
    assert alert_store.get_state("never") is None


def test_keys_are_independent(alert_store: AlertStore) -> None:
    a = alert_store.put_state(State(key="budget:C1", data={"tokens": 1}))
    b = alert_store.put_state(State(key="budget:C2", data={"tokens": 2}))
    a2 = alert_store.put_state(a.model_copy(update={"data": {"tokens": 0}}))
    assert (a2.version, b.version) == (2, 1)
    assert alert_store.get_state("budget:C1") == a2
    assert alert_store.get_state("budget:C2") == b
    assert alert_store.get_state("budget:C") is None  # no prefix match


def test_data_round_trips(alert_store: AlertStore) -> None:
    data: dict[str, Any] = {
        "ints": [0, -1, 2**53 + 1, 10**18],
        "floats": [0.1, -2.5e-7, 1e300, 3.0],
        "none": None,
        "flags": [True, False],
        "text": "tempête ⚡ 暴風 🌪️",
        "Ключ": {"nested": {"deeper": [{"a": []}, {}, [1, [2, [None]]]]}},
        "empty": "",
    }
    written = alert_store.put_state(State(key="storm:C0123:🌪️", data=data))
    read = alert_store.get_state("storm:C0123:🌪️")
    assert read == written
    assert read is not None and read.data == data
    assert [type(x) for x in read.data["floats"]] == [float] * 4  # 3.0 stays a float
    assert [type(x) for x in read.data["ints"]] == [int] * 4


def test_what_the_caller_holds_is_not_the_store(alert_store: AlertStore) -> None:
    written = alert_store.put_state(State(key="k", data={"list": [1]}))
    written.data["list"].append(2)
    read = alert_store.get_state("k")
    assert read is not None and read.data == {"list": [1]}
    read.data["list"].append(3)
    assert alert_store.get_state("k") == State(key="k", version=1, data={"list": [1]})
