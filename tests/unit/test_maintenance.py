"""Maintenance windows: when one is on (across midnight and daylight saving), what it
holds (stored and counted, not posted; its root names it), and the routes file's
line-numbered errors for a bad cron, duration or time zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adapters.routes_file import RoutesFileError, load_routes
from blocks.alert import alert_blocks
from bot import alert_actions
from bot.alert_actions import Outcome
from bot.delivery import Delivery, refresh_silences
from bot.maintenance import holding, on_until, states
from bot.models import Hold, Severity, Signal, SignalState
from bot.routing import MaintenanceWindow, Match, parse_routes
from tests.unit.test_lifecycle import alarm, delivery, emit, the_alert, tick


def at(text: str) -> int:
    """ "2026-03-29 01:45" (UTC) → epoch seconds."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def window(cron: str, duration: str, time_zone: str = "UTC", **match: object) -> MaintenanceWindow:
    return MaintenanceWindow(
        name="patching", cron=cron, duration=duration, time_zone=time_zone, match=Match(**match)
    )


NIGHTLY = window("0 23 * * *", "2h")  # 23:00 to 01:00 UTC


@pytest.mark.parametrize(
    ("now", "until"),
    [
        ("2026-05-01 22:59", None),
        ("2026-05-01 23:00", "2026-05-02 01:00"),
        ("2026-05-01 23:30", "2026-05-02 01:00"),
        ("2026-05-02 00:30", "2026-05-02 01:00"),  # after midnight, from the day before
        ("2026-05-02 00:59", "2026-05-02 01:00"),
        ("2026-05-02 01:00", None),  # its end is not in it
        ("2026-05-02 12:00", None),
    ],
)
def test_a_window_across_midnight(now: str, until: str | None) -> None:
    assert on_until(NIGHTLY, at(now)) == (at(until) if until else None)


# 02:30 for an hour in Berlin: the spring-forward of 2026-03-29 skips 02:00-03:00 (01:00
# UTC), and the fall-back of 2026-10-25 repeats it (00:00-01:00 UTC is 02:00-03:00 twice).
BERLIN = window("30 2 * * *", "1h", "Europe/Berlin")


@pytest.mark.parametrize(
    ("now", "until"),
    [
        ("2026-03-28 01:45", "2026-03-28 02:30"),  # a winter day: 02:30 CET is 01:30 UTC
        ("2026-03-29 00:45", None),  # 01:45 CET: the skipped 02:30 has not come
        ("2026-03-29 01:45", "2026-03-29 02:30"),  # it comes an hour later: 03:30 CEST
        ("2026-03-30 00:45", "2026-03-30 01:30"),  # a summer day: 02:30 CEST is 00:30 UTC
        ("2026-10-25 00:45", "2026-10-25 01:30"),  # the first 02:30 (CEST)
        ("2026-10-25 01:45", "2026-10-25 02:30"),  # and the second (CET): two windows
        ("2026-10-25 02:45", None),
    ],
)
def test_a_window_keeps_its_local_time_across_daylight_saving(now: str, until: str | None) -> None:
    assert on_until(BERLIN, at(now)) == (at(until) if until else None)


def test_overlapping_starts_end_with_the_latest() -> None:
    hourly = window("0 * * * *", "90m")
    assert on_until(hourly, at("2026-05-01 10:15")) == at("2026-05-01 11:30")


def test_states_say_whether_each_is_on_and_its_next_start() -> None:
    (state,) = states([NIGHTLY], at("2026-05-01 23:30"))
    assert (state.name, state.until, state.next_start) == (
        "patching",
        at("2026-05-02 01:00"),
        at("2026-05-02 23:00"),
    )
    (off,) = states([NIGHTLY], at("2026-05-01 12:00"))
    assert (off.until, off.next_start) == (None, at("2026-05-01 23:00"))


def signal(source: str) -> Signal:
    return Signal(
        event_id="e1",
        source=source,
        family=source.removeprefix("aws."),
        title="x",
        severity=Severity.HIGH,
        state=SignalState.FIRING,
        fingerprint="fp",
        account="123456789012",
    )


