"""Silences: the scopes a form's answer can name, scope `route`, what holds an alert
(the longest silence or maintenance window), and how a silence reads wherever it is shown."""

from __future__ import annotations

import pytest

from blocks.modals import silence_modal
from blocks.silences import hold_line, note_text, silence_text
from bot import alert_actions
from bot.alert_actions import Outcome
from bot.delivery import Delivery
from bot.maintenance import WindowState
from bot.models import Alert, Hold, Silence, SilenceNote, SilenceScope
from bot.routing import MaintenanceWindow, parse_routes
from bot.silences import SCOPE_WORDS, alert_matchers, hold, in_force, scope_named
from tests.unit.test_lifecycle import alarm, delivery, emit


@pytest.mark.parametrize("word", list(SCOPE_WORDS))
def test_each_scope_is_named_by_its_own_word(word: str) -> None:
    assert scope_named(word) == word


@pytest.mark.parametrize("word", ["", "Alert", "account", "this alert", "resource "])
def test_any_other_word_names_no_scope(word: str) -> None:
    assert scope_named(word) is None


# ---------------------------------------------------------------------------------------------
# Scope `route`, what holds an alert, and how a silence reads
# ---------------------------------------------------------------------------------------------

PAYMENTS = {
    "routes": [
        {"name": "payments", "match": {"title": "^Pay"}, "channel": "C0PAY"},
        {"match": {"title": "^Unnamed"}, "channel": "C0UNNAMED"},
    ]
}


def routed() -> Delivery:
    return delivery("C0DEFAULT", routes=parse_routes(PAYMENTS))


def alert_named(d: Delivery, name: str) -> Alert:
    return next(a for a in d.alerts.list_alerts(limit=100) if a.title.startswith(name))


def test_an_alert_records_the_name_of_its_route_and_only_a_named_one() -> None:
    d = routed()
    for name in ("PayApi", "UnnamedThing", "Other"):
        emit(d, alarm(name=name))
    assert alert_named(d, "PayApi").route == "payments"
    assert alert_named(d, "UnnamedThing").route is None  # its label would move with the file
    assert alert_named(d, "Other").route is None  # the default route
    assert "route" in alert_matchers(alert_named(d, "PayApi"))
    assert "route" not in alert_matchers(alert_named(d, "Other"))


def test_a_route_silence_holds_every_alert_its_rule_sends_and_no_other() -> None:
    d = routed()
    emit(d, alarm(name="PayApi"))
    pay = alert_named(d, "PayApi")
    outcome = alert_actions.silence(d, pay.id, pay.version, "U0ALICE", 3600, scope="route")
    assert outcome is Outcome.DONE
    (silence,) = d.alerts.list_silences(d.now())
    assert (silence.scope, silence.matcher, silence.alert_id) == ("route", "payments", pay.id)
    posts = len(d.chat.posts)
    emit(d, alarm(name="PayWorker"))  # the same rule: held, stored, not posted
    emit(d, alarm(name="Other"))  # another route: posted
    assert len(d.chat.posts) == posts + 1
    worker = alert_named(d, "PayWorker")
    assert worker.message is None and worker.hold is not None
    assert (worker.hold.by, worker.hold.scope) == ("U0ALICE", "route")


def test_an_alert_without_a_named_route_cannot_be_silenced_by_route() -> None:
    d = routed()
    emit(d, alarm(name="Other"))
    other = alert_named(d, "Other")
    assert alert_actions.silence(d, other.id, other.version, "U1", 60, scope="route") is (
        Outcome.NO_SCOPE
    )
    view = silence_modal(other, "ref", "C0DEFAULT")
    offered = [o["value"] for o in view["blocks"][0]["element"]["options"]]
    assert "route" not in offered
    pay_view = silence_modal(alert_named(routed_with_pay(), "PayApi"), "ref", "C0PAY")
    assert "route" in [o["value"] for o in pay_view["blocks"][0]["element"]["options"]]


def routed_with_pay() -> Delivery:
    d = routed()
    emit(d, alarm(name="PayApi"))
    return d


def silence_of(scope: SilenceScope, matcher: str, until: int, by: str = "U1") -> Silence:
    return Silence(
        id=f"s-{until}", scope=scope, matcher=matcher, created_by=by, created_at=0,
        expires_at=until,
    )  # fmt: skip


def test_the_hold_is_what_lasts_longest_and_a_silence_on_a_tie() -> None:
    keys = {"alert": "fp", "route": "payments"}
    short, long_ = silence_of("alert", "fp", 100, "U1"), silence_of("route", "payments", 200, "U2")
    other = silence_of("alert", "another", 900)
    assert hold(keys, [short, long_, other], 50) == Hold(until=200, by="U2", scope="route")
    assert hold(keys, [short], 100) is None  # ended
    window = WindowState(window=NIGHT, until=200, next_start=None)
    assert hold(keys, [long_], 50, [window]).by == "U2"
    later = WindowState(window=NIGHT, until=300, next_start=None)
    assert hold(keys, [long_], 50, [later]) == Hold(until=300, window="night")


NIGHT = MaintenanceWindow(name="night", cron="0 23 * * *", duration="2h")


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("", "no reason given"),
        ("  ", "no reason given"),
        ("deploy <!here>", "deploy &lt;!here&gt;"),
    ],
)
def test_a_silence_shows_who_made_it_and_why_everywhere(reason: str, shown: str) -> None:
    silence = silence_of("resource", "123/i-1", 4000, "U0BOB").model_copy(update={"reason": reason})
    held = Hold(until=4000, by="U0BOB", scope="resource", reason=reason)
    texts = [
        hold_line(held, 1000),
        silence_text(silence, 1000),
        *(
            note_text(SilenceNote(silence=silence, kind=k, at=3400))
            for k in ("made", "ending", "ended")
        ),
    ]
    for text in texts:
        assert "<@U0BOB>" in text and shown in text
    assert "Silence by <@U0BOB> ends in 10 minutes: " in texts[3]


def test_a_window_hold_names_the_window() -> None:
    line = hold_line(Hold(until=3600, window="patching <b>"), 0)
    assert line == "In maintenance window *patching &lt;b&gt;* until 01:00 UTC"


def test_in_force_lists_the_silences_and_every_window() -> None:
    d = routed()
    d.alerts.create_silence(silence_of("alert", "fp", d.now() + 60))
    found = in_force(d.alerts, [NIGHT], d.now())
    assert [s.matcher for s in found.silences] == ["fp"]
    assert [w.name for w in found.windows] == ["night"] and found.windows[0].next_start
