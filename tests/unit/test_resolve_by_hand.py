"""An alert resolved by hand (the Resolve button): it reopens only on news. A firing
whose measure (how bad, how many) rose reopens it; the same finding sent again is
counted and stays resolved; its source's recovery is recorded, after which any firing
is news. Families whose every firing is a transition (an alarm, a log error) reopen on
any firing. The clock is injected; `tick` runs the flush job as the service would."""

from __future__ import annotations

from typing import Any

import pytest

from bot import alert_actions, lifecycle
from bot.alert_actions import Outcome
from bot.delivery import Delivery
from bot.models import Alert, AlertStatus, Event, Measure, Outbox, Told
from bot.routing import parse_routes
from bot.sources import Context, interpret
from bot.sources.base import measured
from tests.factories import inspector as inspector_f
from tests.factories import logs as logs_f
from tests.factories import macie as macie_f
from tests.factories import make_event
from tests.factories import securityhub as sh_f
from tests.unit.test_lifecycle import alarm, delivery, drawn, emit, guardduty, thread_of, tick

USER = "U0ALICE"


@pytest.fixture
def d() -> Delivery:
    return delivery()


def alerts(d: Delivery) -> list[Alert]:
    return sorted(
        (a for a in d.alerts.list_alerts(limit=1000) if a.kind == "alert"),
        key=lambda a: (a.first_seen, a.id),
    )


def resolve_by_hand(d: Delivery) -> Alert:
    """Click Resolve on the one alert, as the root shows it now."""
    (alert,) = alerts(d)
    assert alert_actions.resolve(d, alert.id, alert.version, USER) is Outcome.DONE
    return d.alerts.get_alert(alert.id)


def finding(count: int = 3, severity: float = 8, **kw: Any) -> Event:
    return guardduty(count=count, severity=severity, **kw)


def hub(label: str = "HIGH", **kw: Any) -> Event:
    detail = sh_f.findings(sh_f.finding(label=label, **kw))
    return make_event(sh_f.IMPORTED, sh_f.SOURCE, detail)


def only_signal(event: Event):
    (signal,) = interpret(event, Context())
    return signal


# ---------------------------------------------------------------------------------------------
# The rule, as pure functions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "before", "rose"),
    [
        (Measure(score=8, count=3), Measure(score=8, count=3), False),  # sent again unchanged
        (Measure(score=8, count=4), Measure(score=8, count=3), True),  # seen once more
        (Measure(score=8.5, count=3), Measure(score=8, count=3), True),  # worse
        (Measure(score=5, count=3), Measure(score=8, count=3), False),  # better
        (Measure(score=5, count=4), Measure(score=8, count=3), True),  # better, but seen again
        (Measure(score=8), Measure(score=8, count=3), False),  # only what both say counts
        (Measure(count=3), Measure(score=8), True),  # nothing in common to compare
        (Measure(score=8), None, True),  # nothing recorded when it was resolved
        (None, Measure(score=8, count=3), True),  # a firing that cannot say is news
        (None, None, True),
    ],
)
def test_a_measure_rose_only_when_a_part_both_know_is_higher(now, before, rose):
    assert lifecycle.rose(now, before) is rose


def test_only_an_alert_resolved_by_hand_stays_resolved_on_the_same_measure():
    same = Measure(score=8, count=3)
    by_hand = Alert(
        id="a", fingerprint="f", first_seen=0, last_seen=0, status=AlertStatus.RESOLVED,
        resolved_at=10, resolved_by=USER, measure=same,
    )  # fmt: skip
    assert lifecycle.stays_resolved(by_hand, same)
    assert not lifecycle.stays_resolved(by_hand, Measure(score=8, count=4))
    by_source = by_hand.model_copy(update={"resolved_by": None})
    assert not lifecycle.stays_resolved(by_source, same)
    live = by_hand.model_copy(update={"status": AlertStatus.OPEN, "resolved_at": None})
    assert not lifecycle.stays_resolved(live, same)


