"""The scheduled jobs, in one table: the long-running service's scheduler and the
Lambda functions that EventBridge schedules both run them from here, so that the two
cannot drift apart.

A job's `run` takes the services and its input (a Lambda invocation's event; {} from
the scheduler) and answers a dict whose `count` entry says how much it did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.services import Services

log = logging.getLogger(__name__)

Answer = dict[str, Any]

# Well inside the 10 s coalescing window and near the 1-a-second post budget, so that
# held-back edits, replies, posts to retry and paced posts go on time.
FLUSH_EVERY_S = 2
SILENCES_EVERY_S = 30
ENRICH_EVERY_S = 2  # the service's enrich queue (on AWS the enrich function reads SQS)
ESCALATE_EVERY_S = 30
AGENTS_EVERY_S = 60
HOME_EVERY_S = 60  # the Home tabs people are looking at, at most once a minute each
SWEEP_MINUTE = 5  # each hour's sweep waits a few minutes for late log lines
REPORT_RETRY_MINUTE = 35  # hourly, a failed report is finished
ACCOUNTS_MINUTE = 20  # hourly, the organisation's accounts are read into the cache
REDELIVER_BACKLOG = 2000  # records per run of the redeliver function; the rest wait
EVERY_MINUTE = "rate(1 minute)"


@dataclass(frozen=True)
class Job:
    """One scheduled use case, and where and when it runs."""

    run: Callable[[Services, Mapping[str, Any]], Answer]
    count: str  # the answer's entry that counts what was done
    done: str  # logged with that count when a run did something
    # The service's schedule, from the settings: seconds between runs, or a crontab line
    # (UTC); None when only a Lambda function runs the job.
    every: Callable[[Settings], int | str] | None
    grace_s: int = 60  # how late a scheduled run may still start
    function: str | None = None  # the Lambda function: handlers/aws_lambda/<function>.py
    aws: str | None = None  # that function's schedule in serverless.yml (its default)
    after_report: bool = False  # only once today's report time has passed
    # Its Lambda function then measures the backlog and storm gauges (the service's are
    # measured when /metrics is scraped).
    gauges: bool = False


def _flush(services: Services, _: Mapping[str, Any]) -> Answer:
    from bot.delivery import flush

    return {"flushed": flush(services.delivery)}


def _redeliver(services: Services, _: Mapping[str, Any]) -> Answer:
    from bot.delivery import flush

    return {"redelivered": flush(services.delivery, limit=REDELIVER_BACKLOG)}


def _silences(services: Services, _: Mapping[str, Any]) -> Answer:
    """Alerts brought in line with the silences and maintenance windows; then the notices
    of silences about to end, or ended."""
    from bot.delivery import refresh_silences
    from bot.silence_notices import notify_silences

    changed = refresh_silences(services.delivery)
    return {"changed": changed, "notices": notify_silences(services.delivery)}


def _escalate(services: Services, _: Mapping[str, Any]) -> Answer:
    from bot.escalation import escalate

    return {"reminded": escalate(services.delivery, services.settings.escalate_after)}


def _agents(services: Services, _: Mapping[str, Any]) -> Answer:
    return {"changed": services.check_agents()}


def _home(services: Services, _: Mapping[str, Any]) -> Answer:
    from bot.home import homes_of

    return {"published": homes_of(services).refresh()}


def _heartbeat(services: Services, _: Mapping[str, Any]) -> Answer:
    return dict(services.beat())


def _enrich(services: Services, _: Mapping[str, Any]) -> Answer:
    return {"enriched": services.enrich_waiting()}


def _accounts(services: Services, _: Mapping[str, Any]) -> Answer:
    """The organisation's accounts read into the cache; `refreshed` False when they may
    not be read (one warning; the cache stays)."""
    count = services.refresh_accounts()
    return {"accounts": count or 0, "refreshed": count is not None}


def _report(services: Services, given: Mapping[str, Any]) -> Answer:
    """Invoked by hand with {"date": "YYYY-MM-DD", "force": true}, that day's report,
    again if forced; ValidationError for a bad date."""
    from bot.daily_report import parse_day

    day_text = given.get("date")
    day = parse_day(str(day_text), services.clock.now()) if day_text else None
    outcome = services.send_report(day, force=bool(given.get("force")))
    return {"day": outcome.day, "status": outcome.status, "posted": outcome.posted}


def _sweep(services: Services, given: Mapping[str, Any]) -> Answer:
    """LOG_GROUPS, or the groups the schedule's input names ({"log_groups": [...]})."""
    groups = given.get("log_groups") or None
    if isinstance(groups, str):
        groups = [g.strip() for g in groups.split(",") if g.strip()]
    result = services.sweep_logs(list(groups) if groups else None)
    if result is None:
        return {"groups": 0, "lines": 0, "published": 0, "failed": 0, "timed_out": 0,
                "unqueried": 0}  # fmt: skip
    return {
        "groups": result.groups,
        "lines": result.lines,
        "published": result.published,
        "failed": len(result.failed),  # refused by EventBridge
        "timed_out": len(result.timed_out),
        "unqueried": len(result.unqueried),
    }


