"""Who is on call for the routes file's rotations: the schedule /oncall shows, what
on_call_now gives others, takes kept in the store for every process, and the file's
errors at their lines."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import MemoryAlertStore
from adapters.routes_file import RoutesFileError, load_routes
from bot import oncall
from bot.routing import parse_routes

PARIS = ZoneInfo("Europe/Paris")
NOW = int(datetime(2026, 3, 17, 12, 0, tzinfo=PARIS).timestamp())  # a Tuesday, noon

ROUTES = {
    "oncall": [
        {"name": "payments", "members": ["U0ALICE", "U0BOB"], "handoff": "09:00",
         "time_zone": "Europe/Paris", "start": "2026-03-16"},
        {"name": "security", "usergroup": "S0SEC"},
    ],
    "routes": [
        {"name": "pay", "channel": "C0PAY", "oncall": "payments"},
        {"name": "pay-db", "channel": "C0PAYDB", "oncall": "payments"},
        {"name": "sec", "channel": "C0SEC", "oncall": "security"},
    ],
}  # fmt: skip


@pytest.fixture
def routes():
    return parse_routes(ROUTES)


@pytest.fixture
def store():
    return MemoryAlertStore()


def members(group: str) -> list[str]:
    return {"S0SEC": ["U0SAM", "U0TIA"]}[group]


def test_the_schedule_names_routes_who_is_on_call_and_who_is_next(routes, store):
    payments, security = oncall.schedule(routes, store, NOW, members)
    assert payments.routes == ("pay", "pay-db") and payments.users == ("U0ALICE",)
    assert payments.next_users == ("U0BOB",)
    assert payments.next_at == int(datetime(2026, 3, 23, 9, 0, tzinfo=PARIS).timestamp())
    assert (security.users, security.next_at) == (("U0SAM", "U0TIA"), None)


def test_on_call_now_gives_each_rotation_its_user_ids(routes, store):
    assert oncall.on_call_now(routes, store, NOW, members) == [
        ("payments", ["U0ALICE"]),
        ("security", ["U0SAM", "U0TIA"]),
    ]


def test_a_usergroup_that_cannot_be_read_stands_for_its_members(routes, store):
    def broken(group: str) -> list[str]:
        raise RuntimeError("Slack is down")

    assert oncall.on_call(routes, "security", store, NOW, broken) == ("S0SEC",)
    assert oncall.on_call(routes, "security", store, NOW) == ("S0SEC",)  # none to read them
    assert oncall.on_call(routes, "nowhere", store, NOW) == ()


def test_a_take_covers_the_takers_own_rotations_until_it_ends(routes, store):
    assert oncall.take(store, routes, "U0BOB", 2 * 3600, NOW, members) == ["payments"]
    # another process, reading the same store, sees it
    assert oncall.on_call(routes, "payments", store, NOW + 60) == ("U0BOB",)
    assert oncall.on_call(routes, "security", store, NOW + 60, members) == ("U0SAM", "U0TIA")
    (payments, _) = oncall.schedule(routes, store, NOW, members)
    assert (payments.next_at, payments.next_users) == (NOW + 2 * 3600, ("U0ALICE",))
    assert oncall.on_call(routes, "payments", store, NOW + 2 * 3600) == ("U0ALICE",)


def test_someone_in_no_rotation_takes_them_all_and_expired_takes_are_dropped(routes, store):
    assert oncall.take(store, routes, "U0SAM", 3600, NOW, members) == ["security"]  # by group
    assert oncall.take(store, routes, "U0NEW", 3600, NOW) == ["payments", "security"]
    assert oncall.on_call(routes, "security", store, NOW) == ("U0NEW",)  # the later take
    oncall.take(store, routes, "U0ALICE", 60, NOW + 7200)
    kept = store.get_state(oncall.TAKES_KEY).data["takes"]
    assert [t["user"] for t in kept] == ["U0ALICE"]


@pytest.mark.parametrize("seconds", [0, 7 * 86400 + 1])
def test_a_take_is_at_most_seven_days(routes, store, seconds):
    with pytest.raises(ValueError, match="7d"):
        oncall.take(store, routes, "U0BOB", seconds, NOW)


def test_routes_without_rotations_take_nothing(store):
    assert oncall.take(store, parse_routes({}), "U0BOB", 3600, NOW) == []
    assert store.get_state(oncall.TAKES_KEY) is None


FILE = """\
oncall:
  - name: payments
    members: [U0ALICE, U0BOB]
    handoff: 10:30
    start: 2026-03-16
  - name: payments
    usergroup: S0SEC
routes:
  - name: pay
    channel: C0PAY
    oncall: paymnets
"""


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (FILE, ["line 6: oncall.1.name: another rotation is 'payments'",
                "line 11: routes.0.oncall: no rotation named 'paymnets' (oncall: payments)"]),
        (FILE.replace("10:30", "9h").replace("oncall: paymnets", "oncall: payments"),
         ["line 4: oncall.0.handoff: '9h' is not a time of day"]),
        (FILE.replace("U0BOB]", "U0BOB]\n    time_zone: Paris"),
         ["line 4: oncall.0.time_zone: 'Paris' is not an IANA time zone"]),
        (FILE.replace("[U0ALICE, U0BOB]", "[alice]"),
         ["line 3: oncall.0.members: 'alice' is not a Slack user id"]),
        (FILE.replace("oncall: paymnets", "escalation:\n      - {after: 5m, notify: dm}"),
         ["line 9: routes.0: escalation: steps that notify oncall or dm need the rule's"]),
        (FILE.replace("oncall: paymnets", "escalation:\n      - {after: 5m, notify: call}"),
         ["line 12: routes.0.escalation.0.notify: Input should be 'oncall', 'dm' or 'here'"]),
    ],
)  # fmt: skip
def test_the_files_errors_name_their_lines(tmp_path, text, problems):
    path = tmp_path / "routes.yml"
    path.write_text(text)
    with pytest.raises(RoutesFileError) as raised:
        load_routes(path)
    for problem in problems:
        assert f"{path}: {problem}" in str(raised.value)


def test_a_file_with_rotations_and_a_ladder_loads(tmp_path):
    path = tmp_path / "routes.yml"
    path.write_text(
        FILE.replace("name: payments\n    usergroup", "name: security\n    usergroup").replace(
            "oncall: paymnets",
            "oncall: payments\n    escalation:\n      - {after: 5m, notify: oncall}\n"
            "      - {after: 15m, notify: dm}\n      - {after: 1h, notify: here}",
        )
    )
    routes = load_routes(path)
    (rule,) = routes.routes
    assert [(s.after, s.notify) for s in rule.escalation] == [
        (300, "oncall"),
        (900, "dm"),
        (3600, "here"),
    ]
    assert routes.rotation("payments").handoff.strftime("%H:%M") == "10:30"
