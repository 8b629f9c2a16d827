"""Alert delivery and the people's actions, over in-memory stores and a fake chat."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.memory import MemoryAlertStore, MemoryEventStore
from bot import alert_actions, lifecycle
from bot.alert_actions import Outcome
from bot.config import Settings
from bot.delivery import Delivery, flush, notify, refresh_silences
from bot.errors import UnprocessedError
from bot.ingest import ingest
from bot.models import AlertStatus
from tests.corpus import load, untimed
from tests.factories.services import memory_services
from tests.fakes import FakeChat, FakeClock

CHANNEL = "C0ALERTS"


@pytest.fixture
def d() -> Delivery:
    return Delivery(alerts=MemoryAlertStore(), chat=FakeChat(), clock=FakeClock(), channel=CHANNEL)


def run(d: Delivery, body) -> None:
    ingest(body, MemoryEventStore(), d.clock, ttl=3600, on_new=lambda e, s, _: notify(e, s, d))


def alarm(state: str = "ALARM", event_id: str = "evt-1") -> dict:
    event = untimed(load("cloudwatch_alarm_state_change_single_metric.json"))
    event["id"] = event_id
    event["detail"]["state"]["value"] = state
    return event


def test_a_firing_event_posts_one_alert_with_controls(d):
    run(d, alarm())
    (post,) = d.chat.posts
    assert post["controls"] is True
    (alert,) = d.alerts.list_alerts()
    assert alert.status is AlertStatus.OPEN
    assert (alert.outbox.pending, alert.message) == (False, post["ref"])


def test_a_duplicate_event_posts_nothing(d):
    events = MemoryEventStore()
    for _ in range(3):
        ingest(alarm(), events, d.clock, ttl=3600, on_new=lambda e, s, _: notify(e, s, d))
    assert len(d.chat.posts) == 1


def test_a_repeat_counts_and_posts_nothing_new(d):
    run(d, alarm(event_id="a"))
    run(d, alarm(event_id="b"))
    assert len(d.chat.posts) == 1
    assert d.alerts.list_alerts()[0].count == 2


def test_recovery_redraws_the_alert_resolved(d):
    run(d, alarm(event_id="a"))
    d.clock.advance(600)
    run(d, alarm("OK", event_id="b"))
    (alert,) = [a for a in d.alerts.list_alerts() if a.kind == "alert"]
    assert alert.status is AlertStatus.RESOLVED
    assert d.chat.updates[-1]["alert"].status is AlertStatus.RESOLVED
    assert len(d.chat.posts) == 1
    (reply,) = d.chat.texts
    assert "Resolved at" in reply["text"] and "open for 10 min" in reply["text"]
    assert reply["thread_ts"] == alert.message.ts


def test_a_reply_whose_answer_was_lost_is_found_not_posted_again(d):
    """Slack took the recovery reply but its answer was lost: the retry looks in the
    thread first, finds it by the id in its metadata, and posts nothing more."""
    run(d, alarm(event_id="a"))
    d.clock.advance(600)
    d.chat.fail_texts(applied=True)
    run(d, alarm("OK", event_id="b"))
    assert len(d.chat.texts) == 1  # in Slack, though the bot did not hear so
    (alert,) = [a for a in d.alerts.list_alerts() if a.kind == "alert"]
    assert alert.outbox.pending and alert.outbox.attempts == 1
    d.clock.advance(120)
    flush(d)
    (reply,) = d.chat.texts
    assert "Resolved at" in reply["text"]
    assert reply["id"].startswith(f"{alert.id}/reply/")
    alert = d.alerts.get_alert(alert.id)
    assert not alert.outbox.pending and alert.outbox.told.resolved


def test_a_reply_that_never_reached_slack_is_posted_on_retry(d):
    run(d, alarm(event_id="a"))
    d.clock.advance(600)
    d.chat.fail_texts()  # not applied: the retry must post it
    run(d, alarm("OK", event_id="b"))
    assert d.chat.texts == []
    d.clock.advance(120)
    flush(d)
    (reply,) = d.chat.texts
    assert "Resolved at" in reply["text"]


class FailingAlerts(MemoryAlertStore):
    """An alert store that is down (UnprocessedError) for its next `down` writes."""

    down = 0

    def create_alert(self, alert, applied=None):
        if self.down:
            self.down -= 1
            raise UnprocessedError("fake: the alert store is down")
        return super().create_alert(alert, applied)


def test_an_event_stored_but_not_alerted_on_is_alerted_on_when_sent_again():
    """The store took the event, then the alert store failed: the sender is told to retry
    (UnprocessedError), and the retry, a duplicate, is what brings the alert to Slack."""
    alerts = FailingAlerts()
    d = Delivery(alerts=alerts, chat=FakeChat(), clock=FakeClock(), channel=CHANNEL)
    events = MemoryEventStore()

    def send(body):
        return ingest(body, events, d.clock, ttl=3600, on_new=lambda e, s, _: notify(e, s, d))

    other = alarm(event_id="c")
    other["detail"]["alarmName"] = "DiskFull"
    alerts.down = 1
    with pytest.raises(UnprocessedError, match="1 of 2 events are stored but not yet alerted"):
        send([alarm(event_id="a"), other])
    assert [events.get(i, d.now()).id for i in ("a", "c")] == ["a", "c"]  # stored all the same
    assert len(d.chat.posts) == 1  # c's alert: one failure does not hold the others back
    again = send([alarm(event_id="a"), other])
    assert (again.stored, again.duplicates) == (0, 2)
    assert len(d.chat.posts) == 2
    by_title = {a.title: a for a in alerts.list_alerts()}
    assert len(by_title) == 2
    assert [a.count for a in by_title.values()] == [1, 1]  # c, sent again, not counted twice
    assert sorted(i for a in by_title.values() for i in a.outbox.event_ids) == ["a", "c"]


def test_an_event_sent_again_is_applied_once():
    d = Delivery(alerts=MemoryAlertStore(), chat=FakeChat(), clock=FakeClock(), channel=CHANNEL)
    events = MemoryEventStore()
    for event_id in ("a", "b", "a", "b", "c", "a"):
        ingest(alarm(event_id=event_id), events, d.clock, ttl=3600,
               on_new=lambda e, s, _: notify(e, s, d))  # fmt: skip
        d.clock.advance(30)
    (alert,) = d.alerts.list_alerts()
    assert alert.count == 3  # a, b and c; never a or b twice
    assert len(d.chat.posts) == 1


def test_a_late_copy_of_an_old_event_leaves_a_newer_alert_alone():
    """An OK sent again hours later (a replay) finds a newer alert of the same alarm: it
    is a duplicate beyond RETRY_WINDOW_S, so it is not alerted on again."""
    d = Delivery(alerts=MemoryAlertStore(), chat=FakeChat(), clock=FakeClock(), channel=CHANNEL)
    events = MemoryEventStore()

    def send(event):
        return ingest(event, events, d.clock, ttl=604800, on_new=lambda e, s, _: notify(e, s, d))

    send(alarm(event_id="fire-1"))
    d.clock.advance(60)
    send(alarm("OK", event_id="ok-1"))
    d.clock.advance(2 * 3600)  # past the reopen window: a new root next
    send(alarm(event_id="fire-2"))
    newest = max(
        (a for a in d.alerts.list_alerts() if a.kind == "alert"), key=lambda a: a.first_seen
    )
    assert newest.status is AlertStatus.OPEN and "fire-2" in newest.outbox.event_ids
    assert send(alarm("OK", event_id="ok-1")).duplicates == 1
    assert d.alerts.get_alert(newest.id).status is AlertStatus.OPEN


def test_info_and_lone_resolved_signals_are_notifications_without_controls(d):
    run(d, load("cloudwatch_alarm_configuration_change_update_metric_alarm.json"))
    run(d, alarm("OK", event_id="ok-alone"))
    assert [p["controls"] for p in d.chat.posts] == [False, False]
    assert {a.kind for a in d.alerts.list_alerts()} == {"notification"}


def test_a_failed_post_stays_pending_and_redelivery_posts_it_once(d):
    d.chat.fail_next(2)
    run(d, alarm())
    (alert,) = d.alerts.list_alerts()
    assert alert.outbox.pending and alert.outbox.attempts == 1
    assert flush(d) == 0  # not due yet: backoff
    d.clock.advance(5)
    assert flush(d) == 0  # fails again, waits longer
    d.clock.advance(10)
    assert flush(d) == 1
    assert len(d.chat.posts) == 1
    assert not d.alerts.get_alert(alert.id).outbox.pending


def test_a_post_whose_answer_was_lost_is_found_not_reposted(d):
    d.chat.fail_next(1, applied=True)
    run(d, alarm())
    d.clock.advance(5)
    assert flush(d) == 1
    assert len(d.chat.posts) == 1  # found by its id, not posted again
    (alert,) = d.alerts.list_alerts()
    assert alert.message == d.chat.posts[0]["ref"]


def test_acknowledge_and_take_it_back(d):
    run(d, alarm())
    (alert,) = d.alerts.list_alerts()
    assert alert_actions.acknowledge(d, alert.id, alert.version, "U1") is Outcome.DONE
    acked = d.alerts.get_alert(alert.id)
    assert (acked.status, acked.acked_by) == (AlertStatus.ACKED, "U1")
    assert d.chat.updates[-1]["alert"].status is AlertStatus.ACKED
    assert "<@U1> acknowledged" in d.chat.texts[-1]["text"]
    assert d.chat.texts[-1]["thread_ts"] == alert.message.ts
    # The old message's click is stale now.
    assert alert_actions.acknowledge(d, alert.id, alert.version, "U2") is Outcome.STALE
    assert alert_actions.unacknowledge(d, alert.id, acked.version, "U1") is Outcome.DONE
    assert d.alerts.get_alert(alert.id).status is AlertStatus.OPEN


def test_silence_holds_new_events_back_until_it_ends(d):
    d.reopen_window = 600
    run(d, alarm(event_id="a"))
    (alert,) = d.alerts.list_alerts()
    assert alert_actions.silence(d, alert.id, alert.version, "U1", 3600) is Outcome.DONE
    replies = len(d.chat.texts)
    run(d, alarm("OK", event_id="b"))  # resolves the alert
    d.clock.advance(1200)  # past the reopen window, within the silence
    run(d, alarm(event_id="c"))  # a new alert, silenced: stored, not posted
    assert len(d.chat.posts) == 1 and len(d.chat.texts) == replies
    quiet = d.alerts.find_alert(alert.fingerprint, CHANNEL)
    assert quiet.id != alert.id and quiet.message is None and not quiet.outbox.pending
    assert quiet.history[-1].note == "silenced: stored, not posted"
    d.clock.advance(3601)
    run(d, alarm("OK", event_id="d"))
    run(d, alarm(event_id="e"))
    assert len(d.chat.posts) == 2


def test_unsilence_lifts_it(d):
    run(d, alarm(event_id="a"))
    (alert,) = d.alerts.list_alerts()
    alert_actions.silence(d, alert.id, alert.version, "U1", 3600)
    silenced = d.alerts.get_alert(alert.id)
    assert alert_actions.unsilence(d, alert.id, silenced.version, "U1") is Outcome.DONE
    assert d.alerts.list_silences(int(d.clock.now())) == []
    assert d.alerts.get_alert(alert.id).silenced_until is None


def test_an_unknown_alert_is_gone(d):
    assert alert_actions.acknowledge(d, "nope", 0, "U1") is Outcome.GONE


def test_the_posted_message_shows_the_version_a_click_must_name(d):
    run(d, alarm())
    (alert,) = d.alerts.list_alerts()
    assert d.chat.posts[0]["alert"].version == alert.version


def test_redelivery_leaves_an_inline_post_alone_while_it_owns_it(d):
    d.chat.fail_next(1)
    run(d, alarm())
    (record,) = d.alerts.list_alerts()
    # Pretend the inline attempt is still in flight: it owns the post until next_attempt_at.
    d.alerts.update_alert(record.with_outbox(next_attempt_at=int(d.clock.now()) + 60))
    assert flush(d) == 0
    assert d.chat.posts == []


def test_a_post_from_a_process_that_died_before_saving_is_found_not_doubled(d):
    d.chat.fail_next(1, applied=True)  # Slack took it; we never learnt the ts
    run(d, alarm())
    (record,) = d.alerts.list_alerts()
    # As if the process died there: attempts never recorded, the claim ran out.
    d.alerts.update_alert(record.with_outbox(attempts=0, next_attempt_at=0))
    assert flush(d) == 1
    assert len(d.chat.posts) == 1  # recovery looks before it posts


def test_two_deliverers_never_both_post(d):
    class Racing(MemoryAlertStore):
        """Another deliverer claims each record right after we list it."""

        def list_pending(self, now, limit=100):
            listed = super().list_pending(now, limit)
            for record in listed:
                super().update_alert(record)  # bumps the version under our feet
            return listed

    d.chat.fail_next(1)
    racing = Racing()
    d2 = Delivery(alerts=racing, chat=d.chat, clock=d.clock, channel=CHANNEL)
    run(d2, alarm())
    d.clock.advance(3600)
    assert flush(d2) == 0  # lost the claim: the other deliverer posts it
    assert d.chat.posts == []


def test_after_a_repeat_the_message_is_redrawn_and_its_buttons_still_work(d):
    run(d, alarm(event_id="a"))
    d.clock.advance(30)
    run(d, alarm(event_id="b"))
    stored = d.alerts.list_alerts()[0]
    shown = d.chat.updates[-1]["alert"]
    assert (shown.version, shown.count) == (stored.version, 2)
    assert alert_actions.acknowledge(d, stored.id, shown.version, "U1") is Outcome.DONE


def test_a_click_on_a_message_behind_only_by_repeats_still_works(d):
    run(d, alarm(event_id="a"))
    posted = d.chat.posts[0]["alert"]
    run(d, alarm(event_id="b"))  # inside the window: counted, not yet drawn
    assert d.chat.updates == []
    assert alert_actions.acknowledge(d, posted.id, posted.version, "U1") is Outcome.DONE


def test_a_stale_click_redraws_the_message_as_the_alert_is_now(d):
    run(d, alarm())
    (alert,) = d.alerts.list_alerts()
    alert_actions.acknowledge(d, alert.id, alert.version, "U1")
    updates = len(d.chat.updates)
    assert alert_actions.acknowledge(d, alert.id, alert.version, "U2") is Outcome.STALE
    assert len(d.chat.updates) == updates + 1
    assert d.chat.updates[-1]["alert"].acked_by == "U1"


def hold_back_a_new_alert(d: Delivery):
    """A silenced alert resolves; past the reopen window, within the silence, it fires
    again twice: a new alert, held back. Returns the first alert."""
    d.reopen_window = 600
    run(d, alarm(event_id="a"))
    (alert,) = d.alerts.list_alerts()
    alert_actions.silence(d, alert.id, alert.version, "U1", 7200)
    run(d, alarm("OK", event_id="b"))
    d.clock.advance(1200)
    flush(d)  # the first alert's coalesced edit to resolved
    run(d, alarm(event_id="c"))
    run(d, alarm(event_id="c2"))
    return alert


def test_an_alert_held_back_by_a_silence_is_posted_once_the_silence_ends(d):
    alert = hold_back_a_new_alert(d)
    assert len(d.chat.posts) == 1
    d.clock.advance(7200)
    assert flush(d) == 0  # nothing is due: a silence's end is the silences job's to find
    assert refresh_silences(d) == 1  # the silence is over: the held-back alert shows now
    assert len(d.chat.posts) == 2
    held = d.alerts.find_alert(alert.fingerprint, CHANNEL)
    assert held.id != alert.id and held.message is not None and held.count == 2
    assert refresh_silences(d) == 0


def test_a_repeat_after_the_silence_ended_posts_the_held_back_alert(d):
    hold_back_a_new_alert(d)
    assert len(d.chat.posts) == 1
    d.clock.advance(7200)
    run(d, alarm(event_id="d"))  # before the silences job runs, the next event shows it
    assert len(d.chat.posts) == 2


def test_one_failed_alert_does_not_stop_the_rest_of_the_batch(d):
    calls = []
    real = d.chat.post_alert

    def flaky(*args, **kwargs):
        calls.append(kwargs["message_id"])
        if len(calls) == 1:
            raise RuntimeError("a bug in one view")
        return real(*args, **kwargs)

    d.chat.post_alert = flaky
    ecs = load("ecs_deployment_state_change_failed.json")
    run(d, [alarm(), ecs])
    assert len(calls) == 2
    assert len(d.chat.posts) == 1


def test_every_event_of_an_alert_replayed_is_counted_once_however_many_came_after():
    """Three hundred events of one alarm, then each of them again (a sender's retry within
    the retry window, so alerted on again): the alert counts 300, not one more, although
    an alert's event_ids keep only the latest EVENTS_KEPT."""
    assert lifecycle.EVENTS_KEPT < 300
    svc = memory_services(Settings(_env_file=None, slack_alerts_channel=CHANNEL))
    start = svc.clock.now()

    def transition(n: int) -> dict:
        event = alarm(event_id=f"evt-{n:03d}")
        changed = datetime.fromtimestamp(start + 5 * n, UTC).isoformat()
        event["detail"]["state"]["timestamp"] = changed.replace("+00:00", ".000+0000")
        return event

    for n in range(300):
        assert svc.ingest(transition(n)).stored == 1
        svc.clock.advance(5)
    (alert,) = [a for a in svc.alerts.list_alerts() if a.kind == "alert"]
    assert alert.count == 300 and len(svc.chat.posts) == 1
    for n in range(300):
        assert svc.ingest(transition(n)).duplicates == 1  # within the retry window: again
        svc.clock.advance(1)
    (replayed,) = [a for a in svc.alerts.list_alerts() if a.kind == "alert"]
    assert replayed.id == alert.id and replayed.count == 300
    assert len(svc.chat.posts) == 1


