"""The flush Lambda, on a one-minute EventBridge schedule: nothing on AWS fires a timer, so
Slack work held back (coalesced edits and replies, posts the rate budget deferred, posts
to retry), storms that are over and silences that ended are done here, or by the next
event of the same alert, whichever comes first."""

from __future__ import annotations

import logging
from typing import Any

from bot.alerting import flush, refresh_silences
from handlers.aws_lambda.wiring import services, setup_logging

setup_logging()
log = logging.getLogger(__name__)


def handler(event: Any = None, context: Any = None) -> dict[str, int]:
    delivery = services().delivery
    done = {"flushed": flush(delivery), "silences": refresh_silences(delivery)}
    if any(done.values()):
        log.info(
            "flush: %(flushed)d alerts had Slack work done; silences changed on %(silences)d", done
        )
    return done
