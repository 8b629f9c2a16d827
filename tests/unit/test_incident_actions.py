"""Declaring and closing an incident on in-memory stores and a FakeChat: the channel made
(another name when one is taken), its people invited, the alert posted, pinned and
linked both ways; the alert's news told there too until it is closed and archived."""

from __future__ import annotations

from contextlib import suppress

from bot import alert_actions, budget
from bot.alert_actions import Outcome
from bot.delivery import flush
from bot.errors import ChatRejectedError
from bot.incident_actions import (
    ALREADY_CLOSED,
    BEING_DECLARED,
    NOT_INCIDENT,
    already,
    close,
    declare,
    incident_in,
)
from bot.incidents import channel_name
from bot.models import AlertStatus
from tests.unit.slack.doubles import USER, fire, services


def declared(svc, **options):
    alert = fire(svc)
    assert declare(svc.delivery, alert.id, alert.version, USER, **options) is Outcome.DONE
    return svc.alerts.get_alert(alert.id)


def in_channel(svc, channel: str) -> list[str]:
    return [t["text"] for t in svc.chat.texts if t["channel"] == channel and not t["thread_ts"]]


def test_declaring_makes_the_channel_fills_it_and_links_both_ways():
    svc = services()
    alert = fire(svc)
    alert_actions.acknowledge(svc.delivery, alert.id, alert.version, "U0BOB")
    alert = svc.alerts.get_alert(alert.id)
    outcome = declare(svc.delivery, alert.id, alert.version, USER, on_call=lambda a: ["U0CAROL"])
    assert outcome is Outcome.DONE

    alert = svc.alerts.get_alert(alert.id)
    channel = alert.incident.channel
    name = channel_name(alert.title, int(svc.clock.now()))
    assert svc.chat.channels == {channel: name} and alert.incident.name == name
    assert alert.history[-1].action == "incident declared" and alert.history[-1].by == USER
    assert svc.chat.invites == [{"channel": channel, "users": [USER, "U0BOB", "U0CAROL"]}]
    (intro,) = in_channel(svc, channel)  # the first message links to the alert
    assert svc.chat.permalink(alert.message) in intro and f"<@{USER}>" in intro
    (copy,) = [p for p in svc.chat.posts if p["ref"].channel == channel]
    assert copy["controls"] is False and copy["id"] == f"{alert.id}/incident"
    assert svc.chat.pins == [copy["ref"]]
    thread = [t["text"] for t in svc.chat.texts if t["thread_ts"] == alert.message.ts]
    assert any(f"<#{channel}>" in text for text in thread)
    assert svc.chat.updates[-1]["alert"].incident.channel == channel  # the root names it
    incident, alerts = incident_in(svc.delivery, channel)
    assert (incident.name, [a.id for a in alerts]) == (name, [alert.id])


def test_a_taken_name_gets_the_next_suffix():
    svc = services()
    alert = fire(svc)
    taken = channel_name(alert.title, int(svc.clock.now()))
    svc.chat.channels["C0OLD"] = taken
    svc.chat.channels["C0OLDER"] = f"{taken}-2"
    declare(svc.delivery, alert.id, alert.version, USER)
    assert svc.alerts.get_alert(alert.id).incident.name == f"{taken}-3"


def test_a_second_click_says_where_the_incident_is_and_makes_nothing():
    svc = services()
    alert = declared(svc)
    again = declare(svc.delivery, alert.id, alert.version, "U0BOB")
    assert again == already(alert.incident.channel)
    assert len(svc.chat.channels) == 1


def test_a_declaration_under_way_is_not_made_twice():
    svc = services()
    alert = fire(svc)
    meanwhile = []

    def slow_create(name: str) -> str:  # a second click while the first makes the channel
        meanwhile.append(declare(svc.delivery, alert.id, alert.version, "U0BOB"))
        return "C0NEW"

    svc.chat.create_channel = slow_create
    assert declare(svc.delivery, alert.id, alert.version, USER) is Outcome.DONE
    assert meanwhile == [BEING_DECLARED]
    assert svc.alerts.get_alert(alert.id).incident.channel == "C0NEW"


def test_stale_and_unknown_clicks_change_nothing():
    svc = services()
    alert = fire(svc)
    alert_actions.acknowledge(svc.delivery, alert.id, alert.version, "U0BOB")
    assert declare(svc.delivery, alert.id, alert.version, USER) is Outcome.STALE
    assert declare(svc.delivery, "no-such-alert", 1, USER) is Outcome.GONE
    assert svc.chat.channels == {} and svc.alerts.get_alert(alert.id).incident is None