def test_a_replayed_firing_and_recovery_past_the_reopen_window_open_nothing_new(d):
    """The first firing and the recovery of an alert, sent again after the reopen window
    closed and after more events than an alert keeps ids of: the firing would open a new
    alert and the recovery would post a note, were it not for the record of their
    application on the alert they were applied to."""
    d.reopen_window = 600
    body = [alarm("ALARM", "evt-fire"), alarm("OK", "evt-ok")]
    events = MemoryEventStore()

    def deliver(body: list[dict]) -> None:
        ingest(body, events, d.clock, ttl=86400, on_new=lambda e, s, _: notify(e, s, d))

    deliver(body[:1])
    for n in range(lifecycle.EVENTS_KEPT + 10):  # repeats push the first out of the window
        d.clock.advance(1)
        deliver([alarm("ALARM", f"evt-repeat-{n}")])
    deliver(body[1:])
    (alert,) = d.alerts.list_alerts()
    assert alert.status is AlertStatus.RESOLVED
    posts = len(d.chat.posts)
    d.clock.advance(700)  # past the reopen window, within the hour duplicates are retried
    for event in body:
        notify_again = lambda e, s, _: notify(e, s, d)  # noqa: E731
        ingest([event], events, d.clock, ttl=86400, on_new=notify_again)
    assert [a.id for a in d.alerts.list_alerts()] == [alert.id]
    assert d.alerts.get_alert(alert.id).count == lifecycle.EVENTS_KEPT + 11
    assert len(d.chat.posts) == posts
