"""The third stage: the Slack calls a due record was paid for. Nothing here writes to
the store; how each call went is handed to `record`.

A post reaches here only once `look` found no earlier attempt's message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.delivery.context import Delivery
from bot.delivery.work import (
    LOOKBACK_S,
    Call,
    Due,
    Outcome,
    Payment,
    attempt,
    budget_key,
    incident_channel,
)
from bot.errors import ChatRejectedError
from bot.incidents import mirrored
from bot.log_context import about
from bot.models import Alert, MessageRef, Told

log = logging.getLogger(__name__)


def send(delivery: Delivery, due: Due, payment: Payment) -> Outcome:
    """Make the paid calls; an unpaid call is not made."""
    with about(alert_id=due.record.id):
        if due.work.post:
            return _post(delivery, due, payment.post or 0.0)
        edit = _edit(delivery, due, payment.edit or 0.0) if due.work.edit else None
        reply = None
        # A storm's thread is told its members' news only once its summary shows them.
        told_after_edit = due.record.kind == "storm" and edit is not None and not edit.done
        if due.work.reply is not None and not told_after_edit:
            reply = _reply(delivery, due, due.work.reply, payment.reply or 0.0)
        return Outcome(edit=edit, reply=reply)


def thread_reply_id(alert_id: str, told: Iterable[Told]) -> str:
    """The id a thread reply carries: what the thread had been told before it. A retry of
    a reply, put back with the same `told`, has the same id, so it can be found."""
    told = list(told)
    tally = (len(told), *(sum(getattr(t, f) for t in told) for f in ("count", "flaps", "resolved")))
    if related := sum(t.related for t in told):  # a link told (inhibit rules) counts too
        tally = (*tally, related)
    if capped := sum(t.capped for t in told):  # so does the line that replies stop there
        tally = (*tally, 0, capped)
    return f"{alert_id}/reply/{'-'.join(map(str, tally))}"


def _post(delivery: Delivery, due: Due, wait: float) -> Outcome:
    record = due.record
    key = budget_key(due, "post")
    if wait > 0:  # the channel's budget is spent: post when it refills
        return Outcome(post=Call(done=False, budget_key=key, wait=wait))
    # Draw the version the record will have once the post is saved on it, so that the
    # message's buttons are current, not stale from the start.
    shown = record.model_copy(update={"version": record.version + 1})
    posted = attempt(lambda: _post_call(delivery, due, shown), key)
    if isinstance(posted, Call):
        return Outcome(post=posted)
    return Outcome(post=Call(done=True, budget_key=key), ref=posted)


def _post_call(delivery: Delivery, due: Due, shown: Alert) -> MessageRef:
    """Post a record's message: a storm's summary, an alert, or a notification."""
    record = due.record
    assert record.channel is not None
    if record.kind == "storm":
        assert due.digest is not None
        return delivery.chat.post_storm(record.channel, shown, due.digest, message_id=record.id)
    assert record.signal is not None
    return delivery.chat.post_alert(
        record.channel,
        record.signal,
        shown if record.kind == "alert" else None,
        message_id=record.id,
        controls=record.kind == "alert",
        thread_ts=record.thread_ts,
    )


def _edit(delivery: Delivery, due: Due, wait: float) -> Call:
    record, key = due.record, budget_key(due, "edit")
    if wait > 0:
        return Call(done=False, budget_key=key, wait=wait)
    message = record.message
    assert message is not None
    if record.kind == "storm":
        assert due.digest is not None
        digest = due.digest
        result = attempt(lambda: delivery.chat.update_storm(message, record, digest), key)
    else:
        signal = record.signal
        assert signal is not None
        result = attempt(lambda: delivery.chat.update_alert(message, signal, record), key)
    return result if isinstance(result, Call) else Call(done=True, budget_key=key)


def _reply(delivery: Delivery, due: Due, text: str, wait: float) -> Call:
    """Reply in the record's thread once, and in its incident channel: after a failed try,
    whose answer may have been lost after Slack took it, look for each (posted since the
    previous one) first."""
    record, key = due.record, budget_key(due, "reply")
    if wait > 0:
        return Call(done=False, budget_key=key, wait=wait)
    message = record.message
    assert message is not None
    before = due.work.before or record
    if record.kind == "storm":
        reply_id = thread_reply_id(record.id, record.outbox.told_members.values())
        since = record.first_seen
    else:
        reply_id = thread_reply_id(record.id, [before.outbox.told])
        since = before.outbox.replied_at or record.first_seen
    unsure = before.outbox.attempts > 0
    mirror = incident_channel(record)

    def reply_once() -> None:
        oldest = since - LOOKBACK_S
        chat = delivery.chat
        if unsure and chat.find_alert_message(message.channel, reply_id, oldest, message.ts):
            log.info("reply %s of %s was in its thread already", reply_id, record.id)
        else:
            chat.post_text(message.channel, text, thread_ts=message.ts, message_id=reply_id)
        if mirror is not None:  # its incident channel is told too, once
            copy_id = f"{reply_id}/incident"
            try:
                if not (unsure and chat.find_alert_message(mirror, copy_id, oldest)):
                    chat.post_text(mirror, mirrored(text), message_id=copy_id)
            except ChatRejectedError as err:  # archived by hand: the thread has it all
                log.warning("incident channel %s of %s refused a reply: %s", mirror, record.id, err)

    result = attempt(reply_once, key)
    return result if isinstance(result, Call) else Call(done=True, budget_key=key)
