"""APScheduler runs the job table (handlers/jobs.py) in the long-running service (on
AWS, EventBridge schedules invoke the same jobs through Lambda functions).

Every job runs in UTC with `coalesce` (runs missed while the process was busy or asleep
become one) and a misfire grace time, and at most one instance at a time. A failing run
is logged and the next one comes as scheduled.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.daily_report import record_first_start
from bot.errors import MonitoringException
from bot.services import Services
from handlers.jobs import JOBS, Job, run

log = logging.getLogger(__name__)

CATCH_UP_DELAY_S = 30  # after a start that missed today's report


_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def _crontab_day(value: str) -> int:
    """0-7 (7 is Sunday again, kept as 7 so that "0-7" spans the week) or a day's name."""
    value = value.strip().lower()
    if value[:3] in _DAYS:
        return _DAYS.index(value[:3])
    day = int(value)  # ValueError for anything else
    if not 0 <= day <= 7:
        raise ValueError(f"day of week {day} is not 0-7")
    return day


def _weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 is Sunday) as APScheduler's day names.

    APScheduler 3 counts days from Monday = 0, even in `from_crontab`, so "1-5" would run
    Tuesday to Saturday; the field is expanded to the days it means instead.
    """
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.split(","):
        span, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"step {step} must be positive")
        if span == "*":
            first, last = 0, 6
        else:
            low, _, high = span.partition("-")
            first = _crontab_day(low)
            last = _crontab_day(high) if high else first
            if last < first:  # "5-7", "fri-sun": up to Sunday
                last += 7
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_DAYS[day] for day in sorted(days))


def crontab_trigger(expression: str) -> CronTrigger:
    """A five-field crontab line (minute hour day month day-of-week) in UTC, with
    crontab's day numbering."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"a crontab line has 5 fields, not {len(fields)}")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekdays(weekday),
        timezone=UTC,
    )


def report_trigger(services: Services) -> CronTrigger:
    """DAILY_REPORT_CRON (UTC); ValueError names a bad one."""
    expression = services.settings.daily_report_cron
    try:
        return crontab_trigger(expression)
    except ValueError as err:
        raise ValueError(f"DAILY_REPORT_CRON {expression!r} is not a crontab line: {err}") from err


def trigger(name: str, services: Services) -> BaseTrigger:
    """The job's schedule in the service: seconds between runs, or a crontab line."""
    if name == "report":
        return report_trigger(services)
    every = JOBS[name].every
    if every is None:
        raise ValueError(f"job {name} runs on AWS only")
    schedule = every(services.settings)
    if isinstance(schedule, int):
        return IntervalTrigger(seconds=schedule, timezone=UTC)
    return crontab_trigger(schedule)


def scheduled() -> dict[str, Job]:
    """The jobs the service runs (the others are Lambda functions' only)."""
    return {name: job for name, job in JOBS.items() if job.every is not None}


def start(services: Services) -> BackgroundScheduler:
    """Start every job. ValueError (before anything runs) for a bad DAILY_REPORT_CRON."""
    jobs = scheduled()
    triggers = {name: trigger(name, services) for name in jobs}
    scheduler = BackgroundScheduler(timezone=UTC)
    for name, job in jobs.items():
        scheduler.add_job(
            run_job,
            triggers[name],
            args=[name, services],
            id=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=job.grace_s,
        )
    try:  # the report skips the empty days before it
        record_first_start(services.alerts, services.clock.now())
    except MonitoringException as err:  # the next start records it
        log.warning("could not record the first start: %s", err)
    if missed_report(triggers["report"], services.clock.now()):
        # The report is idempotent: if another instance or an earlier run sent it, this
        # posts nothing.
        scheduler.add_job(
            run_job,
            "date",
            run_date=datetime.now(UTC) + timedelta(seconds=CATCH_UP_DELAY_S),
            args=["report", services],
            id="report-catch-up",
        )
    scheduler.start()
    return scheduler


def missed_report(trigger: BaseTrigger, now: float) -> bool:
    """Whether the report's time today has passed: a process started after it would
    otherwise not report the previous day until tomorrow."""
    at = datetime.fromtimestamp(now, tz=UTC)
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    first = trigger.get_next_fire_time(None, midnight)
    return first is not None and first.date() == at.date() and first <= at


def run_job(name: str, services: Services) -> int:
    """One run of a job; a failing run is logged and must not stop the next one."""
    job = JOBS[name]
    try:
        if job.after_report and not missed_report(report_trigger(services), services.clock.now()):
            return 0  # a retry of today's report: not before its time
        answer = run(job, services, {})
    except Exception:
        log.exception("job %s failed; it runs again at its next scheduled time", name)
        return 0
    return int(answer.get(job.count) or 0)
