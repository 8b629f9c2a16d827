"""Incidents as data: channel names within Slack's rules, who is invited, the timeline
and the summary."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from blocks.incident import (
    TIMELINE_LINES,
    close_request,
    summary_text,
    timeline_file,
    timeline_text,
)
from bot.incidents import (
    MAX_NAME,
    Incident,
    channel_name,
    channel_names,
    incident_invitees,
    incident_of,
    slug,
    summary,
    timeline,
    to_state,
)
from bot.models import Alert, AlertStatus, HistoryEntry

DAY = int(datetime(2026, 12, 4, 14, 0, tzinfo=UTC).timestamp())
SLACK_NAME = re.compile(r"[a-z0-9_-]{1,80}")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("ServerCpuTooHigh", "servercputoohigh"),
        ("CPU > 90% on i-0abc (prod.eu)", "cpu-90-on-i-0abc-prod-eu"),
        ("  Élan   Vital__x  ", "lan-vital-x"),
        ("<!channel> 💥", "channel"),
        ("", "incident"),
        ("!!!", "incident"),
    ],
)
def test_a_slug_keeps_lowercase_letters_digits_and_single_hyphens(title, expected):
    assert slug(title) == expected


def test_a_channel_name_is_dated_and_fits_slacks_rules():
    assert channel_name("ServerCpuTooHigh", DAY) == "inc-20261204-servercputoohigh"
    assert channel_name("ServerCpuTooHigh", DAY, 3) == "inc-20261204-servercputoohigh-3"
    for title in ("x" * 200, "a-" * 100, "Bad.Name With Spaces/and*marks" * 5):
        for attempt in (1, 2, 20):
            name = channel_name(title, DAY, attempt)
            assert SLACK_NAME.fullmatch(name) and len(name) <= MAX_NAME, name
            assert "--" not in name and not name.endswith("-")
            assert name.endswith(f"-{attempt}") or attempt == 1


def test_the_names_to_try_each_differ():
    names = list(channel_names("y" * 100, DAY, tries=5))
    assert len(set(names)) == 5 and names[0] == channel_name("y" * 100, DAY)


def alert(**changes) -> Alert:
    base = Alert(
        id="a1", fingerprint="fp", title="CpuHigh", first_seen=DAY, last_seen=DAY, opened_at=DAY
    )
    return base.model_copy(update=changes)


def test_invitees_are_the_clicker_the_acknowledger_and_the_on_call_each_once():
    acked = alert(acked_by="U0BOB")
    assert incident_invitees(acked, "U0ALICE") == ["U0ALICE", "U0BOB"]
    assert incident_invitees(acked, "U0BOB") == ["U0BOB"]
    on_call = incident_invitees(alert(), "U0ALICE", lambda a: ["U0CAROL", "U0ALICE"])
    assert on_call == ["U0ALICE", "U0CAROL"]


def test_an_incident_survives_its_state_record():
    incident = Incident(
        channel="C1", name="inc-x", alerts=["a1"], declared_by="U1", declared_at=DAY
    )
    assert incident_of(to_state(incident)) == incident
    assert incident_of(None) is None


def lived() -> tuple[Incident, Alert]:
    history = [
        HistoryEntry(at=DAY, action="fired"),
        HistoryEntry(at=DAY + 10, action="posted"),
        HistoryEntry(at=DAY + 60, action="incident declared", by="U0ALICE", note="#inc-x"),
        HistoryEntry(at=DAY + 120, action="acknowledged", by="U0BOB"),
        HistoryEntry(at=DAY + 600, action="silenced", by="U0BOB", note="deploying <!here>"),
        HistoryEntry(at=DAY + 3600, action="resolved"),
    ]
    done = alert(history=history, count=7, last_seen=DAY + 1800, status=AlertStatus.RESOLVED,
                 resolved_at=DAY + 3600, acked_by="U0BOB")  # fmt: skip
    incident = Incident(
        channel="C1", name="inc-x", alerts=["a1"], declared_by="U0ALICE", declared_at=DAY + 60
    )
    return incident, done


def test_a_timeline_tells_what_happened_in_order_without_delivery_noise():
    incident, done = lived()
    moments = timeline(incident, [done])
    assert [(m.at - DAY, m.what, m.by) for m in moments] == [
        (0, "fired", None),
        (60, "incident declared", "U0ALICE"),
        (120, "acknowledged", "U0BOB"),
        (600, "silenced", "U0BOB"),
        (1800, "seen again", None),
        (3600, "resolved", None),
    ]
    closed = incident.model_copy(update={"closed_at": DAY + 4000, "closed_by": "U0ALICE"})
    assert timeline(closed, [done])[-1].what == "incident closed"


def test_a_short_timeline_is_a_message_and_a_long_one_a_file():
    incident, done = lived()
    moments = timeline(incident, [done])
    text = timeline_text("inc-x", moments, DAY)
    assert text is not None
    assert "14:02 UTC · acknowledged by <@U0BOB>" in text
    assert "deploying &lt;!here&gt;" in text and "<!here>" not in text
    many = [moments[0]] * (TIMELINE_LINES + 1)
    assert timeline_text("inc-x", many, DAY) is None
    lines = timeline_file("inc-x", many).decode().splitlines()
    assert lines[0] == "Timeline of #inc-x" and len(lines) == TIMELINE_LINES + 3
    assert lines[2].startswith("2026-12-04T14:00:00")


def test_a_summary_says_how_long_who_did_what_and_which_alerts():
    incident, done = lived()
    result = summary(incident, [done], DAY + 7200)
    assert result.duration == 7200
    assert result.actors == [
        ("U0BOB", ["acknowledged", "silenced"]),
        ("U0ALICE", ["incident declared"]),
    ]
    text = summary_text(result, DAY + 7200)
    assert "2 h (since 14:00 UTC)" in text
    assert "<@U0BOB>: acknowledged, silenced" in text
    assert "INFO CpuHigh (resolved, seen 7 times)" in text
    request = close_request(result, "C1", DAY)
    (button,) = request["blocks"][1]["elements"]
    assert (button["action_id"], button["value"], request["response_type"]) == (
        "incident_close", "C1", "in_channel",
    )  # fmt: skip
