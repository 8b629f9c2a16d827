"""The long-running service's background jobs."""

from __future__ import annotations

import scheduler
from adapters.memory import MemoryAgentStore, MemoryAlertStore, MemoryEventStore
from bot.config import Settings
from bot.services import Services
from tests.corpus import load
from tests.fakes import FakeChat, FakeClock


def services() -> Services:
    return Services(
        settings=Settings(_env_file=None, slack_alerts_channel="C1"),
        events=MemoryEventStore(),
        agents=MemoryAgentStore(),
        alerts=MemoryAlertStore(),
        chat=FakeChat(),
        clock=FakeClock(),
    )


def test_redelivery_runs_every_few_seconds_and_posts_what_is_due():
    svc = services()
    svc.chat.fail_next()
    svc.ingest(load("cloudwatch_alarm_state_change_single_metric.json"))
    assert svc.chat.posts == []
    jobs = scheduler.start(svc)
    try:
        (job,) = jobs.get_jobs()
        assert job.id == "redeliver"
        assert job.trigger.interval.total_seconds() == scheduler.REDELIVER_EVERY_S
    finally:
        jobs.shutdown(wait=False)
    svc.clock.advance(60)
    scheduler._redeliver(svc)
    assert len(svc.chat.posts) == 1


def test_a_failing_run_is_logged_not_raised(caplog):
    svc = services()

    def broken(*args, **kwargs):
        raise RuntimeError("store down")

    svc.alerts.list_pending = broken
    scheduler._redeliver(svc)
    assert "redelivery failed" in caplog.text
