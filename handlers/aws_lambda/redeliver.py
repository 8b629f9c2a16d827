"""The redeliver Lambda, every minute: Slack work that failed before (posts, edits and
replies whose earlier attempt Slack did not take) is tried again, after looking for a
post whose answer was lost. The flush function does the same and more (coalesced work,
storms); this one runs with a longer timeout for a backlog after a Slack outage, and the
records' claims keep the two from doing one thing twice."""

from __future__ import annotations

from typing import Any

from bot.delivery import flush
from handlers.aws_lambda.wiring import services, setup_logging

setup_logging()

BACKLOG = 2000  # records per run; the rest wait for the next minute


def handler(event: Any = None, context: Any = None) -> dict[str, int]:
    return {"redelivered": flush(services().delivery, limit=BACKLOG)}
