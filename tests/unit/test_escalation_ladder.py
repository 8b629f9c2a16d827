"""A route's escalation ladder on an injected clock: each step when due and once, the
on-call's mention, DMs and @here, each with its line in the thread; acknowledging,
silencing and resolving stop it, a reopening starts it over; a step Slack did not take
is sent by the next run."""

from __future__ import annotations

import pytest

from blocks.view import MessageView
from bot import alert_actions, escalation
from bot.delivery import Delivery, flush
from bot.models import Alert, AlertStatus, Severity
from bot.routing import parse_routes
from tests.unit.test_lifecycle import alarm, delivery, emit, the_alert, tick

LADDER = [
    {"after": "5m", "notify": "oncall"},
    {"after": "15m", "notify": "dm"},
    {"after": "30m", "notify": "here"},
]


def routes(ladder=LADDER, **rotation):
    return parse_routes(
        {
            "oncall": [{"name": "ops", **(rotation or {"usergroup": "S0OPS"})}],
            "routes": [{"name": "ops", "channel": "C0OPS", "oncall": "ops", "escalation": ladder}],
        }
    )


@pytest.fixture
def d() -> Delivery:
    d = delivery(routes=routes())
    d.chat.usergroups["S0OPS"] = ["U0ALICE", "U0BOB"]
    return d


def steps_at(d: Delivery, minutes: list[int]) -> list[tuple[int, str]]:
    """(minute from the first event, step) for each step that went out over `minutes`."""
    start = d.now()
    seen = []
    for minute in minutes:
        d.clock.advance(start + minute * 60 - d.now())
        before = len(d.chat.escalations)
        escalation.escalate(d, 900)
        seen += [(minute, e["notify"]) for e in d.chat.escalations[before:]]
    return seen


def test_the_steps_come_in_order_each_once_and_replace_the_reminders(d):
    emit(d, alarm())  # HIGH: a reminder at 15 min without a ladder
    assert steps_at(d, [4, 5, 6, 15, 16, 29, 30, 31, 60, 120]) == [
        (5, "oncall"),
        (15, "dm"),
        (30, "here"),
    ]
    assert d.chat.reminders == []
    mention, dm, here = d.chat.escalations
    assert mention["users"] == ["U0ALICE", "U0BOB"] and mention["waited"] == 300
    assert [m["user"] for m in d.chat.directs] == ["U0ALICE", "U0BOB"]
    assert all(m["ref"] == the_alert(d).message for m in d.chat.directs)  # the link's target
    assert dm["users"] == ["U0ALICE", "U0BOB"]  # the thread's "DMed …" line
    assert here["users"] == []
    thread = [t for t in d.chat.texts if t["thread_ts"] == the_alert(d).message.ts]
    assert len(thread) == 3  # every step left its line


def test_a_low_alert_is_escalated_too_when_its_route_gives_a_ladder():
    d = delivery(routes=routes(ladder=[{"after": "5m", "notify": "here"}]))
    emit(d, alarm())
    alert = the_alert(d)
    d.alerts.update_alert(alert.model_copy(update={"severity": Severity.LOW}))
    assert steps_at(d, [5]) == [(5, "here")]


def test_two_runs_at_once_send_a_step_once(d):
    emit(d, alarm())
    d.clock.advance(5 * 60)
    stale = the_alert(d)  # what both runs read
    assert escalation.step_due(stale, d.now()) == 1
    assert escalation._escalate_one(d, stale, 1, d.now()) is True
    assert escalation._escalate_one(d, stale, 1, d.now()) is False  # its write lost
    assert len(d.chat.escalations) == 1 and the_alert(d).reminders == 1


@pytest.mark.parametrize("stop", ["acknowledge", "silence", "resolve"])
def test_acknowledge_silence_and_resolve_stop_the_ladder(d, stop):
    emit(d, alarm())
    assert steps_at(d, [5]) == [(5, "oncall")]
    alert = the_alert(d)
    if stop == "silence":
        alert_actions.silence(d, alert.id, alert.version, "U0ALICE", 7 * 86400)
    else:
        getattr(alert_actions, stop)(d, alert.id, alert.version, "U0ALICE")
    assert steps_at(d, [15, 30, 60]) == []


def test_a_reopened_alert_starts_over(d):
    emit(d, alarm())
    assert steps_at(d, [5, 15]) == [(5, "oncall"), (15, "dm")]
    emit(d, alarm("OK"))
    tick(d, 30)
    emit(d, alarm())  # within the reopen window: the same root, open again
    tick(d, 30)
    assert the_alert(d).status is AlertStatus.OPEN and the_alert(d).reminders == 0
    assert [step for _, step in steps_at(d, [4, 5, 6])] == ["oncall"]  # 5 min after reopening


def test_a_dm_step_slack_refused_is_tried_again_by_the_next_run(d):
    emit(d, alarm())
    steps_at(d, [5])
    d.chat.directs_fail = 2  # both people
    assert steps_at(d, [15]) == []
    assert the_alert(d).reminders == 1  # put back
    assert steps_at(d, [16]) == [(16, "dm")]
    assert len(d.chat.directs) == 2


