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


def test_flush_runs_every_few_seconds_and_posts_what_is_due():
    svc = services()
    svc.chat.fail_next()
    svc.ingest(load("cloudwatch_alarm_state_change_single_metric.json"))
    assert svc.chat.posts == []
    jobs = scheduler.start(svc)
    try:
        every = {job.id: job.trigger.interval.total_seconds() for job in jobs.get_jobs()}
        assert every == {
            "flush": scheduler.FLUSH_EVERY_S,
            "silences": scheduler.SILENCES_EVERY_S,
            "escalate": scheduler.ESCALATE_EVERY_S,
            "agents": scheduler.AGENTS_EVERY_S,
        }
    finally:
        jobs.shutdown(wait=False)
    svc.clock.advance(60)
    assert scheduler.run_job("flush", svc) == 1
    assert len(svc.chat.posts) == 1


def test_the_silences_job_redraws_an_alert_whose_silence_ended():
    svc = services()
    svc.ingest(load("cloudwatch_alarm_state_change_single_metric.json"))
    (alert,) = svc.alerts.list_alerts()
    from bot import alert_actions

    assert alert_actions.silence(svc.delivery, alert.id, alert.version, "U1", 600) == "done"
    svc.chat.updates.clear()
    svc.clock.advance(601)
    assert scheduler.run_job("silences", svc) == 1
    assert svc.chat.updates[-1]["alert"].silenced_until is None


def test_a_failing_run_is_logged_not_raised(caplog):
    svc = services()

    def broken(*args, **kwargs):
        raise RuntimeError("store down")

    svc.alerts.list_pending = broken
    assert scheduler.run_job("flush", svc) == 0
    assert "job flush failed" in caplog.text
