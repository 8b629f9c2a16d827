"""The Home tab's view: its sections, its controls (the alert root's own, naming the
alert's state version), escaping, and Slack's 100 blocks however long the lists."""

from __future__ import annotations

import json

from blocks.alert import ACK, DECLARE_INCIDENT, RESOLVE, SILENCE
from blocks.home import MINE_SHOWN, NO_ON_CALL, OPEN_SHOWN, SILENCES_SHOWN, home_view
from blocks.lists import SILENCE_REMOVE
from blocks.slack_text import MAX_VIEW_BLOCKS
from bot.models import Agent, Alert, AlertStatus, Severity, Silence
from bot.models.home import Home, ReportLink
from tests.slack.fake_slack import validate_home

NOW = 1_800_000_000
USER = "U0ALICE"


def alert(i: int, **changes) -> Alert:
    fields = {"id": f"a{i:04d}", "fingerprint": f"fp{i}", "title": f"Alarm {i}",
              "account": "123456789012", "severity": list(Severity)[i % 5],
              "first_seen": NOW - i, "last_seen": NOW - i, "version": 7, "state_version": 3,
              "channel": "C0ALERTS"}  # fmt: skip
    return Alert(**{**fields, **changes})


def silence(i: int) -> Silence:
    return Silence(id=f"s{i}", matcher=f"fp{i}", created_by="U0BOB", reason="deploying",
                   created_at=NOW - 60, expires_at=NOW + 3600)  # fmt: skip


def home(**changes) -> Home:
    fields = {"user": USER, "now": NOW, "open_alerts": (), "mine": (), "acked_by_others": 0,
              "silences": (), "stale_agents": (), "on_call": None, "last_report": None}  # fmt: skip
    return Home(**{**fields, **changes})


def texts(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def test_an_empty_home_says_so_in_each_section():
    view = home_view(home())
    assert view["type"] == "home" and validate_home(view) == []
    shown = texts(view)
    for words in ("Nothing needs acknowledging", "No active silences", "heard from recently",
                  NO_ON_CALL, "No daily report"):  # fmt: skip
        assert words in shown


def test_open_alerts_carry_the_root_s_controls_naming_their_state_version():
    view = home_view(home(open_alerts=(alert(1), alert(2))))
    actions = [b for b in view["blocks"] if b["type"] == "actions"]
    assert [b["block_id"] for b in actions] == ["alert:a0001:3", "alert:a0002:3"]
    ack, resolve, select, declare = actions[0]["elements"]
    assert (ack["action_id"], ack["value"]) == (ACK, "a0001:3")
    assert (resolve["action_id"], select["action_id"]) == (RESOLVE, SILENCE)
    assert (declare["action_id"], declare["value"]) == (DECLARE_INCIDENT, "a0001:3")
    assert "*Open alerts* (2)" in texts(view) and "in <#C0ALERTS>" in texts(view)


def test_500_open_alerts_fit_in_100_blocks_with_a_note_pointing_at_events():
    many = tuple(alert(i) for i in range(500))
    mine = tuple(alert(1000 + i, status=AlertStatus.ACKED, acked_by=USER) for i in range(40))
    agents = tuple(Agent(id=f"{i:012d}", region="eu-west-1", last_seen=NOW - 90000)
                   for i in range(60))  # fmt: skip
    rotations = tuple((f"rotation {i}", ("U0BOB",)) for i in range(30))
    silences = tuple(silence(i) for i in range(30))
    view = home_view(home(open_alerts=many, mine=mine, silences=silences, stale_agents=agents,
                          on_call=rotations, capped=True))  # fmt: skip
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
    assert "*Daily report*" in view["blocks"][-1]["text"]["text"]  # every section kept
    assert validate_home(view) == []
    shown = texts(view)
    assert f"{500 - OPEN_SHOWN}+ more not shown here: `/events state:open`" in shown
    assert f"{40 - MINE_SHOWN} more not shown here: `/events state:acked`" in shown
    assert f"{30 - SILENCES_SHOWN} more not shown here: `/silences`" in shown
    assert "more not shown here: `/agents`" in shown and "and 15 more rotations" in shown
    assert "*Open alerts* (500+)" in shown


def test_alert_and_silence_text_is_escaped():
    hostile = alert(1, title="<!channel> <https://evil.example|click>")
    bad = silence(1).model_copy(update={"reason": "<@U0EVE> &"})
    shown = texts(home_view(home(open_alerts=(hostile,), silences=(bad,))))
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert "<@U0EVE>" not in shown and "&lt;@U0EVE&gt; &amp;" in shown


def test_silences_have_remove_and_mine_are_listed_apart():
    mine = alert(3, status=AlertStatus.ACKED, acked_by=USER)
    view = home_view(home(mine=(mine,), silences=(silence(1),)))
    removes = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert [(r["action_id"], r["value"]) for r in removes] == [(SILENCE_REMOVE, "s1")]
    assert "*Acknowledged by you* (1)" in texts(view)
    unack = next(b for b in view["blocks"] if b["type"] == "actions")["elements"][0]
    assert unack["action_id"] == "alert_unack"


def test_on_call_and_the_report_link():
    report = ReportLink("2026-12-03", "C0REPORT", "1.5")
    rotations = (("payments", ("U0CAROL", "U0DAN")), ("nights", ()))
    url = "https://x.slack.com/archives/C0REPORT/p15"
    view = home_view(home(on_call=rotations, last_report=report), url)
    shown = texts(view)
    assert "*payments*: <@U0CAROL>, <@U0DAN>" in shown and "*nights*: nobody" in shown
    assert "<https://x.slack.com/archives/C0REPORT/p15|The daily report of 2026-12-03>" in shown
    unlinked = texts(home_view(home(last_report=report)))
    assert "The daily report of 2026-12-03 in <#C0REPORT>" in unlinked