def test_a_dm_slack_refuses_is_not_tried_again_and_the_ladder_goes_on(d):
    emit(d, alarm())
    d.chat.directs_refused = True
    assert steps_at(d, [5, 15, 16, 30]) == [(5, "oncall"), (15, "dm"), (30, "here")]
    assert d.chat.directs == [] and d.chat.escalations[1]["users"] == []  # "Nobody was DMed"


def test_a_step_whose_line_fails_is_put_back(d):
    emit(d, alarm())
    d.chat.fail_texts(1)
    assert steps_at(d, [5]) == []
    assert the_alert(d).reminders == 0  # put back
    assert steps_at(d, [6]) == [(6, "oncall")]


def test_the_on_call_of_a_rotation_of_members_is_mentioned_and_dmed():
    d = delivery(routes=routes(members=["U0CAROL", "U0DAN"], every="1d", start="2020-01-01"))
    emit(d, alarm())
    steps_at(d, [5, 15])
    assert len(d.chat.escalations[0]["users"]) == 1
    assert [m["user"] for m in d.chat.directs] == d.chat.escalations[0]["users"]


def test_nobody_on_call_is_said_and_the_step_taken(d):
    d.chat.usergroups.clear()  # the usergroup cannot be read: its id stands for it
    emit(d, alarm())
    assert steps_at(d, [5, 15]) == [(5, "oncall"), (15, "dm")]
    assert d.chat.escalations[0]["users"] == ["S0OPS"]  # the group is still mentioned
    assert d.chat.directs == [] and d.chat.escalations[1]["users"] == []  # none to DM


def test_the_lines_ping_only_whom_the_step_names_and_the_dm_escapes_the_title(d):
    view = MessageView(d.clock)
    emit(d, alarm())
    alert = the_alert(d).model_copy(update={"title": "<!channel> CpuHigh", "mention": "S0OPS"})
    assert view.escalation(alert, "oncall", ["U0ALICE", "S0SEC"], 300) == (
        ":alarm_clock: Still unacknowledged after 5 min. On call: <@U0ALICE> <!subteam^S0SEC>."
    )
    assert "nobody is on call; <!subteam^S0OPS>" in view.escalation(alert, "oncall", [], 300)
    assert view.escalation(alert, "dm", ["U0ALICE"], 900).startswith(
        ":incoming_envelope: DMed <@U0ALICE>: unacknowledged after 15 min"
    )
    assert "<!here>" in view.escalation(alert, "here", [], 1800)
    dm = view.direct(alert, "https://x.slack.com/archives/C1/p1", 900)
    assert "&lt;!channel&gt; CpuHigh" in dm and "<!channel>" not in dm
    assert dm.endswith("<https://x.slack.com/archives/C1/p1|Open the alert>")


def posted_late(d: Delivery, minutes: int) -> int:
    """The alarm's root goes out `minutes` after it opened (Slack down until then): the
    time of the post."""
    d.chat.fail_next(1)
    emit(d, alarm())
    assert the_alert(d).message is None
    d.clock.advance(minutes * 60)
    flush(d)
    assert the_alert(d).message is not None and the_alert(d).posted_at == d.now()
    return d.now()


def test_a_late_first_post_starts_the_ladder_so_overdue_steps_do_not_burst_out(d):
    posted_late(d, 40)  # every step of the ladder overdue by its opening
    assert steps_at(d, [1, 2, 3, 4, 5, 6, 15, 30]) == [(5, "oncall"), (15, "dm"), (30, "here")]
    assert d.chat.escalations[0]["waited"] == 300  # since the post


def test_a_late_first_post_starts_the_reminders_too():
    d = delivery()  # no ladder: the HIGH alarm's reminders after 15 and 30 min
    posted = posted_late(d, 40)
    d.clock.advance(60)
    assert escalation.escalate(d, 900) == 0
    d.clock.advance(posted + 900 - d.now())
    assert escalation.escalate(d, 900) == 1 and d.chat.reminders[0]["waited"] == 900


def test_a_reopened_alert_counts_from_its_reopening_and_an_old_record_from_its_opening(d):
    emit(d, alarm())
    alert = the_alert(d)
    assert escalation.waiting_since(alert) == alert.posted_at == alert.opened_at
    reopened = alert.model_copy(update={"opened_at": alert.posted_at + 3600})
    assert escalation.waiting_since(reopened) == alert.posted_at + 3600
    old = alert.model_dump(mode="json")
    del old["posted_at"]
    assert escalation.waiting_since(Alert.model_validate(old)) == alert.opened_at


def test_a_dm_whose_answer_was_lost_is_found_by_the_retry_not_sent_twice(d):
    d.chat.usergroups["S0OPS"] = ["U0ALICE"]
    emit(d, alarm())
    steps_at(d, [5])
    d.chat.directs_lost = 1  # the DM went; Slack's answer did not come back
    assert steps_at(d, [15]) == []
    assert the_alert(d).reminders == 1  # put back
    assert steps_at(d, [16]) == [(16, "dm")]
    (dm,) = d.chat.directs  # the retry carried the same id, and found it
    assert d.chat.escalations[-1]["users"] == ["U0ALICE"]
    assert (
        dm["id"].startswith(f"{the_alert(d).id}:step2:") and dm["since"] == the_alert(d).posted_at
    )
