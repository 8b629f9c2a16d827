"""Rotation math: hand-offs on the wall clock of the rotation's zone (across daylight
saving time), layers over the base, overrides over every layer, and the next hand-off."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.rotations import Cover, Rotation, wall_clock

PARIS = "Europe/Paris"


def at(text: str, zone: str = PARIS) -> int:
    """A wall-clock time of `zone` as epoch seconds."""
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp())


def weekly(**extra) -> Rotation:
    fields = {"name": "payments", "members": ["U0ALICE", "U0BOB", "U0CAROL"],
              "handoff": "09:00", "time_zone": PARIS, "start": "2026-03-16", **extra}  # fmt: skip
    return Rotation.model_validate(fields)


@pytest.mark.parametrize(
    ("moment", "who"),
    [
        ("2026-03-16T08:59", ()),  # before the first hand-off: nobody
        ("2026-03-16T09:00", ("U0ALICE",)),
        ("2026-03-23T08:59", ("U0ALICE",)),
        ("2026-03-23T09:00", ("U0BOB",)),
        ("2026-03-30T09:00", ("U0CAROL",)),
        ("2026-04-06T09:00", ("U0ALICE",)),  # round again
    ],
)
def test_members_take_turns_every_week_at_the_hand_off(moment, who):
    assert weekly().who(at(moment)) == who


def test_the_hand_off_stays_at_nine_local_across_both_changes_of_the_clocks():
    rotation = weekly(every="1d")
    # Summer time began at 02:00 on 29 March 2026, and ended at 03:00 on 25 October.
    spring = rotation.next_handoff(at("2026-03-28T12:00"))
    autumn = rotation.next_handoff(at("2026-10-24T12:00"))
    assert spring is not None and autumn is not None
    assert spring[0] == at("2026-03-29T09:00") and wall_clock(spring[0], PARIS).endswith(
        "09:00 Europe/Paris"
    )
    assert autumn[0] == at("2026-10-25T09:00")
    # so the day of a change lasts 23 or 25 hours, not 24
    assert spring[0] - at("2026-03-28T09:00") == 23 * 3600
    assert autumn[0] - at("2026-10-24T09:00") == 25 * 3600


def test_a_hand_off_in_the_hour_skipped_or_repeated_happens_once():
    rotation = weekly(every="1d", handoff="02:30", start="2026-03-28")
    days = [rotation.who(at(f"2026-03-{d}T12:00")) for d in (28, 29, 30)]
    assert days == [("U0ALICE",), ("U0BOB",), ("U0CAROL",)]
    autumn = weekly(every="1d", handoff="02:30", start="2026-10-24")
    first = at("2026-10-25T02:30")  # the first of the two 02:30s
    assert autumn.who(first - 1) == ("U0ALICE",) and autumn.who(first) == ("U0BOB",)
    assert autumn.who(first + 3600) == ("U0BOB",)  # the second 02:30 is no hand-off


def test_twelve_hour_shifts_and_a_time_yaml_read_as_a_number():
    rotation = weekly(every="12h", handoff=9 * 60 + 30)  # YAML 1.1 reads 09:30 unquoted so
    assert rotation.who(at("2026-03-16T09:30")) == ("U0ALICE",)
    assert rotation.who(at("2026-03-16T21:30")) == ("U0BOB",)
    assert rotation.who(at("2026-03-17T09:30")) == ("U0CAROL",)


def test_a_later_layer_overrides_the_base_for_its_hours_only():
    rotation = weekly(
        layers=[
            {
                "name": "weekend nights",
                "members": ["U0NIGHT"],
                "start": "2026-01-01",
                "hours": "18:00-09:00",
                "days": ["sat", "sun"],
            }
        ]
    )  # the layer reads the rotation's zone
    assert rotation.who(at("2026-03-21T17:59")) == ("U0ALICE",)  # a Saturday
    assert rotation.who(at("2026-03-21T18:00")) == ("U0NIGHT",)
    assert rotation.who(at("2026-03-22T08:59")) == ("U0NIGHT",)  # past midnight
    assert rotation.who(at("2026-03-22T12:00")) == ("U0ALICE",)
    assert rotation.who(at("2026-03-23T08:00")) == ("U0NIGHT",)  # Sunday's window, on Monday
    assert rotation.who(at("2026-03-23T09:00")) == ("U0BOB",)
    assert rotation.who(at("2026-03-24T20:00")) == ("U0BOB",)  # a Tuesday: no layer
    assert rotation.next_handoff(at("2026-03-21T12:00")) == (at("2026-03-21T18:00"), ("U0NIGHT",))
    assert rotation.next_handoff(at("2026-03-21T20:00")) == (at("2026-03-22T09:00"), ("U0ALICE",))


def test_a_rotation_of_layers_only_has_nobody_where_none_covers():
    rotation = Rotation.model_validate(
        {
            "name": "nights",
            "layers": [{"members": ["U0NIGHT"], "start": "2026-01-01", "hours": "22:00-06:00"}],
        }
    )
    assert rotation.who(at("2026-03-10T23:00", "UTC")) == ("U0NIGHT",)
    assert rotation.who(at("2026-03-10T12:00", "UTC")) == ()


def test_overrides_lie_over_every_layer_and_the_last_taken_wins():
    rotation = weekly(overrides=[{"user": "U0DAN", "from": "2026-03-17 10:00",
                                  "until": "2026-03-17 12:00"}])  # fmt: skip
    assert rotation.who(at("2026-03-17T09:59")) == ("U0ALICE",)
    assert rotation.who(at("2026-03-17T10:00")) == ("U0DAN",)
    assert rotation.who(at("2026-03-17T12:00")) == ("U0ALICE",)
    taken = [Cover("U0EVE", at("2026-03-17T11:00"), at("2026-03-17T13:00"))]
    assert rotation.who(at("2026-03-17T11:30"), taken) == ("U0EVE",)
    assert rotation.next_handoff(at("2026-03-17T08:00"), taken) == (
        at("2026-03-17T10:00"),
        ("U0DAN",),
    )
    assert rotation.next_handoff(at("2026-03-17T11:30"), taken) == (
        at("2026-03-17T13:00"),
        ("U0ALICE",),
    )


def test_a_usergroup_is_on_call_and_has_no_hand_off_but_an_override():
    rotation = Rotation(name="security", usergroup="S0SEC")
    assert rotation.who(at("2026-03-17T10:00")) == ("S0SEC",)
    assert rotation.next_handoff(at("2026-03-17T10:00")) is None
    taken = [Cover("U0EVE", at("2026-03-17T11:00"), at("2026-03-17T13:00"))]
    assert rotation.next_handoff(at("2026-03-17T10:00"), taken) == (
        at("2026-03-17T11:00"),
        ("U0EVE",),
    )


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"members": ["alice"], "start": "2026-01-01"}, "not a Slack user id"),
        ({"members": ["U0ALICE"]}, "needs `start`"),
        ({"members": ["U0ALICE"], "start": "2026-01-01", "handoff": "25:00"}, "time of day"),
        ({"members": ["U0ALICE"], "start": "2026-01-01", "time_zone": "Mars/Base"}, "IANA"),
        ({"members": ["U0ALICE"], "start": "2026-01-01", "every": "30m"}, "between 1h"),
        ({"usergroup": "S0SEC", "members": ["U0ALICE"], "start": "2026-01-01"}, "not both"),
        ({}, "needs members, layers or a usergroup"),
        ({"usergroup": "team"}, "usergroup id"),
        (
            {
                "usergroup": "S0SEC",
                "overrides": [{"user": "U0A1", "from": "2026-01-02", "until": "2026-01-01"}],
            },
            "after from",
        ),
    ],
)
def test_bad_rotations_are_refused_with_the_reason(fields, problem):
    with pytest.raises(ValidationError, match=problem):
        Rotation.model_validate({"name": "r", **fields})
