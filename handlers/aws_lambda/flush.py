"""The flush Lambda, on a one-minute EventBridge schedule: nothing on AWS fires a timer, so
Slack work held back (coalesced edits and replies, posts the rate budget deferred, posts
to retry) and storms that are over are done here, or by the next event of the same alert,
whichever comes first. Silences that ended are the expire_silences function's."""

from __future__ import annotations

import logging
from typing import Any

from bot.delivery import flush
from handlers.aws_lambda.wiring import services, setup_logging

setup_logging()
log = logging.getLogger(__name__)


def handler(event: Any = None, context: Any = None) -> dict[str, int]:
    done = {"flushed": flush(services().delivery)}
    if done["flushed"]:
        log.info("flush: %(flushed)d alerts had Slack work done", done)
    return done
