"""APScheduler wiring of the use cases, for the long-running service only (on AWS,
EventBridge schedules invoke the same use cases through Lambda functions)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.alerting import redeliver
from bot.services import Services

log = logging.getLogger(__name__)

REDELIVER_EVERY_S = 15


def start(services: Services) -> BackgroundScheduler:
    """Start the background jobs: redelivery of posts Slack has not taken yet."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        _redeliver,
        "interval",
        seconds=REDELIVER_EVERY_S,
        args=[services],
        id="redeliver",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler


def _redeliver(services: Services) -> None:
    try:
        posted = redeliver(services.delivery)
    except Exception:  # a failing job run must not stop the next one
        log.exception("redelivery failed; it runs again in %ds", REDELIVER_EVERY_S)
        return
    if posted:
        log.info("redelivered %d pending posts", posted)
