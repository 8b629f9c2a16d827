"""APScheduler wiring of the use cases, for the long-running service only (on AWS,
EventBridge schedules invoke the same use cases through Lambda functions).

Every job runs in UTC with `coalesce` (runs missed while the process was busy or asleep
become one) and a misfire grace time, and at most one instance at a time. A failing run
is logged and the next one comes as scheduled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.daily_report import record_first_start
from bot.delivery import flush, refresh_silences
from bot.errors import MonitoringException
from bot.escalation import escalate
from bot.health import backlog_line, measure_backlog
from bot.services import Services

log = logging.getLogger(__name__)

# Well inside the 10 s coalescing window and near the 1-a-second post budget, so that
# held-back edits, replies, posts to retry and paced posts go on time.
FLUSH_EVERY_S = 2
SILENCES_EVERY_S = 30
ESCALATE_EVERY_S = 30
AGENTS_EVERY_S = 60
SWEEP_MINUTE = 5  # each hour's sweep waits a few minutes for late log lines
REPORT_RETRY_MINUTE = 35  # hourly, a failed report is finished
CATCH_UP_DELAY_S = 30  # after a start that missed today's report


@dataclass(frozen=True)
class Job:
    run: Callable[[Services], int]
    trigger: Callable[[Services], BaseTrigger]
    done: str  # logged with the count when a run did something
    grace_s: int  # how late a run may still start


def _every(seconds: int) -> Callable[[Services], BaseTrigger]:
    return lambda _: IntervalTrigger(seconds=seconds, timezone=UTC)


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


def _report(services: Services) -> int:
    return services.send_report().posted


def _report_retry(services: Services) -> int:
    """After today's report time, finish the report if a run failed (Slack down at 01:00,
    a crash): idempotent, so a report that went out posts nothing."""
    if not missed_report(report_trigger(services), services.clock.now()):
        return 0
    return _report(services)


def _sweep(services: Services) -> int:
    result = services.sweep_logs()
    return 0 if result is None else result.published


def _heartbeat(services: Services) -> int:
    """Once a minute: the dead man's switch, and a warning when Slack work is piling up
    (the backlog /healthz shows), so that the log says so at 3 a.m."""
    backlog = backlog_line(measure_backlog(services.alerts, services.clock.now()))
    if backlog:
        log.warning("%s", backlog)
    return int(services.beat())


JOBS: dict[str, Job] = {
    "flush": Job(
        lambda s: flush(s.delivery),
        _every(FLUSH_EVERY_S),
        "sent the due Slack work of %d alerts",
        FLUSH_EVERY_S,
    ),
    "silences": Job(
        lambda s: refresh_silences(s.delivery),
        _every(SILENCES_EVERY_S),
        "silences changed on %d alerts",
        SILENCES_EVERY_S,
    ),
    "escalate": Job(
        lambda s: escalate(s.delivery, s.settings.escalate_after),
        _every(ESCALATE_EVERY_S),
        "sent %d reminders of unacknowledged alerts",
        ESCALATE_EVERY_S,
    ),
    "agents": Job(
        lambda s: s.check_agents(),
        _every(AGENTS_EVERY_S),
        "health changed for %d agents",
        AGENTS_EVERY_S,
    ),
    "heartbeat": Job(
        _heartbeat,
        lambda s: IntervalTrigger(seconds=s.settings.heartbeat_every, timezone=UTC),
        "",
        60,
    ),
    "report": Job(_report, report_trigger, "posted the daily report in %d messages", 6 * 3600),
    "report-retry": Job(
        _report_retry,
        lambda _: CronTrigger(minute=REPORT_RETRY_MINUTE, timezone=UTC),
        "finished the daily report in %d messages",
        1800,
    ),
    "sweep": Job(
        _sweep,
        lambda _: CronTrigger(minute=SWEEP_MINUTE, timezone=UTC),
        "published %d error-log findings",
        1800,
    ),
}


def start(services: Services) -> BackgroundScheduler:
    """Start every job. ValueError (before anything runs) for a bad DAILY_REPORT_CRON."""
    triggers = {name: job.trigger(services) for name, job in JOBS.items()}
    scheduler = BackgroundScheduler(timezone=UTC)
    for name, job in JOBS.items():
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
        count = job.run(services)
    except Exception:
        log.exception("job %s failed; it runs again at its next scheduled time", name)
        return 0
    if count and job.done:
        log.info(job.done, count)
    return count
