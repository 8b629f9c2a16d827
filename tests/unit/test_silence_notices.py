"""Expiry notices: 10 minutes before a silence ends and once it has ended, each sent once
in its alert's thread, reserved before it is sent, and paid from the channel's budget."""

from __future__ import annotations

import pytest

from bot import alert_actions, budget
from bot.delivery import Delivery
from bot.errors import StaleVersionError
from bot.models import Silence
from bot.silence_notices import WARN_S, due, notify_silences
from tests.unit.test_lifecycle import alarm, delivery, emit, the_alert, thread_of

HOUR = 3600


@pytest.fixture
def d() -> Delivery:
    return delivery()


def silenced(d: Delivery, seconds: int = HOUR, reason: str = "deploying") -> Silence:
    emit(d, alarm())
    alert = the_alert(d)
    alert_actions.silence(d, alert.id, alert.version, "U0ALICE", seconds, reason)
    (silence,) = d.alerts.list_silences(d.now())
    return silence


def notices_at(d: Delivery, silence: Silence, *offsets: int) -> list[list[str]]:
    """The notices each run of the job sent, at each offset from the silence's end."""
    sent = []
    for offset in offsets:
        d.clock.advance(silence.expires_at + offset - d.now())
        before = len(d.chat.silence_notes)
        notify_silences(d)
        sent.append([n["note"].kind for n in d.chat.silence_notes[before:]])
    return sent


def test_due_notices() -> None:
    made = Silence(id="s", matcher="fp", created_by="U1", created_at=0, expires_at=HOUR)
    assert due(made, {}, HOUR - WARN_S - 1) is None
    assert due(made, {}, HOUR - WARN_S) == "ending"
    assert due(made, {"ending": True}, HOUR - 60) is None
    assert due(made, {"ending": True}, HOUR) == "ended"
    assert due(made, {}, HOUR + 60) == "ended"  # the warning missed is not sent late
    assert due(made, {"ended": True}, HOUR + 60) is None
    assert due(made, {}, HOUR + 2 * HOUR) is None  # long over: let go
    brief = made.model_copy(update={"expires_at": WARN_S})  # made for 10 minutes
    assert due(brief, {}, 1) is None and due(brief, {}, WARN_S) == "ended"


def test_ten_minutes_before_and_at_the_end_each_once_in_the_alerts_thread(d):
    silence = silenced(d)
    runs = notices_at(d, silence, -WARN_S - 30, -WARN_S + 10, -WARN_S + 40, -30, 0, 30, 90)
    assert runs == [[], ["ending"], [], [], ["ended"], [], []]
    alert = the_alert(d)
    thread = thread_of(d, alert)
    assert thread[-2:] == [
        ":hourglass_flowing_sand: Silence by <@U0ALICE> ends in 10 minutes: deploying",
        ":bell: Silence by <@U0ALICE> has ended: deploying",
    ]


def test_a_quick_silence_says_no_reason_given(d):
    silence = silenced(d, reason="")
    notices_at(d, silence, -WARN_S)
    assert thread_of(d, the_alert(d))[-1].endswith("ends in 10 minutes: no reason given")


def test_a_notice_another_run_reserved_is_not_sent_again(d, monkeypatch):
    silence = silenced(d)

    def lost(state):
        raise StaleVersionError("another run took it")

    monkeypatch.setattr(d.alerts, "put_state", lost)
    assert notices_at(d, silence, -60) == [[]]


def test_a_spent_budget_or_a_failing_slack_puts_the_notice_back(d):
    silence = silenced(d)
    d.clock.advance(silence.expires_at - 60 - d.now())
    key = budget.post_key(the_alert(d).message.channel)
    while budget.spend(d.alerts, key, budget.POST, d.clock.now()) == 0:
        pass  # the channel's budget spent by other posts
    assert notify_silences(d) == 0
    d.clock.advance(5)  # refilled
    d.chat.fail_texts()
    assert notify_silences(d) == 0
    assert notify_silences(d) == 1
    assert [n["note"].kind for n in d.chat.silence_notes] == ["made", "ending"]
    assert notify_silences(d) == 0


def test_a_silence_lifted_by_hand_or_with_no_thread_gets_no_notice(d):
    silence = silenced(d)
    alert = the_alert(d)
    assert alert_actions.unsilence(d, alert.id, alert.version, "U1") is alert_actions.Outcome.DONE
    assert notices_at(d, silence, -60, 0) == [[], []]
    orphan = silence.model_copy(update={"id": "orphan", "matcher": "nothing", "alert_id": None})
    d.alerts.create_silence(orphan)
    assert notices_at(d, orphan, -60, 0) == [[], []]


def test_a_silence_without_its_alert_is_told_in_a_live_alert_it_holds(d):
    silence = silenced(d)
    d.alerts.create_silence(silence.model_copy(update={"id": "older", "alert_id": None}))
    d.alerts.delete_silence(silence.id)
    older = d.alerts.get_silence("older")
    assert notices_at(d, older, -60) == [["ending"]]
    assert d.chat.silence_notes[-1]["ref"] == the_alert(d).message
