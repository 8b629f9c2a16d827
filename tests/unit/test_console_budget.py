"""The console has no Slack rate limit: it shows every alert at once, and a one-shot
`ingest` sends the Slack work due now before it exits."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest

import app
from adapters.console import ConsoleChat
from adapters.memory import MemoryAlertStore, MemoryEventStore
from bot.config import Settings
from bot.delivery import Delivery, notify
from bot.ingest import ingest
from bot.services import Services
from tests.corpus import load, untimed
from tests.factories.services import memory_services
from tests.fakes import FakeChat, FakeClock

CHANNEL = "C0ALERTS"


def alarms(n: int) -> list[dict]:
    """n distinct alarms going off: n alerts, n posts to one channel."""
    bodies = []
    for i in range(n):
        body = untimed(load("cloudwatch_alarm_state_change_single_metric.json"))
        body["id"] = f"evt-{i}"
        body["detail"]["alarmName"] = f"alarm-{i}"
        bodies.append(body)
    return bodies


def deliver_all(d: Delivery, n: int) -> None:
    ingest(alarms(n), MemoryEventStore(), d.clock, ttl=3600,
           on_new=lambda e, s, _: notify(e, s, d))  # fmt: skip


@pytest.mark.parametrize(("budgeted", "posted"), [(True, 2), (False, 12)])
def test_only_a_budgeted_chat_waits_on_slacks_post_budget(budgeted, posted):
    """Slack's per-channel budget allows a burst of 2; the console's posts are not paid."""
    d = Delivery(
        alerts=MemoryAlertStore(), chat=FakeChat(), clock=FakeClock(), channel=CHANNEL,
        budgeted=budgeted,
    )  # fmt: skip
    deliver_all(d, 12)
    assert len(d.chat.posts) == posted
    spent = d.alerts.get_state(f"budget:chat.postMessage:{CHANNEL}")
    assert (spent is not None) is budgeted


def services(
    chat: object, clock: FakeClock | None = None, pause: Callable[[float], None] = time.sleep
) -> Services:
    return memory_services(
        Settings(_env_file=None, slack_alerts_channel=CHANNEL),
        chat=chat,
        clock=clock or FakeClock(),
        pause=pause,
    )


def test_the_console_says_it_has_no_budget_and_the_services_pass_that_on():
    console = services(ConsoleChat(io.StringIO()))
    assert console.delivery.budgeted is False
    slack_like = services(FakeChat())
    assert slack_like.delivery.budgeted is True


def test_the_console_prints_every_alert_through_the_services():
    out = io.StringIO()
    svc = services(ConsoleChat(out))
    svc.ingest(alarms(12))
    assert out.getvalue().count("── C0ALERTS · ") == 12


def test_the_console_report_never_waits_on_a_budget():
    def pause(seconds: float) -> None:
        pytest.fail(f"paused {seconds}s for a budget")

    svc = services(ConsoleChat(io.StringIO()), pause=pause)
    svc.ingest(alarms(5))
    svc.clock.advance(86400)  # type: ignore[attr-defined]
    assert svc.send_report().status == "posted"


class UnbudgetedChat(FakeChat):
    budgeted = False


def test_ingest_sends_the_work_due_now_before_it_exits():
    clock = FakeClock()
    chat = UnbudgetedChat()
    svc = services(chat, clock)
    chat.fail_next(3)  # the first three posts fail: each is due again after a backoff
    svc.ingest(alarms(3))
    assert chat.posts == []
    assert app.send_due_work(svc) == 0  # not due yet: left to the service
    clock.advance(3600)
    assert app.send_due_work(svc) == 3
    assert len(chat.posts) == 3
    assert app.send_due_work(svc) == 0


def test_sending_due_work_is_bounded(monkeypatch):
    """Work that keeps coming due (a flush that always finds some) stops after `rounds`."""
    import bot.delivery

    calls = []
    monkeypatch.setattr(bot.delivery, "flush", lambda d: calls.append(d) or 1)
    assert app.send_due_work(services(UnbudgetedChat()), rounds=4) == 4
    assert len(calls) == 4
