"""The Home tab's data and its refresh: what each person's home holds, who is watching it,
and when it is published again (changed, at most once a minute, within the hour after it
was opened, within the views.publish budget)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot import alert_actions
from bot.config import Settings
from bot.cursors import CursorCodec
from bot.daily_report import previous_day, report_key
from bot.errors import ChatRejectedError, ChatUnavailableError
from bot.home import PUBLISH, REFRESH_S, VIEWERS_KEY, WATCH_S, digest, homes_of
from bot.models import Agent, AlertStatus, IncidentRef, Severity, State
from bot.oncall import take
from bot.routing import parse_routes
from bot.services import Services
from tests.factories.services import memory_services
from tests.unit.slack.doubles import CHANNEL, USER, fire, services

BOB = "U0BOB"


def acked(svc: Services, name: str, user: str):
    alert = fire(svc, name)
    alert_actions.acknowledge(svc.delivery, alert.id, alert.version, user)
    return svc.alerts.get_alert(alert.id)


def test_a_home_holds_open_alerts_worst_first_and_the_person_s_own_acks():
    svc = services()
    high = fire(svc, "Cpu")
    svc.clock.advance(10)
    low = fire(svc, "Disk")  # the newer, but not as bad
    lowered = svc.alerts.get_alert(low.id).model_copy(update={"severity": Severity.LOW})
    svc.alerts.update_alert(lowered)
    assert high.severity.rank > Severity.LOW.rank and low.last_seen > high.last_seen
    mine, theirs = acked(svc, "Mem", USER), acked(svc, "Net", BOB)
    home = homes_of(svc).board(int(svc.clock.now())).home_of(USER)
    assert [a.id for a in home.open_alerts] == [high.id, low.id]
    assert [a.id for a in home.mine] == [mine.id]
    assert home.acked_by_others == 1 and theirs.acked_by == BOB
    assert home.on_call is None  # no rotations configured
    assert home.last_report is None and home.silences == () and home.stale_agents == ()


def test_a_home_holds_silences_stale_agents_who_is_on_call_and_the_last_report():
    rotations = [("payments", ["U0CAROL"]), ("platform", [])]
    svc = replace(services(), on_call=lambda: rotations)
    now = int(svc.clock.now())
    alert = fire(svc)
    alert_actions.silence(svc.delivery, alert.id, alert.version, BOB, 3600, "deploying")
    svc.agents.create(Agent(id="111111111111", region="eu-west-1", last_seen=now - 2 * 86400))
    svc.agents.create(Agent(id="222222222222", region="eu-west-1", last_seen=now))
    day = previous_day(now) - timedelta(days=1)  # the day before yesterday's: the last one
    svc.alerts.put_state(State(key=report_key(day), data={"ts": "1.5", "channel": "C0REPORT"}))
    home = homes_of(svc).board(now).home_of(USER)
    assert [s.created_by for s in home.silences] == [BOB]
    assert [a.id for a in home.stale_agents] == ["111111111111"]
    assert home.on_call == (("payments", ("U0CAROL",)), ("platform", ()))
    assert home.last_report is not None
    assert (home.last_report.day, home.last_report.channel, home.last_report.ts) == (
        day.isoformat(), "C0REPORT", "1.5")  # fmt: skip


def test_a_broken_on_call_source_leaves_the_rest_of_the_home(caplog):
    def broken() -> list[tuple[str, list[str]]]:
        raise RuntimeError("rotations unreadable")

    svc = replace(services(), on_call=broken)
    fire(svc)
    home = homes_of(svc).board(int(svc.clock.now())).home_of(USER)
    assert home.on_call == () and len(home.open_alerts) == 1
    assert "reading who is on call failed" in caplog.text


def test_the_digest_moves_with_what_is_shown_not_with_repeats():
    svc = services()
    alert = fire(svc)
    homes = homes_of(svc)
    before = digest(homes.board(int(svc.clock.now())).home_of(USER))
    repeated = svc.alerts.get_alert(alert.id)
    svc.alerts.update_alert(repeated.model_copy(update={"count": 9}))
    assert digest(homes.board(int(svc.clock.now())).home_of(USER)) == before
    alert_actions.acknowledge(svc.delivery, alert.id, alert.version, BOB)
    assert digest(homes.board(int(svc.clock.now())).home_of(USER)) != before


def test_opening_publishes_the_home_and_watches_it():
    svc = services()
    fire(svc)
    assert homes_of(svc).show(USER) is True
    (home,) = svc.chat.homes
    assert home.user == USER and len(home.open_alerts) == 1
    seen = svc.alerts.get_state(VIEWERS_KEY).data["users"][USER]
    assert seen == {"opened": int(svc.clock.now()), "published": int(svc.clock.now()),
                    "digest": digest(home)}  # fmt: skip


def test_nobody_watching_costs_no_write_and_publishes_nothing():
    svc = services()
    alert = fire(svc)
    alert_actions.acknowledge(svc.delivery, alert.id, alert.version, USER)
    assert homes_of(svc).refresh() == 0
    assert svc.alerts.get_state(VIEWERS_KEY) is None
    assert svc.chat.homes == []


def test_a_change_is_published_at_most_once_a_minute_to_those_watching():
    svc = services()
    alert = fire(svc)
    homes = homes_of(svc)
    homes.show(USER)
    assert homes.refresh() == 0  # nothing changed
    alert_actions.acknowledge(svc.delivery, alert.id, alert.version, USER)
    svc.clock.advance(REFRESH_S - 1)
    assert homes.refresh() == 0  # published under a minute ago
    svc.clock.advance(1)
    assert homes.refresh() == 1
    assert [a.id for a in svc.chat.homes[-1].mine] == [alert.id]
    svc.clock.advance(REFRESH_S)
    assert homes.refresh() == 0  # nothing changed since


def test_a_home_opened_over_an_hour_ago_is_left_and_forgotten():
    svc = services()
    fire(svc)
    homes = homes_of(svc)
    homes.show(USER)
    svc.clock.advance(WATCH_S - 60)
    homes.show(BOB)
    svc.clock.advance(60)
    fire(svc, "Another")
    assert homes.refresh() == 1
    assert svc.chat.homes[-1].user == BOB
    assert set(svc.alerts.get_state(VIEWERS_KEY).data["users"]) == {BOB}


def test_publishes_stop_when_the_budget_is_spent_and_go_on_at_the_next_run():
    svc = services()
    homes = homes_of(svc)
    viewers = [f"U0{i:04d}" for i in range(int(PUBLISH.burst) + 3)]
    for user in viewers:
        svc.clock.advance(1 / PUBLISH.per_s)  # each opening paid as it comes
        homes.show(user)
    fire(svc)
    svc.clock.advance(REFRESH_S)
    published = homes.refresh()
    assert published == int(PUBLISH.burst)
    svc.clock.advance(REFRESH_S)
    assert homes.refresh() == len(viewers) - published
    assert {h.user for h in svc.chat.homes[-len(viewers) :]} == set(viewers)


def test_an_unpaid_opening_is_published_by_the_next_run():
    svc = services()
    homes = homes_of(svc)
    for i in range(int(PUBLISH.burst)):
        homes.show(f"U0{i:04d}")
    assert homes.show(USER) is False  # the budget is spent
    assert USER not in {h.user for h in svc.chat.homes}
    svc.clock.advance(REFRESH_S)
    assert homes.refresh() == 1  # the others' homes did not change
    assert svc.chat.homes[-1].user == USER


@pytest.mark.parametrize(
    ("error", "retried"),
    [(ChatUnavailableError("down", retry_after=30), True), (ChatRejectedError("gone"), False)],
)
def test_slack_s_refusal_is_not_retried_but_its_outage_is(monkeypatch, error, retried):
    svc = services()
    homes = homes_of(svc)
    homes.show(USER)
    fire(svc)
    svc.clock.advance(REFRESH_S)
    failing = iter([error])

    def publish(home) -> None:
        failed = next(failing, None)
        if failed is not None:
            raise failed
        svc.chat.homes.append(home)

    monkeypatch.setattr(svc.chat, "publish_home", publish)
    homes.refresh()
    svc.clock.advance(REFRESH_S)
    assert (homes.refresh() == 1) is retried


def test_acked_alerts_leave_the_open_list():
    svc = services()
    alert = acked(svc, "Cpu", BOB)
    home = homes_of(svc).board(int(svc.clock.now())).home_of(BOB)
    assert home.open_alerts == () and home.mine[0].status is AlertStatus.ACKED
    assert home.mine[0].id == alert.id


def test_the_routes_files_rotations_show_who_is_on_call_now_takes_included():
    config = Settings(_env_file=None, slack_alerts_channel=CHANNEL)
    routes = parse_routes(
        {
            "oncall": [
                {"name": "ops", "members": ["U0DAVE"], "start": "2020-01-06"},
                {"name": "security", "usergroup": "S0SEC"},
            ]
        }
    )
    svc = memory_services(config, cursors=CursorCodec(config.cursor_secret), routes=routes)
    svc.chat.usergroups["S0SEC"] = ["U0SAM"]
    now = int(svc.clock.now())
    home = homes_of(svc).board(now).home_of(USER)
    assert home.on_call == (("ops", ("U0DAVE",)), ("security", ("U0SAM",)))
    take(svc.alerts, routes, BOB, 3600, now)
    home = homes_of(svc).board(now).home_of(USER)
    assert home.on_call == (("ops", (BOB,)), ("security", (BOB,)))  # a member of neither


def test_the_digest_moves_when_a_silence_is_lengthened_or_an_incident_declared():
    svc = services()
    alert = fire(svc)
    homes = homes_of(svc)
    now = int(svc.clock.now())

    def shown() -> str:
        return digest(homes.board(now).home_of(USER))

    held = svc.alerts.get_alert(alert.id).model_copy(update={"silenced_until": now + 600})
    svc.alerts.update_alert(held)
    silenced = shown()
    longer = svc.alerts.get_alert(alert.id).model_copy(update={"silenced_until": now + 7200})
    svc.alerts.update_alert(longer)
    assert shown() != silenced  # "silenced until" reads differently
    lengthened = shown()
    incident = IncidentRef(channel="C0INC", name="inc-x", declared_by=BOB, declared_at=now)
    declared = svc.alerts.get_alert(alert.id).model_copy(update={"incident": incident})
    svc.alerts.update_alert(declared)
    assert shown() != lengthened  # the button gave way to the channel