def _seconds(n: int) -> Callable[[Settings], int]:
    return lambda _: n


def _crontab(line: str) -> Callable[[Settings], str]:
    return lambda _: line


JOBS: dict[str, Job] = {
    "flush": Job(
        _flush,
        "flushed",
        "sent the due Slack work of %d alerts",
        _seconds(FLUSH_EVERY_S),
        grace_s=FLUSH_EVERY_S,
        function="flush",
        aws=EVERY_MINUTE,
        gauges=True,
    ),
    "redeliver": Job(
        _redeliver,
        "redelivered",
        "retried the failed Slack work of %d alerts",
        None,  # the service's flush job does it every few seconds
        function="redeliver",
        aws=EVERY_MINUTE,
    ),
    "enrich": Job(
        _enrich,
        "enriched",
        "enriched %d alerts",
        _seconds(ENRICH_EVERY_S),
        grace_s=ENRICH_EVERY_S,
    ),
    "silences": Job(
        _silences,
        "changed",
        "silences changed on %d alerts",
        _seconds(SILENCES_EVERY_S),
        grace_s=SILENCES_EVERY_S,
        function="expire_silences",
        aws=EVERY_MINUTE,
    ),
    "escalate": Job(
        _escalate,
        "reminded",
        "sent %d reminders and ladder steps of unacknowledged alerts",
        _seconds(ESCALATE_EVERY_S),
        grace_s=ESCALATE_EVERY_S,
        function="escalate",
        aws=EVERY_MINUTE,
    ),
    "agents": Job(
        _agents,
        "changed",
        "health changed for %d agents",
        _seconds(AGENTS_EVERY_S),
        grace_s=AGENTS_EVERY_S,
        function="check_agents",
        aws=EVERY_MINUTE,
    ),
    "home": Job(
        _home,
        "published",
        "published the Home tab again for %d people",
        _seconds(HOME_EVERY_S),
        grace_s=HOME_EVERY_S,
        function="refresh_home",
        aws=EVERY_MINUTE,
    ),
    "heartbeat": Job(
        _heartbeat,
        "url",
        "",
        lambda settings: settings.heartbeat_every,
        function="heartbeat",
        aws=EVERY_MINUTE,
    ),
    "report": Job(
        _report,
        "posted",
        "posted the daily report in %d messages",
        lambda settings: settings.daily_report_cron,
        grace_s=6 * 3600,
        function="daily_report",
        aws="cron(0 1 * * ? *)",
    ),
    "report-retry": Job(
        _report,
        "posted",
        "finished the daily report in %d messages",
        _crontab(f"{REPORT_RETRY_MINUTE} * * * *"),
        grace_s=1800,
        after_report=True,
    ),
    "sweep": Job(
        _sweep,
        "published",
        "published %d error-log findings",
        _crontab(f"{SWEEP_MINUTE} * * * *"),
        grace_s=1800,
        function="query_error_logs",
        aws=f"cron({SWEEP_MINUTE} * * * ? *)",
    ),
    "accounts": Job(
        _accounts,
        "accounts",
        "read the names and tags of %d accounts",
        _crontab(f"{ACCOUNTS_MINUTE} * * * *"),
        grace_s=1800,
        function="refresh_accounts",
        aws=f"cron({ACCOUNTS_MINUTE} * * * ? *)",
    ),
}


def of_function(function: str) -> Job:
    """The job a Lambda function runs; KeyError for a function that runs none."""
    for job in JOBS.values():
        if job.function == function:
            return job
    raise KeyError(f"no job runs on the {function} function")


def run(job: Job, services: Services, given: Mapping[str, Any]) -> Answer:
    """One run, its count logged when it did something."""
    answer = job.run(services, given)
    count = answer.get(job.count)
    if count and job.done:
        log.info(job.done, int(count))
    return answer
