"""APScheduler wiring of the use cases, for the long-running service only (on AWS,
EventBridge schedules invoke the same use cases through Lambda functions)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from bot.alerting import flush, refresh_silences
from bot.escalation import escalate
from bot.services import Services

log = logging.getLogger(__name__)

# Well inside the 10 s coalescing window and near the 1-a-second post budget, so that
# held-back edits, replies and paced posts go on time.
FLUSH_EVERY_S = 2
SILENCES_EVERY_S = 30

ESCALATE_EVERY_S = 30
AGENTS_EVERY_S = 60

JOBS: dict[str, tuple[Callable[[Services], int], int, str]] = {
    "flush": (lambda s: flush(s.delivery), FLUSH_EVERY_S, "sent the due Slack work of %d alerts"),
    "silences": (
        lambda s: refresh_silences(s.delivery),
        SILENCES_EVERY_S,
        "silences changed on %d alerts",
    ),
    "escalate": (
        lambda s: escalate(s.delivery, s.settings.escalate_after),
        ESCALATE_EVERY_S,
        "sent %d reminders of unacknowledged alerts",
    ),
    "agents": (lambda s: s.check_agents(), AGENTS_EVERY_S, "health changed for %d agents"),
}


def start(services: Services) -> BackgroundScheduler:
    """Start the background jobs: the due Slack work (posts to retry, coalesced edits and
    replies, storms), redrawing alerts whose silences began or ended, and reminders of
    urgent alerts nobody acknowledged."""
    scheduler = BackgroundScheduler(timezone="UTC")
    for name, (_, every, _) in JOBS.items():
        scheduler.add_job(
            run_job,
            "interval",
            seconds=every,
            args=[name, services],
            id=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=every,
        )
    scheduler.start()
    return scheduler


def run_job(name: str, services: Services) -> int:
    """One run of a job; a failing run is logged and must not stop the next one."""
    job, every, done = JOBS[name]
    try:
        count = job(services)
    except Exception:
        log.exception("job %s failed; it runs again in %ds", name, every)
        return 0
    if count:
        log.info(done, count)
    return count