def test_a_resend_after_a_resolution_by_hand_is_counted_not_reopened_nor_told():
    alert = Alert(
        id="a", fingerprint="f", first_seen=0, last_seen=0, status=AlertStatus.RESOLVED,
        resolved_at=10, resolved_by=USER, measure=Measure(score=8, count=3), state_version=4,
        version=4, outbox=Outbox(told=Told(resolved=True)),  # the click's reply told it
    )  # fmt: skip
    counted = lifecycle.fire(alert, 20, None, Measure(score=8, count=3))
    assert (counted.status, counted.count, counted.last_seen) == (AlertStatus.RESOLVED, 2, 20)
    assert counted.state_version == 4  # a click on its root is not made stale
    assert counted.outbox.dirty  # the root's count is redrawn
    assert lifecycle.reply_text(counted.outbox.told, counted) is None  # the thread hears nothing
    reopened = lifecycle.fire(alert, 20, None, Measure(score=8, count=4))
    assert (reopened.status, reopened.resolved_by) == (AlertStatus.OPEN, None)
    assert reopened.measure == Measure(score=8, count=4)


# ---------------------------------------------------------------------------------------------
# What each family says of a finding
# ---------------------------------------------------------------------------------------------


def test_a_guardduty_finding_measures_its_score_and_count():
    assert only_signal(finding(count=7, severity=5.5)).measure == Measure(score=5.5, count=7)


def test_security_hub_macie_and_inspector_findings_measure_how_bad_and_how_many():
    assert only_signal(hub("CRITICAL")).measure == Measure(score=4)
    macie = make_event(macie_f.FINDING, macie_f.SOURCE, macie_f.finding("Medium"))
    assert only_signal(macie).measure == Measure(score=2, count=1)
    inspector = make_event(inspector_f.FINDING, inspector_f.SOURCE, inspector_f.finding())
    assert only_signal(inspector).measure == Measure(score=7.5)


def test_alarms_and_log_errors_have_no_measure_every_firing_is_news():
    assert only_signal(alarm()).measure is None
    logs = make_event(logs_f.LOGS_ERROR, logs_f.SOURCE, logs_f.logs_result())
    assert only_signal(logs).measure is None


@pytest.mark.parametrize(
    ("score", "count", "expected"),
    [
        ("8.0", "12", Measure(score=8.0, count=12)),
        ("High", None, None),
        (float("nan"), -1, None),
        ("inf", 2.0, Measure(count=2)),
        (True, [3], None),
        (None, None, None),
    ],
)
def test_a_measure_is_read_from_untrusted_values_and_never_guessed(score, count, expected):
    assert measured(score, count) == expected


# ---------------------------------------------------------------------------------------------
# Through the delivery: events in, Slack out
# ---------------------------------------------------------------------------------------------


def test_a_guardduty_finding_sent_again_unchanged_stays_resolved_and_is_counted(d):
    emit(d, finding())
    tick(d, 60)
    resolved = resolve_by_hand(d)
    told = len(d.chat.texts)  # the click's reply
    for _ in range(4):  # GuardDuty sends it again every 6 hours, for a day
        tick(d, 6 * 3600)
        emit(d, finding())
    tick(d, 30)
    (alert,) = alerts(d)  # past the reopen window too: no new root
    assert (alert.status, alert.resolved_by, alert.count) == (AlertStatus.RESOLVED, USER, 5)
    assert len(d.chat.posts) == 1 and len(d.chat.texts) == told
    assert drawn(d).count == 5 and drawn(d).status is AlertStatus.RESOLVED
    assert alert.state_version == resolved.state_version


def test_a_finding_seen_again_by_its_source_reopens_the_same_root(d):
    emit(d, finding(count=3))
    tick(d, 60)
    resolve_by_hand(d)
    tick(d, 600)
    emit(d, finding(count=4))
    tick(d, 30)
    (alert,) = alerts(d)
    assert (alert.status, alert.resolved_by, alert.flaps) == (AlertStatus.OPEN, None, 2)
    assert alert.measure == Measure(score=8, count=4)
    assert len(d.chat.posts) == 1
    assert drawn(d).status is AlertStatus.OPEN
    resolved_reply, reopened_reply = thread_of(d, alert)
    assert f"<@{USER}>" in resolved_reply and "reopened" in reopened_reply


