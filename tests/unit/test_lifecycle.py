"""An alert's whole life in one root message: repeats in its thread, coalesced edits and
replies, auto-resolve, flapping, and silences that hold. The clock is injected; `tick`
moves it the way the long-running service's flush job would run."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from adapters.memory import MemoryAlertStore
from blocks.view import MessageView
from bot import alert_actions, lifecycle
from bot.alert_actions import Outcome
from bot.delivery import Delivery, flush, notify, save_planned
from bot.models import Alert, AlertStatus, Event
from bot.sources import Context, interpret
from tests.factories import alarm as alarm_f
from tests.factories import cloudformation as cfn_f
from tests.factories import codepipeline as pipeline_f
from tests.factories import guardduty as gd_f
from tests.factories import health as health_f
from tests.factories import make_event
from tests.factories import securityhub as sh_f
from tests.fakes import FakeChat, FakeClock

CHANNEL = "C0ALERTS"
FLUSH_EVERY = 5  # as the scheduler runs it
GREEN = "#36A64F"


def delivery(channel: str = CHANNEL, **options: Any) -> Delivery:
    """A delivery on in-memory stores, a fake chat and a clock that moves when told."""
    return Delivery(
        alerts=MemoryAlertStore(), chat=FakeChat(), clock=FakeClock(), channel=channel, **options
    )


@pytest.fixture
def d() -> Delivery:
    return delivery()


def emit(d: Delivery, event: Event) -> list[Alert]:
    return notify(event, interpret(event, Context()), d)


def tick(d: Delivery, seconds: float) -> None:
    """Let time pass, with the flush job running every FLUSH_EVERY seconds."""
    while seconds > 0:
        step = min(FLUSH_EVERY, seconds)
        d.clock.advance(step)
        seconds -= step
        flush(d)


def alarm(state: str = "ALARM", *, name: str = "CpuHigh", account: str = "123456789012") -> Event:
    previous = "OK" if state == "ALARM" else "ALARM"
    detail = alarm_f.state_change(name=name, state=state, previous=previous)
    return make_event("CloudWatch Alarm State Change", "aws.cloudwatch", detail, account=account)


def guardduty(instance: str = "i-0abc", finding_id: str = "f-1", **kw: Any) -> Event:
    detail = gd_f.finding(finding_id=finding_id, **kw)
    detail["resource"]["instanceDetails"]["instanceId"] = instance
    return make_event("GuardDuty Finding", "aws.guardduty", detail)


def the_alert(d: Delivery) -> Alert:
    (alert,) = [a for a in d.alerts.list_alerts(limit=1000) if a.kind == "alert"]
    return alert


def thread_of(d: Delivery, alert: Alert) -> list[str]:
    assert alert.message is not None
    return [t["text"] for t in d.chat.texts if t["thread_ts"] == alert.message.ts]


def drawn(d: Delivery) -> Alert:
    """The alert as its message last showed it: the last edit, else the post."""
    return d.chat.updates[-1]["alert"] if d.chat.updates else d.chat.posts[-1]["alert"]


def view_text(d: Delivery, alert: Alert) -> str:
    assert alert.signal is not None
    message = MessageView(clock=d.clock).message(alert.signal, alert, controls=True)
    return str(message)


# ---------------------------------------------------------------------------------------------
# Grouping and coalescing
# ---------------------------------------------------------------------------------------------


def test_100_repeats_in_60_s_give_one_root_at_most_6_edits_and_6_replies(d):
    emit(d, alarm())
    elapsed, next_flush = 0.0, FLUSH_EVERY
    for _ in range(99):
        d.clock.advance(0.6)
        elapsed += 0.6
        while elapsed >= next_flush:  # the flush job, on its own schedule
            flush(d)
            next_flush += FLUSH_EVERY
        emit(d, alarm())
    assert elapsed < 60
    tick(d, 30)  # the window's last held-back edit and reply go out
    alert = the_alert(d)
    assert len(d.chat.posts) == 1
    assert 1 <= len(d.chat.updates) <= 6
    replies = thread_of(d, alert)
    assert 1 <= len(replies) <= 6 and len(replies) == len(d.chat.texts)
    told = sum(int(n) for n in re.findall(r"Fired (\d+) more times", "\n".join(replies)))
    told += sum("Fired once more" in r for r in replies)
    assert told == 99  # every repeat is summarised, none twice
    assert alert.count == 100 and drawn(d).count == 100
    assert not alert.outbox.pending and not alert.outbox.dirty


def test_edits_and_replies_keep_ten_seconds_apart(d):
    emit(d, alarm())
    edits, replies = [], []

    def note(step) -> None:
        before = (len(d.chat.updates), len(d.chat.texts))
        step()
        edits.extend([d.now()] * (len(d.chat.updates) - before[0]))
        replies.extend([d.now()] * (len(d.chat.texts) - before[1]))

    for _ in range(45):  # an event and a flush every second
        d.clock.advance(1)
        note(lambda: flush(d))
        note(lambda: emit(d, alarm()))
    for times in (edits, replies):
        assert len(times) >= 4
        assert all(b - a >= lifecycle.COALESCE_S for a, b in itertools.pairwise(times))


def test_a_lone_repeat_after_a_quiet_spell_is_told_at_once(d):
    emit(d, alarm())
    d.clock.advance(300)
    emit(d, alarm())
    alert = the_alert(d)
    assert thread_of(d, alert) == [thread_of(d, alert)[0]]
    assert "Fired once more" in thread_of(d, alert)[0]
    assert drawn(d).count == 2
    assert "Seen 2 times since" in view_text(d, alert) and "last at" in view_text(d, alert)


def test_info_for_an_open_alert_goes_into_its_thread(d):
    emit(d, make_event(
        "CodePipeline Pipeline Execution State Change", "aws.codepipeline",
        pipeline_f.pipeline_execution("FAILED"),
    ))  # fmt: skip
    emit(d, make_event(
        "CodePipeline Pipeline Execution State Change", "aws.codepipeline",
        pipeline_f.pipeline_execution("STARTED", execution_id="e-2"),
    ))  # fmt: skip
    root, note = d.chat.posts
    assert note["controls"] is False and note["thread_ts"] == root["ref"].ts


# ---------------------------------------------------------------------------------------------
# Auto-resolve and flapping
# ---------------------------------------------------------------------------------------------


def test_alarm_ok_alarm_ok_in_the_window_stays_one_root_resolved_with_2_flaps(d):
    emit(d, alarm())
    for state in ("OK", "ALARM", "OK"):
        tick(d, 120)
        emit(d, alarm(state))
    tick(d, 30)
    alert = the_alert(d)
    assert len(d.chat.posts) == 1  # one root, for the whole life
    assert (alert.status, alert.flaps) == (AlertStatus.RESOLVED, 2)
    shown = drawn(d)
    assert (shown.status, shown.flaps) == (AlertStatus.RESOLVED, 2)
    thread = thread_of(d, alert)
    assert len(thread) == 3 == len(d.chat.texts)  # every reply in its thread
    assert "Resolved at" in thread[0] and "reopened" in thread[1] and "Resolved" in thread[2]
    text = view_text(d, alert)
    assert "Flapping: fired 2 separate times" in text
    assert "open for 2 min" in text  # from its latest opening
    assert GREEN in text and "alert_ack" not in text and "alert_silence" not in text


def test_firing_again_after_the_reopen_window_gets_a_new_root(d):
    emit(d, alarm())
    tick(d, 60)
    emit(d, alarm("OK"))
    tick(d, d.reopen_window + 1)
    emit(d, alarm())
    assert len(d.chat.posts) == 2
    first, second = sorted(
        (a for a in d.alerts.list_alerts() if a.kind == "alert"), key=lambda a: a.first_seen
    )
    assert first.status is AlertStatus.RESOLVED and second.status is AlertStatus.OPEN
    assert (first.flaps, second.flaps) == (0, 0)


def test_a_reopened_alert_needs_acknowledging_again(d):
    emit(d, alarm())
    alert = the_alert(d)
    assert alert_actions.acknowledge(d, alert.id, alert.version, "U1") is Outcome.DONE
    tick(d, 60)
    emit(d, alarm("OK"))
    tick(d, 60)
    emit(d, alarm())
    reopened = the_alert(d)
    assert reopened.status is AlertStatus.OPEN and reopened.acked_by is None


FIRING_THEN_RESOLVING = {
    "alarm": (alarm(), alarm("OK")),
    "cloudformation": tuple(
        make_event(
            "CloudFormation Stack Status Change", "aws.cloudformation", cfn_f.stack_status(s)
        )
        for s in ("UPDATE_FAILED", "UPDATE_COMPLETE")
    ),
    "health": tuple(
        make_event("AWS Health Event", "aws.health", health_f.event_detail(status=s))
        for s in ("open", "closed")
    ),
    "codepipeline": tuple(
        make_event(
            "CodePipeline Pipeline Execution State Change",
            "aws.codepipeline",
            pipeline_f.pipeline_execution(s),
        )
        for s in ("FAILED", "SUCCEEDED")
    ),
    "securityhub": tuple(
        make_event(
            "Security Hub Findings - Imported", "aws.securityhub", sh_f.findings(sh_f.finding(**kw))
        )
        for kw in ({}, {"workflow": "RESOLVED"})
    ),
    "securityhub archived": tuple(
        make_event(
            "Security Hub Findings - Imported", "aws.securityhub", sh_f.findings(sh_f.finding(**kw))
        )
        for kw in ({}, {"record_state": "ARCHIVED"})
    ),
    "guardduty": (guardduty(), guardduty(archived=True)),
}


@pytest.mark.parametrize("family", FIRING_THEN_RESOLVING)
def test_each_familys_resolving_event_resolves_its_alert_in_place(d, family):
    firing, resolving = FIRING_THEN_RESOLVING[family]
    emit(d, firing)
    tick(d, 14 * 60)
    emit(d, resolving)
    alert = the_alert(d)
    assert alert.status is AlertStatus.RESOLVED
    assert len(d.chat.posts) == 1  # no separate recovery message
    assert drawn(d).status is AlertStatus.RESOLVED
    (reply,) = thread_of(d, alert)
    assert "Resolved at" in reply and "open for 14 min" in reply


def test_a_resolving_event_with_nothing_open_is_a_green_notification(d):
    emit(d, alarm("OK"))
    (post,) = d.chat.posts
    assert post["controls"] is False
    message = MessageView(clock=d.clock).message(post["signal"], None, controls=False)
    assert message["attachments"][0]["color"] == GREEN


# ---------------------------------------------------------------------------------------------
# Silences
# ---------------------------------------------------------------------------------------------


def test_a_silence_set_before_a_flap_still_holds_after_it(d):
    emit(d, alarm())
    alert = the_alert(d)
    assert alert_actions.silence(d, alert.id, alert.version, "U1", 4 * 3600) is Outcome.DONE
    told = len(d.chat.texts)  # "<@U1> silenced …"
    for state in ("OK", "ALARM", "ALARM"):
        tick(d, 120)
        emit(d, alarm(state))
    tick(d, 30)
    alert = the_alert(d)
    assert (alert.status, alert.flaps) == (AlertStatus.OPEN, 2)
    assert alert.silenced_until is not None and alert.silenced_until > d.now()
    assert len(d.chat.texts) == told  # quiet: no replies while silenced
    assert len(d.chat.posts) == 1
    assert "alert_unsilence" in view_text(d, drawn(d))  # the root still shows the silence
    # Past the reopen window, still within the silence: a new alert stays quiet too.
    emit(d, alarm("OK"))
    tick(d, 2 * 3600)
    emit(d, alarm())
    assert len(d.chat.posts) == 1


def test_when_a_silence_ends_the_message_is_redrawn_and_the_thread_catches_up(d):
    from bot.delivery import refresh_silences

    emit(d, alarm())
    alert = the_alert(d)
    alert_actions.silence(d, alert.id, alert.version, "U1", 600)
    told = len(d.chat.texts)
    for _ in range(3):
        tick(d, 60)
        emit(d, alarm())
    assert len(d.chat.texts) == told
    tick(d, 600)
    assert refresh_silences(d) == 1
    alert = the_alert(d)
    assert alert.silenced_until is None and drawn(d).silenced_until is None
    assert "Fired 3 more times" in d.chat.texts[-1]["text"]
    assert alert.history[-1].action == "silence ended"


def test_a_custom_account_and_source_silence_stops_those_alerts_and_only_those(d):
    emit(d, alarm(name="Other"))  # open before the silence: redrawn as silenced
    emit(d, alarm())
    alert = next(a for a in d.alerts.list_alerts() if a.title.startswith("CpuHigh"))
    silenced_at = d.now()
    outcome = alert_actions.silence(
        d, alert.id, alert.version, "U1", 3600, "maintenance", scope="account_source"
    )
    assert outcome is Outcome.DONE
    posts = len(d.chat.posts)
    emit(d, alarm(name="DiskFull"))  # same account and source: quiet
    emit(d, alarm(name="DiskFull", account="210987654321"))  # another account: posted
    emit(d, guardduty())  # another source, same account: posted
    tick(d, 10)  # the channel's budget paces the posts
    new = [p["signal"] for p in d.chat.posts[posts:]]
    assert sorted((s.source, s.account) for s in new) == [
        ("aws.cloudwatch", "210987654321"),
        ("aws.guardduty", "123456789012"),
    ]
    other = next(a for a in d.alerts.list_alerts() if a.title.startswith("Other"))
    until = silenced_at + 3600
    assert other.silenced_until == d.alerts.get_alert(alert.id).silenced_until == until
    tick(d, 10)  # its message shows the silence, a coalescing window after its post
    assert d.chat.updates[-1]["alert"].id == other.id
    assert d.chat.updates[-1]["alert"].silenced_until == other.silenced_until
    (silence,) = d.alerts.list_silences(d.now())
    assert (silence.scope, silence.matcher, silence.reason) == (
        "account_source",
        "123456789012/aws.cloudwatch",
        "maintenance",
    )


def test_a_resource_silence_covers_every_finding_on_that_resource(d):
    emit(d, guardduty("i-0abc", "f-1"))
    alert = the_alert(d)
    outcome = alert_actions.silence(
        d, alert.id, alert.version, "U1", 3600, "pentest", scope="resource"
    )
    assert outcome is Outcome.DONE
    emit(d, guardduty("i-0abc", "f-2"))  # another finding, same instance: quiet
    emit(d, guardduty("i-0def", "f-3"))  # another instance: posted
    assert [p["signal"].resource for p in d.chat.posts] == ["i-0abc", "i-0def"]


def test_a_scope_the_alert_cannot_name_is_refused(d):
    emit(d, alarm())
    alert = the_alert(d).model_copy(update={"signal": None})
    d.alerts.update_alert(alert)
    alert = the_alert(d)
    outcome = alert_actions.silence(d, alert.id, alert.version, "U1", 60, scope="resource")
    assert outcome is Outcome.NO_SCOPE and d.alerts.list_silences(d.now()) == []


def test_unsilence_lifts_a_broad_silence_and_shows_what_it_held(d):
    emit(d, alarm())
    alert = the_alert(d)
    alert_actions.silence(d, alert.id, alert.version, "U1", 3600, "x", scope="account_source")
    emit(d, alarm(name="DiskFull"))  # held back by the silence
    assert len(d.chat.posts) == 1
    alert = d.alerts.get_alert(alert.id)
    assert alert_actions.unsilence(d, alert.id, alert.version, "U1") is Outcome.DONE
    assert d.alerts.list_silences(d.now()) == []
    assert [p["signal"].title.split()[0] for p in d.chat.posts] == ["CpuHigh", "DiskFull"]


# ---------------------------------------------------------------------------------------------
# Clicks, failures and races
# ---------------------------------------------------------------------------------------------


def test_a_click_from_before_a_state_change_is_stale(d):
    emit(d, alarm())
    posted = the_alert(d)
    tick(d, 60)
    emit(d, alarm("OK"))
    assert alert_actions.acknowledge(d, posted.id, posted.version, "U1") is Outcome.STALE
    now = the_alert(d)
    assert alert_actions.acknowledge(d, now.id, now.version + 5, "U1") is Outcome.STALE


def test_a_failed_reply_is_kept_and_sent_after_a_backoff(d):
    emit(d, alarm())
    d.clock.advance(60)
    d.chat.fail_texts(1)
    emit(d, alarm())
    alert = the_alert(d)
    assert alert.outbox.pending and alert.outbox.told.count == 1 and d.chat.texts == []
    tick(d, 10)
    (reply,) = d.chat.texts
    assert "Fired once more" in reply["text"]
    assert not the_alert(d).outbox.pending


def test_a_failed_edit_is_kept_and_redrawn_later(d):
    emit(d, alarm())
    d.clock.advance(60)
    d.chat.fail_updates(1)
    emit(d, alarm())
    assert the_alert(d).outbox.dirty and d.chat.updates == []
    tick(d, 10)
    assert drawn(d).count == 2 and not the_alert(d).outbox.dirty


def test_two_instances_never_take_one_coalescing_slot(d):
    emit(d, alarm())
    d.clock.advance(60)
    seen_by_both = the_alert(d).with_outbox(dirty=True)
    d.alerts.update_alert(seen_by_both)
    seen_by_both = the_alert(d)
    now = d.now()
    _, first = save_planned(d.alerts, seen_by_both, lambda a: lifecycle.plan(a, now))
    _, second = save_planned(d.alerts, seen_by_both, lambda a: lifecycle.plan(a, now))
    assert first.edit and not second.edit  # the second re-read and found the slot taken
    assert the_alert(d).outbox.edited_at == now


def test_a_click_whose_redraw_fails_leaves_the_edit_to_flush(d):
    emit(d, alarm())
    alert = the_alert(d)
    d.chat.fail_updates(1)
    assert alert_actions.acknowledge(d, alert.id, alert.version, "U1") is Outcome.DONE
    assert the_alert(d).outbox.dirty and the_alert(d).outbox.pending
    tick(d, 10)
    assert drawn(d).status is AlertStatus.ACKED and not the_alert(d).outbox.dirty


def test_two_instances_opening_one_alert_at_once_make_one_root(d):
    class Lagging(MemoryAlertStore):
        """An index that has not seen the other instance's alert yet (DynamoDB GSIs lag)."""

        def find_alert(self, fingerprint, channel):
            return None

    store = Lagging()
    d2 = Delivery(alerts=store, chat=d.chat, clock=d.clock, channel=CHANNEL)
    emit(d2, alarm())
    emit(d2, alarm())  # another event, another instance: finds nothing, opens the same id
    (alert,) = [a for a in store.list_alerts() if a.kind == "alert"]
    assert alert.count == 2 and len(d.chat.posts) == 1


