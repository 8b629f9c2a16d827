"""The long-running service's background jobs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import scheduler
from bot import daily_report
from bot.config import Settings
from bot.services import Services
from handlers import jobs as table
from tests.corpus import load
from tests.factories.services import memory_services
from tests.fakes import FakeClock

MORNING = datetime(2026, 11, 27, 0, 30, tzinfo=UTC).timestamp()  # before the 01:00 report
NOON = datetime(2026, 11, 27, 12, 0, tzinfo=UTC).timestamp()


def services(clock: FakeClock | None = None, heartbeat=None, **settings) -> Services:
    clock = clock or FakeClock(MORNING)
    return memory_services(
        Settings(_env_file=None, slack_alerts_channel="C1", **settings),
        clock=clock,
        heartbeat=heartbeat,
        pause=clock.advance,
    )


class Beats:
    def __init__(self) -> None:
        self.count = 0

    def beat(self) -> None:
        self.count += 1


def test_every_job_is_scheduled_in_utc_with_coalescing_and_a_grace_time():
    svc = services()
    svc.chat.fail_next()
    svc.ingest(load("cloudwatch_alarm_state_change_single_metric.json"))
    assert svc.chat.posts == []
    jobs = scheduler.start(svc)
    try:
        by_id = {job.id: job for job in jobs.get_jobs()}
        every = {
            name: job.trigger.interval.total_seconds()
            for name, job in by_id.items()
            if hasattr(job.trigger, "interval")
        }
        assert every == {
            "flush": table.FLUSH_EVERY_S,
            "enrich": table.ENRICH_EVERY_S,
            "silences": table.SILENCES_EVERY_S,
            "escalate": table.ESCALATE_EVERY_S,
            "agents": table.AGENTS_EVERY_S,
            "home": table.HOME_EVERY_S,
            "heartbeat": svc.settings.heartbeat_every,
        }
        assert set(by_id) == set(scheduler.scheduled())  # no catch-up before the report's time
        assert (
            str(by_id["report"].trigger)
            == "cron[month='*', day='*', day_of_week='*', hour='1', minute='0']"
        )
        assert str(by_id["sweep"].trigger.fields[6]) == str(table.SWEEP_MINUTE)
        for job in by_id.values():
            assert job.coalesce is True
            assert job.max_instances == 1
            assert job.misfire_grace_time > 0
            assert str(job.trigger.timezone) == "UTC"
    finally:
        jobs.shutdown(wait=False)
    svc.clock.advance(60)
    assert scheduler.run_job("flush", svc) == 1
    assert len(svc.chat.posts) == 1


def test_daily_report_cron_is_read_from_the_settings():
    svc = services(daily_report_cron="30 6 * * 1-5")
    trigger = scheduler.report_trigger(svc)
    fire = trigger.get_next_fire_time(None, datetime(2026, 11, 28, 0, 0, tzinfo=UTC))  # a Saturday
    assert fire == datetime(2026, 11, 30, 6, 30, tzinfo=UTC)


def test_a_bad_cron_stops_the_start_with_its_name():
    svc = services(daily_report_cron="every day at one")
    with pytest.raises(ValueError, match="DAILY_REPORT_CRON 'every day at one'"):
        scheduler.start(svc)


def test_a_start_after_the_report_time_catches_up_once():
    svc = services(FakeClock(NOON))
    jobs = scheduler.start(svc)
    try:
        assert "report-catch-up" in {job.id for job in jobs.get_jobs()}
    finally:
        jobs.shutdown(wait=False)
    trigger = scheduler.report_trigger(svc)
    assert scheduler.missed_report(trigger, NOON)
    assert not scheduler.missed_report(trigger, MORNING)


def test_the_report_job_posts_yesterday_once():
    svc = services(FakeClock(NOON))
    assert scheduler.run_job("report", svc) == 1  # a quiet day: the summary alone
    assert scheduler.run_job("report", svc) == 0
    (summary,) = svc.chat.reports
    assert summary["report"].day == "2026-11-26"


def test_the_heartbeat_job_beats_once_the_store_answers(caplog):
    assert scheduler.run_job("heartbeat", services()) == 0  # no HEARTBEAT_URL: nothing to ping
    svc = services(heartbeat=(beats := Beats()))
    assert scheduler.run_job("heartbeat", svc) == 1
    assert beats.count == 1

    def broken(key):
        raise RuntimeError("store down")

    svc.alerts.get_state = broken
    assert scheduler.run_job("heartbeat", svc) == 0
    assert beats.count == 1  # a bot that cannot read its store does not say it is alive
    assert "job heartbeat failed" in caplog.text


def test_the_sweep_job_does_nothing_without_log_groups():
    assert scheduler.run_job("sweep", services()) == 0


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


@pytest.mark.parametrize(
    ("weekdays", "expected"),
    [
        ("*", "*"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("5-7", "sun,fri,sat"),
        ("0-6/2", "sun,tue,thu,sat"),
        ("mon,wed", "mon,wed"),
        ("fri-sun", "sun,fri,sat"),
        ("0-7", "sun,mon,tue,wed,thu,fri,sat"),
        ("6-7", "sun,sat"),
        ("*/3", "sun,wed,sat"),
    ],
)
def test_crontab_days_count_from_sunday(weekdays, expected):
    assert scheduler._weekdays(weekdays) == expected


@pytest.mark.parametrize("line", ["0 1 * *", "0 1 * * 8", "0 25 * * *", "0 1 * * 1/0"])
def test_bad_crontab_lines_are_refused(line):
    with pytest.raises(ValueError):
        scheduler.crontab_trigger(line)


def test_a_report_that_failed_is_finished_by_the_hourly_retry_after_its_time():
    svc = services(FakeClock(MORNING))
    assert scheduler.run_job("report-retry", svc) == 0  # before 01:00: not yet
    assert svc.chat.reports == []
    svc.clock.advance(NOON - MORNING)
    svc.chat.fail_reports(daily_report.SEND_ATTEMPTS)  # Slack is down for the 01:00 run
    assert scheduler.run_job("report", svc) == 0
    assert svc.chat.reports == []
    assert scheduler.run_job("report-retry", svc) == 1  # Slack is back
    assert scheduler.run_job("report-retry", svc) == 0  # and it is done
    assert len(svc.chat.reports) == 1


def test_the_heartbeat_job_warns_when_slack_work_is_late(caplog):
    svc = services()
    scheduler.run_job("heartbeat", svc)
    assert "notification backlog" not in caplog.text  # nothing due: nothing said
    svc.chat.fail_next(10)  # Slack takes nothing: the alerts' posts stay due
    for n in range(3):
        event = load("cloudwatch_alarm_state_change_single_metric.json")
        event["id"] = f"late-{n}"
        event["detail"]["alarmName"] = f"alarm-{n}"
        svc.ingest(event)
    svc.clock.advance(3600)  # and the flush job has not run for an hour
    scheduler.run_job("heartbeat", svc)
    assert "notification backlog: 3 due, the oldest waiting" in caplog.text


def test_heartbeat_every_sets_the_beat_interval():
    svc = services(heartbeat_every="5s")
    jobs = scheduler.start(svc)
    try:
        assert jobs.get_job("heartbeat").trigger.interval.total_seconds() == 5
    finally:
        jobs.shutdown(wait=False)


def test_a_first_start_does_not_post_yesterdays_empty_report(caplog):
    """Started for the first time at noon, after the report's time: the catch-up runs the
    report of yesterday, a day the bot never watched, and posts nothing."""
    svc = services(FakeClock(NOON))
    jobs = scheduler.start(svc)
    jobs.shutdown(wait=False)
    assert daily_report.first_start(svc.alerts) == int(NOON)
    with caplog.at_level("INFO", logger="bot.daily_report"):
        assert scheduler.run_job("report", svc) == 0  # what the catch-up job runs
    assert svc.chat.reports == []
    assert "no daily report for 2026-11-26" in caplog.text

    svc.clock.advance(86400)  # the next day: the first day's report is posted
    again = scheduler.start(svc)
    again.shutdown(wait=False)
    assert daily_report.first_start(svc.alerts) == int(NOON)  # recorded once
    assert scheduler.run_job("report", svc) == 1
    (summary,) = svc.chat.reports
    assert summary["report"].day == "2026-11-27"