def test_a_window_holds_only_what_it_matches_and_only_while_on() -> None:
    ec2_only = window("0 23 * * *", "2h", source="aws.ec2")
    night, day = at("2026-05-01 23:30"), at("2026-05-01 12:00")
    assert [w.until for w in holding([ec2_only], signal("aws.ec2"), night)] == [
        at("2026-05-02 01:00")
    ]
    assert holding([ec2_only], signal("aws.guardduty"), night) == []
    assert holding([ec2_only], signal("aws.ec2"), day) == []
    assert holding([ec2_only], None, night) == []


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("cron", "'0 25 * * *'", "maintenance.0.cron: cron '0 25 * * *' is not a 5-field"),
        ("cron", "'0 23 * *'", "is not a 5-field crontab line"),
        ("duration", "soon", "maintenance.0.duration:"),
        ("duration", "9d", "lasts 7d at most"),
        ("time_zone", "Mars/Olympus", "time_zone 'Mars/Olympus' is not an IANA time zone"),
    ],
)
def test_a_bad_window_is_refused_at_its_line(tmp_path, key: str, value: str, says: str) -> None:
    fields = {"cron": "'0 23 * * *'", "duration": "2h", "time_zone": "UTC", key: value}
    path = tmp_path / "routes.yml"
    path.write_text(
        "routes: []\n"
        "maintenance:\n"
        "  - name: patching\n"
        "    match: {source: ec2}\n"
        f"    cron: {fields['cron']}\n"
        f"    duration: {fields['duration']}\n"
        f"    time_zone: {fields['time_zone']}\n"
    )
    line = {"cron": 5, "duration": 6, "time_zone": 7}[key]
    with pytest.raises(RoutesFileError) as raised:
        load_routes(path)
    assert f"routes.yml: line {line}: " in str(raised.value)
    assert says in str(raised.value)


def test_a_good_window_is_read(tmp_path) -> None:
    path = tmp_path / "routes.yml"
    path.write_text(
        "maintenance:\n"
        "  - name: patching\n"
        "    match: {source: ec2}\n"
        "    cron: '30 2 * * 0'\n"
        "    duration: 2h\n"
        "    time_zone: Europe/Berlin\n"
    )
    (read,) = load_routes(path).maintenance
    assert (read.name, read.cron, read.duration, read.time_zone) == (
        "patching",
        "30 2 * * 0",
        "2h",
        "Europe/Berlin",
    )


# The fake clock starts at 2023-11-14 22:13:20 UTC, inside a window from 22:00 for 1h.
WINDOWED = {
    "maintenance": [
        {"name": "patching", "match": {"title": "^Patch"}, "cron": "0 22 * * *", "duration": "1h"}
    ]
}


def windowed() -> Delivery:
    return delivery(routes=parse_routes(WINDOWED))


def test_a_window_holds_a_matching_alert_like_a_silence_until_it_ends() -> None:
    d = windowed()
    emit(d, alarm(name="PatchReboot"))
    emit(d, alarm(name="CpuHigh"))
    assert [p["alert"].title for p in d.chat.posts] == ["CpuHigh"]  # the other is held
    held = next(a for a in d.alerts.list_alerts() if a.title == "PatchReboot")
    assert held.hold == Hold(until=at("2023-11-14 23:00"), window="patching")
    assert held.silenced_until == at("2023-11-14 23:00") and held.message is None
    assert held.history[-1].note == "in maintenance window patching: stored, not posted"
    emit(d, alarm(name="PatchReboot"))  # counted, still not posted
    assert d.alerts.get_alert(held.id).count == 2 and len(d.chat.posts) == 1
    d.clock.advance(at("2023-11-14 23:00") - d.now())
    assert refresh_silences(d) == 1  # the window is over: the held alert is posted now
    (shown,) = [p for p in d.chat.posts if p["alert"].title == "PatchReboot"]
    assert shown["alert"].hold is None and shown["alert"].silenced_until is None


def test_a_live_alert_is_held_when_its_window_begins_and_its_root_says_so() -> None:
    d = windowed()
    d.clock.advance(at("2023-11-15 21:50") - d.now())  # before the next window
    emit(d, alarm(name="PatchReboot"))
    posted = the_alert(d)
    d.clock.advance(at("2023-11-15 22:00") - d.now())
    assert refresh_silences(d) == 1
    tick(d, 20)  # the redraw, after the coalescing window
    redrawn = d.chat.updates[-1]["alert"]
    assert redrawn.id == posted.id and redrawn.hold.window == "patching"
    blocks, _ = alert_blocks(redrawn.signal, redrawn, controls=True, now=d.now())
    text = json.dumps(blocks)
    assert "In maintenance window *patching* until 23:00 UTC" in text
    assert "alert_unsilence" not in text and "alert_silence" in text  # no silence to lift
    assert alert_actions.unsilence(d, posted.id, redrawn.version, "U1") is Outcome.STALE
