"""Between planning and paying: any attempt at a post but the very first may have reached
Slack after all (a lost answer, or a process that died between posting and saving), so
the channel is searched for the record's message (its metadata carries the record's id)
before the post is paid for and made again. A message found is recorded as the post."""

from __future__ import annotations

from bot.delivery.context import Delivery
from bot.delivery.work import LOOKBACK_S, Call, Due, Outcome, attempt, budget_key


def look(delivery: Delivery, due: Due) -> Outcome | None:
    """The post's outcome when looking settled it (found, or Slack failed); None when it
    is still to be made."""
    record = due.record
    if not due.work.post or not (due.look_first or record.outbox.attempts):
        return None
    key = budget_key(due, "post")
    channel = record.channel or ""
    oldest = record.first_seen - LOOKBACK_S
    found = attempt(
        lambda: delivery.chat.find_alert_message(channel, record.id, oldest, record.thread_ts),
        key,
    )
    if isinstance(found, Call):
        return Outcome(post=found)
    if found is None:
        return None
    return Outcome(post=Call(done=True, budget_key=key), ref=found, found=True)
