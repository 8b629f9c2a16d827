"""app_home_opened publishes the person's Home tab; and the alert and silence buttons
work from the Home tab, whose clicks carry the view and no channel, message or
response_url: the change is made, the home is published again, notes go to the person's
messages with the app."""

from __future__ import annotations

import json

from blocks.alert import ACK
from blocks.home import home_ref
from bot import alert_actions
from bot.alert_actions import Outcome
from bot.home import VIEWERS_KEY
from bot.models import AlertStatus
from handlers.slack.authorization import NOT_ALLOWED, Responders
from handlers.slack.clicks import NOTES
from handlers.slack.listeners.acknowledge import acknowledge
from handlers.slack.listeners.home_opened import home_opened
from handlers.slack.listeners.silence_remove import remove_silence
from handlers.slack.listeners.silence_submit import silence_submitted
from handlers.slack.wiring import Core
from tests.unit.slack.doubles import USER, button, fire
from tests.unit.slack.test_silence_submit import modal


def opened(tab: str = "home", user: str = USER) -> dict:
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab,
            "event_ts": "1.1"}  # fmt: skip


def on_home(user: str = USER) -> dict:
    """A block_actions body from the Home tab, as far as listeners read it."""
    return {"user": {"id": user}, "trigger_id": "t-1", "container": {"type": "view"},
            "view": {"id": "V0HOME", "type": "home", "hash": "1.x"}}  # fmt: skip


def test_opening_the_home_tab_publishes_it_and_watches_it(svc, core):
    alert = fire(svc)
    home_opened(opened(), core=core)
    (home,) = svc.chat.homes
    assert home.user == USER and [a.id for a in home.open_alerts] == [alert.id]
    assert USER in svc.alerts.get_state(VIEWERS_KEY).data["users"]


def test_the_messages_tab_publishes_nothing(svc, core):
    home_opened(opened("messages"), core=core)
    home_opened({"type": "app_home_opened", "tab": "home"}, core=core)  # no user
    assert svc.chat.homes == []
    assert svc.alerts.get_state(VIEWERS_KEY) is None


def test_acknowledge_from_the_home_acts_and_publishes_the_home_again(svc, core, client):
    alert = fire(svc)
    acknowledge(on_home(), button(ACK, home_ref(alert)), client, core=core)
    acked = svc.alerts.get_alert(alert.id)
    assert (acked.status, acked.acked_by) == (AlertStatus.ACKED, USER)
    assert svc.chat.updates  # the alert's own message is redrawn too
    (home,) = svc.chat.homes
    assert [a.id for a in home.mine] == [alert.id] and home.open_alerts == ()


def test_a_stale_click_on_the_home_is_told_in_the_app_s_messages(svc, core, client):
    alert = fire(svc)
    stale = home_ref(alert)
    alert_actions.acknowledge(svc.delivery, alert.id, alert.version, "U0BOB")
    acknowledge(on_home(), button(ACK, stale), client, core=core)
    assert svc.alerts.get_alert(alert.id).acked_by == "U0BOB"
    assert svc.chat.ephemerals == [] and svc.chat.homes == []
    (note,) = [t for t in svc.chat.texts if t["channel"] == USER]
    assert note["text"] == NOTES[Outcome.STALE]


def test_remove_from_the_home_ends_the_silence_and_publishes_the_home(svc, core, client):
    alert = fire(svc)
    alert_actions.silence(svc.delivery, alert.id, alert.version, "U0BOB", 3600, "deploying")
    (silence,) = svc.alerts.list_silences(int(svc.clock.now()))
    remove_silence(button("silence_remove", silence.id), on_home(), None, client, core=core)
    assert svc.alerts.list_silences(int(svc.clock.now())) == []
    (home,) = svc.chat.homes
    assert home.silences == ()


def test_remove_from_the_home_by_someone_not_a_responder_is_told_to_them(svc, client):
    alert = fire(svc)
    alert_actions.silence(svc.delivery, alert.id, alert.version, "U0BOB", 3600, "deploying")
    (silence,) = svc.alerts.list_silences(int(svc.clock.now()))
    core = Core(svc, Responders(["U0BOB"]))
    remove_silence(button("silence_remove", silence.id), on_home(), None, client, core=core)
    assert svc.alerts.list_silences(int(svc.clock.now())) == [silence]
    assert [t["text"] for t in svc.chat.texts if t["channel"] == USER] == [NOT_ALLOWED]
    assert svc.chat.homes == []


def test_a_custom_silence_opened_from_the_home_publishes_it_again(svc, core, client):
    alert = fire(svc)
    view = modal(home_ref(alert), duration="1h", reason="deploying")
    view["private_metadata"] = json.dumps({"ref": home_ref(alert), "channel": ""})  # no channel
    silence_submitted({"user": {"id": USER}, "view": view}, view, client, core=core)
    (silence,) = svc.alerts.list_silences(int(svc.clock.now()))
    (home,) = svc.chat.homes
    assert home.silences == (silence,)
