"""The SQS FIFO send queue: nudges that a channel has Slack work due, one message group per
channel, so that the notify function does each channel's work in order and promptly.

The store stays the outbox (what to send lives on the alert records, claimed by
conditional writes); a nudge only says "look now". A lost nudge delays the work until
the flush function's next minute; a doubled one finds nothing left to do.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__name__)

NUDGE_WINDOW_S = 10  # one nudge per channel per coalescing window (FIFO deduplication)


class SqsNudges:
    """Sends {"channel": C} with MessageGroupId C, deduplicated per window."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def nudge(self, channel: str, now: float) -> bool:
        """True if SQS took it (or had it already); False, logged, if it failed."""
        try:
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=json.dumps({"channel": channel}),
                MessageGroupId=channel,
                MessageDeduplicationId=f"{channel}:{int(now) // NUDGE_WINDOW_S}",
            )
        except (ClientError, BotoCoreError) as err:
            log.warning("could not nudge the send queue for %s: %s", channel, err)
            return False
        return True
