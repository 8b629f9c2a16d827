"""/oncall: who is on call for each rotation and who is next; `take` for responders only,
with its duration checked; a bad argument gets the usage."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.cursors import CursorCodec
from bot.oncall import on_call
from bot.routing import parse_routes
from handlers.slack.authorization import NOT_ALLOWED, Responders, Usergroups
from handlers.slack.listeners.oncall_command import oncall_command
from handlers.slack.wiring import Core
from tests.factories.services import memory_services
from tests.unit.slack.doubles import CHANNEL, FakeWebClient

ROUTES = {
    "oncall": [
        {"name": "payments", "members": ["U0ALICE", "U0BOB"], "handoff": "09:00",
         "start": "2023-11-07"},  # a week before the fake clock's Tuesday evening
        {"name": "security", "usergroup": "S0SEC"},
    ],
    "routes": [{"name": "pay", "channel": "C0PAY", "oncall": "payments"}],
}  # fmt: skip


@pytest.fixture
def svc():
    config = Settings(_env_file=None, slack_alerts_channel=CHANNEL)
    svc = memory_services(
        config, cursors=CursorCodec(config.cursor_secret), routes=parse_routes(ROUTES)
    )
    svc.chat.usergroups["S0SEC"] = ["U0SAM"]
    return svc


def run(core, respond, client, text: str, user: str = "U0CAROL") -> str:
    oncall_command({"text": text, "user_id": user}, respond, client, core=core)
    (answer,) = respond.bodies[-1:]
    assert answer["response_type"] == "ephemeral"
    return "\n".join(block["text"]["text"] for block in answer["blocks"])


def test_each_rotation_with_its_routes_who_is_on_call_and_next(core, respond, client):
    shown = run(core, respond, client, "")
    assert "*payments* (routes pay) · on call <@U0BOB>" in shown
    assert "next <@U0ALICE> from Tue 14 Nov 09:00 UTC" not in shown  # it is past 09:00
    assert "next <@U0ALICE> from Tue 21 Nov 09:00 UTC" in shown
    assert "*security* (no route) · on call <@U0SAM>" in shown


def test_take_puts_the_caller_on_call_for_the_duration(svc, core, respond, client):
    assert "until" in run(core, respond, client, "take 2h", user="U0ALICE")
    now = int(svc.clock.now())
    assert on_call(svc.routes, "payments", svc.alerts, now) == ("U0ALICE",)
    assert on_call(svc.routes, "security", svc.alerts, now) == ("S0SEC",)  # not hers
    assert on_call(svc.routes, "payments", svc.alerts, now + 7200) == ("U0BOB",)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("take 8d", "at most 7d"), ("take soon", "not a duration"), ("give", "Unknown")],
)
def test_bad_arguments_get_the_usage_and_take_nothing(svc, core, respond, client, text, problem):
    shown = run(core, respond, client, text)
    assert problem in shown and "/oncall take" in shown
    assert svc.alerts.get_state("oncall:takes") is None


def test_only_responders_may_take(svc, respond):
    client = FakeWebClient({"S0ONCALL": ["U0BOB"]})
    core = Core(svc, Responders(["S0ONCALL"], Usergroups()))
    assert NOT_ALLOWED in run(core, respond, client, "take", user="U0CAROL")
    assert svc.alerts.get_state("oncall:takes") is None
    run(core, respond, client, "take", user="U0BOB")
    assert on_call(svc.routes, "payments", svc.alerts, int(svc.clock.now())) == ("U0BOB",)