def test_a_channel_slack_refuses_leaves_the_alert_free_to_declare_again():
    svc = services()
    alert = fire(svc)

    def refuse(name: str) -> str:
        raise ChatRejectedError("Slack conversations_create: restricted_action")

    real, svc.chat.create_channel = svc.chat.create_channel, refuse
    note = declare(svc.delivery, alert.id, alert.version, USER)
    assert "could not be made" in note and "restricted_action" in note
    assert svc.alerts.get_alert(alert.id).incident is None
    svc.chat.create_channel = real
    assert declare(svc.delivery, alert.id, alert.version, USER) is Outcome.DONE


def test_acks_repeats_and_recovery_are_told_in_the_incident_channel():
    svc = services()
    alert = declared(svc)
    channel = alert.incident.channel
    alert_actions.acknowledge(svc.delivery, alert.id, alert.version, "U0BOB")
    assert any("<@U0BOB> acknowledged" in t for t in in_channel(svc, channel))

    with suppress(StopIteration):  # a repeat: its alert keeps its first signal
        fire(svc)  # its reply waits for the coalescing window, then goes to both
    svc.clock.advance(60)
    flush(svc.delivery)
    repeat = [t for t in svc.chat.texts if t["id"] and t["id"].endswith("/incident")]
    assert repeat and repeat[-1]["channel"] == channel
    assert repeat[-1]["text"].startswith("On the alert: ")
    thread_ids = {t["id"] for t in svc.chat.texts if t["thread_ts"] == alert.message.ts}
    assert repeat[-1]["id"].removesuffix("/incident") in thread_ids


def test_closing_archives_the_channel_once_and_stops_the_news_going_there():
    svc = services()
    alert = declared(svc)
    channel = alert.incident.channel
    assert close(svc.delivery, "C0ALERTS", USER) == NOT_INCIDENT
    assert close(svc.delivery, channel, "U0BOB") is Outcome.DONE
    assert svc.chat.archived == [channel]
    closed = svc.alerts.get_alert(alert.id)
    assert closed.incident.closed_at is not None and closed.history[-1].action == "incident closed"
    assert any("closed the incident" in t["text"] for t in svc.chat.texts if t["thread_ts"])
    incident, _ = incident_in(svc.delivery, channel)
    assert incident.closed_by == "U0BOB"
    assert close(svc.delivery, channel, USER) == ALREADY_CLOSED
    assert svc.chat.archived == [channel]

    told = len(in_channel(svc, channel))
    alert_actions.acknowledge(svc.delivery, closed.id, closed.version, "U0BOB")
    assert svc.alerts.get_alert(alert.id).status is AlertStatus.ACKED
    assert len(in_channel(svc, channel)) == told
    # Closed, it may be declared again: a new channel.
    again = svc.alerts.get_alert(alert.id)
    assert declare(svc.delivery, again.id, again.version, USER) is Outcome.DONE
    assert svc.alerts.get_alert(alert.id).incident.channel != channel


def test_a_replys_copy_is_paid_from_the_incident_channels_budget():
    svc = services()
    alert = declared(svc)
    channel = alert.incident.channel
    now = svc.clock.now()
    while budget.spend(svc.alerts, budget.post_key(channel), budget.POST, now) == 0.0:
        pass  # the incident channel's budget spent (a busy incident)
    with suppress(StopIteration):
        fire(svc)  # its reply would go now, but for the budget
    copies = [t for t in svc.chat.texts if t["id"] and t["id"].endswith("/incident")]
    assert copies == [] and svc.alerts.get_alert(alert.id).outbox.pending  # both wait
    svc.clock.advance(60)
    flush(svc.delivery)
    (copy,) = [t for t in svc.chat.texts if t["id"] and t["id"].endswith("/incident")]
    assert copy["channel"] == channel


def test_a_reply_its_thread_cannot_pay_for_burns_nothing_of_the_incident_channels():
    svc = services()
    alert = declared(svc)
    channel, thread = alert.incident.channel, alert.message.channel
    with suppress(StopIteration):
        fire(svc)  # a repeat: its reply is due once the coalescing window is over
    svc.clock.advance(60)
    now = svc.clock.now()
    while budget.spend(svc.alerts, budget.post_key(thread), budget.POST, now) == 0.0:
        pass  # the alert's own channel's budget spent
    before = budget.affordable(svc.alerts, budget.post_key(channel), budget.POST, now)
    flush(svc.delivery)
    assert svc.alerts.get_alert(alert.id).outbox.pending  # the reply waits for its thread
    after = budget.affordable(svc.alerts, budget.post_key(channel), budget.POST, now)
    assert before == 2 and after == before  # nothing spent there while the thread waits