def test_when_only_the_reply_fails_only_the_reply_is_retried(d):
    emit(d, alarm())
    d.clock.advance(60)
    d.chat.fail_texts(1)
    emit(d, alarm())
    assert len(d.chat.updates) == 1 and not the_alert(d).outbox.dirty  # the edit went through
    tick(d, 30)
    assert len(d.chat.updates) == 1 and len(d.chat.texts) == 1


def test_a_click_that_loses_its_write_to_a_repeat_still_acts(d):
    emit(d, alarm())
    alert = the_alert(d)
    write = d.alerts.update_alert
    raced: list[bool] = []

    def racing(changed, applied=None):
        if not raced:  # a repeat lands between the click's read and its write
            raced.append(True)
            emit(d, alarm())
        return write(changed, applied)

    d.alerts.update_alert = racing
    assert alert_actions.acknowledge(d, alert.id, alert.version, "U1") is Outcome.DONE
    assert the_alert(d).status is AlertStatus.ACKED and the_alert(d).count == 2


def test_one_failing_signal_does_not_stop_the_events_others(d):
    event = alarm()
    (good,) = interpret(event, Context())
    bad = good.model_copy(update={"fingerprint": "boom"})
    real = d.alerts.find_alert

    def find(fingerprint, channel):
        if fingerprint == "boom":
            raise RuntimeError("store hiccup")
        return real(fingerprint, channel)

    d.alerts.find_alert = find
    records = notify(event, [bad, good], d)
    assert [r.fingerprint for r in records] == [good.fingerprint]