def test_a_worse_finding_past_the_reopen_window_gets_a_new_root(d):
    emit(d, finding(severity=5))
    tick(d, 60)
    resolve_by_hand(d)
    tick(d, d.reopen_window + 60)
    emit(d, finding(severity=5))  # the same: stays resolved
    emit(d, finding(severity=8.5))
    first, second = alerts(d)
    assert (first.status, first.count) == (AlertStatus.RESOLVED, 2)
    assert (second.status, second.measure) == (AlertStatus.OPEN, Measure(score=8.5, count=3))
    assert len(d.chat.posts) == 2


def test_a_finding_whose_severity_fell_stays_resolved(d):
    emit(d, finding(severity=8))
    resolve_by_hand(d)
    tick(d, 600)
    emit(d, finding(severity=4))
    (alert,) = alerts(d)
    assert alert.status is AlertStatus.RESOLVED and alert.measure == Measure(score=8, count=3)


def test_a_security_hub_finding_reopens_only_when_its_label_rose(d):
    emit(d, hub("MEDIUM"))
    resolve_by_hand(d)
    tick(d, 600)
    emit(d, hub("MEDIUM"))
    assert alerts(d)[0].status is AlertStatus.RESOLVED
    emit(d, hub("HIGH"))
    assert alerts(d)[0].status is AlertStatus.OPEN


def test_its_sources_recovery_is_recorded_and_then_any_firing_reopens_it(d):
    emit(d, finding())
    resolve_by_hand(d)
    tick(d, 600)
    emit(d, finding(archived=True))  # GuardDuty archives it too
    (alert,) = alerts(d)
    assert len(d.chat.posts) == 1  # no green notification of its own
    assert (alert.status, alert.resolved_by) == (AlertStatus.RESOLVED, None)
    assert alert.history[-1].action == "recovered"
    tick(d, 600)
    emit(d, finding())  # unarchived, unchanged: a transition of its source
    assert alerts(d)[0].status is AlertStatus.OPEN


def test_an_alarm_resolved_by_hand_takes_its_ok_quietly_and_reopens_on_alarm(d):
    emit(d, alarm())
    resolve_by_hand(d)
    tick(d, 120)
    emit(d, alarm("OK"))
    tick(d, 30)
    (alert,) = alerts(d)
    assert len(d.chat.posts) == 1 and alert.status is AlertStatus.RESOLVED
    assert alert.history[-1].action == "recovered"
    tick(d, 120)
    emit(d, alarm())
    assert alerts(d)[0].status is AlertStatus.OPEN


def test_a_new_log_error_reopens_an_alert_resolved_by_hand(d):
    event = make_event(logs_f.LOGS_ERROR, logs_f.SOURCE, logs_f.logs_result())
    emit(d, event)
    resolve_by_hand(d)
    tick(d, 3600)
    emit(d, make_event(logs_f.LOGS_ERROR, logs_f.SOURCE, logs_f.logs_result()))
    assert alerts(d)[0].status is AlertStatus.OPEN


def test_a_finding_its_source_resolved_reopens_on_the_same_measure(d):
    """The rule is for resolutions by hand: after its source's own, a firing is a
    transition."""
    emit(d, finding())
    tick(d, 60)
    emit(d, finding(archived=True))
    tick(d, 60)
    emit(d, finding())
    (alert,) = alerts(d)
    assert (alert.status, alert.flaps) == (AlertStatus.OPEN, 2)


def test_the_recovery_of_an_alert_resolved_by_hand_goes_to_it_whatever_the_rules():
    routes = parse_routes({"routes": [{"match": {"severity": "high"}, "channel": "C0ONCALL"}]})
    d = delivery("C0DEFAULT", routes=routes)
    emit(d, alarm())  # HIGH: to the on-call channel
    resolve_by_hand(d)
    emit(d, alarm("OK"))  # the recovery's own severity would send it to the default channel
    tick(d, 30)
    assert [p["ref"].channel for p in d.chat.posts] == ["C0ONCALL"]  # no stray message
    (alert,) = alerts(d)
    assert alert.history[-1].action == "recovered"
