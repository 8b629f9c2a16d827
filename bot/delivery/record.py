"""The last stage: what Slack was told is written on the record, or the work that was not
done is put back, due again with backoff. A Retry-After holds the call's budget, so
that no one calls Slack again before then.

Writes go through the one optimistic-update loop: a record moved on meanwhile (an event,
a click) is re-read and the outcome applied to it.
"""

from __future__ import annotations

import logging
import math

from bot import budget, lifecycle, storm
from bot.delivery.context import Delivery
from bot.delivery.saves import save
from bot.delivery.work import Call, Due, Outcome
from bot.lifecycle import Work
from bot.models import Alert, HistoryEntry, Told

log = logging.getLogger(__name__)

# A post Slack refused (invalid_blocks, channel_not_found…) is tried this often, in case
# the cause was passing (a channel being re-created), then given up and logged as an error.
REFUSALS = 3


def record(delivery: Delivery, due: Due, outcome: Outcome) -> Alert:
    """Write the outcome of a due record's calls. Returns the record as written."""
    now = delivery.now()
    for call in outcome.calls():
        if call.wait and (call.failed or call.refused):  # Slack said when
            budget.hold(delivery.alerts, call.budget_key, delivery.clock.now() + call.wait)
    if outcome.post is not None:
        return _posted(delivery, due, outcome, now)
    undone = [c for c in (outcome.edit, outcome.reply) if c is not None and not c.done]
    unsent_reply = due.work.reply is not None and outcome.reply is None  # held for its edit
    if not undone and not unsent_reply:
        if due.members_told is not None and outcome.reply is not None:
            told = due.members_told
            return save(delivery.alerts, due.record, lambda s: _told_members(s, told))
        return due.record
    for call in undone:
        if call.failed or call.refused:  # an unpaid call just waits for its budget
            log.warning("%s of %s failed (%s); it will be retried", _what(due, call, outcome),
                        due.record.id, call.error)  # fmt: skip
    failed = any(c.failed or c.refused for c in undone)
    attempts = (due.work.before or due.record).outbox.attempts
    at = now + math.ceil(min((c.wait_for(attempts) for c in undone), default=0))
    if due.record.kind == "storm":
        return save(delivery.alerts, due.record, lambda s: _storm_again(s, now, at, failed))
    back = Work(
        edit=outcome.edit is not None and not outcome.edit.done,
        reply=due.work.reply if outcome.reply is None or not outcome.reply.done else None,
        before=due.work.before,
    )
    return save(
        delivery.alerts,
        due.record,
        lambda a: lifecycle.put_back(a, back, at, failed=failed, window=delivery.coalesce),
    )


def release(delivery: Delivery, due: Due) -> Alert:
    """Put a due record's claim back, untouched by Slack (the calls were never made):
    due again at once."""
    wait = Call(done=False, wait=0.0)
    if due.work.post:
        return record(delivery, due, Outcome(post=wait))
    edit = wait if due.work.edit else None
    reply = wait if due.work.reply is not None else None
    return record(delivery, due, Outcome(edit=edit, reply=reply))


def _posted(delivery: Delivery, due: Due, outcome: Outcome, now: int) -> Alert:
    post, record_ = outcome.post, due.record
    assert post is not None
    if post.refused:
        if record_.outbox.attempts + 1 >= REFUSALS:  # Slack will never take it: stop, loudly
            log.error("Slack refused %s %s %d times (%s); giving up", record_.kind, record_.id,
                      REFUSALS, post.error)  # fmt: skip
            note = f"Slack refused it: {post.error}"
            return save(delivery.alerts, record_, lambda a: _given_up(a, now, note))
        return save(
            delivery.alerts,
            record_,
            lambda a: _retry_later(a, now + lifecycle.backoff(a.outbox.attempts)),
        )
    if post.failed:
        wait = max(lifecycle.backoff(record_.outbox.attempts), math.ceil(post.wait or 0))
        log.warning("post of %s %s failed (%s); retry in %ds", record_.kind, record_.id,
                    post.error, wait)  # fmt: skip
        return save(delivery.alerts, record_, lambda a: _retry_later(a, now + wait))
    if not post.done:  # unpaid: post when the budget refills, unsent
        later = now + math.ceil(post.wait or 0)
        return save(
            delivery.alerts,
            record_,
            lambda a: a.with_outbox(next_attempt_at=later, in_flight=due.look_first),
        )
    ref = outcome.ref
    assert ref is not None

    def posted_as(a: Alert) -> Alert:
        # A found message shows whatever version it was posted with, and an event or a
        # click may have landed while the post was in flight: then the root needs an edit.
        behind = outcome.found or a.version != record_.version
        first = a.posted_at is None and not a.held  # a held alert's reply is no root
        posted_at = now if first else a.posted_at
        shown = a.model_copy(update={"message": ref, "posted_at": posted_at}).with_outbox(
            in_flight=False,
            attempts=0,
            edited_at=now,
            replied_at=now,
            told=lifecycle.told_now(record_),
            dirty=a.kind != "notification" and behind,
        )
        if a.kind == "storm":
            return storm.schedule(shown, now)
        held = storm.channel_held_until(delivery.alerts, ref.channel, now)
        return lifecycle.schedule(shown, now, delivery.coalesce, not_before=held)

    return save(delivery.alerts, record_, posted_as)


def _what(due: Due, call: Call, outcome: Outcome) -> str:
    name = "edit" if call is outcome.edit else "reply"
    return f"storm {name}" if due.record.kind == "storm" else name


def _told_members(summary: Alert, told: dict[str, Told]) -> Alert:
    return summary.with_outbox(told_members=told)


def _storm_again(summary: Alert, now: int, at: int, failed: bool) -> Alert:
    attempts = summary.outbox.attempts + 1 if failed else summary.outbox.attempts
    again = summary.with_outbox(dirty=True, attempts=attempts)
    return storm.schedule(again, now, not_before=at)


def _given_up(alert: Alert, now: int, note: str) -> Alert:
    entry = HistoryEntry(at=now, action="not posted", note=note)
    return alert.model_copy(update={"history": [*alert.history, entry]}).with_outbox(
        pending=False, in_flight=False
    )


def _retry_later(alert: Alert, when: int) -> Alert:
    return alert.with_outbox(attempts=alert.outbox.attempts + 1, next_attempt_at=when)