def test_flush_goes_on_past_a_record_that_fails(d):
    d.chat.fail_next(2)
    emit(d, alarm(name="First"))
    emit(d, alarm(name="Second"))
    real = d.chat.post_alert

    def post(channel, signal, alert, **kw):
        if signal.title.startswith("First"):
            raise RuntimeError("a bug in one view")
        return real(channel, signal, alert, **kw)

    d.chat.post_alert = post
    tick(d, 30)
    assert [p["signal"].title.split()[0] for p in d.chat.posts] == ["Second"]


def test_a_silence_also_holds_back_the_alerts_notifications(d):
    emit(d, make_event(
        "CodePipeline Pipeline Execution State Change", "aws.codepipeline",
        pipeline_f.pipeline_execution("FAILED"),
    ))  # fmt: skip
    alert = the_alert(d)
    alert_actions.silence(d, alert.id, alert.version, "U1", 3600)
    emit(d, make_event(
        "CodePipeline Pipeline Execution State Change", "aws.codepipeline",
        pipeline_f.pipeline_execution("STARTED", execution_id="e-2"),
    ))  # fmt: skip
    assert len(d.chat.posts) == 1  # the info event is stored, not posted


def test_a_post_slack_refuses_is_given_up_after_a_few_tries(d, caplog):
    from bot.errors import ChatRejectedError

    def refuse(*args, **kwargs):
        raise ChatRejectedError("Slack post_alert: channel_not_found")

    d.chat.post_alert = refuse
    emit(d, alarm())
    tick(d, 600)
    alert = the_alert(d)
    assert not alert.outbox.pending and alert.outbox.attempts == 2
    assert alert.history[-1].action == "not posted"
    assert "giving up" in caplog.text
