"""The second stage: each Slack call a due record needs is paid from its rate budget
first (bot.budget), so that every instance together stays under Slack's limits. A call
the budget cannot pay for now is not made; its work is put back, due when it can be."""

from __future__ import annotations

import logging

from bot import budget
from bot.delivery.context import Delivery
from bot.delivery.work import Due, Payment, budget_key, incident_channel, rate_of

log = logging.getLogger(__name__)

STORE_RETRY_S = 5  # the budget could not be read or written: try the call again soon


def pay(delivery: Delivery, due: Due) -> Payment:
    """The budget's answer for each of the due record's calls."""
    if due.work.post:
        assert due.record.channel is not None
        return Payment(post=_spend(delivery, due, "post"))
    edit = _spend(delivery, due, "edit") if due.work.edit else None
    reply = None
    if due.work.reply is not None and due.record.message is not None:
        reply = _spend_reply(delivery, due)
    return Payment(edit=edit, reply=reply)


def _spend_reply(delivery: Delivery, due: Due) -> float:
    """A reply goes to the alert's thread and, once an incident is declared, to its
    channel too: both budgets pay, and it waits for either. The thread's is read first,
    without spending, so that a reply its thread cannot pay for yet burns nothing of the
    incident channel's on each try."""
    if not incident_channel(due.record):
        return _spend(delivery, due, "reply")
    if not _affordable(delivery, due, "reply"):
        return 1 / rate_of("reply").per_s
    wait = _spend(delivery, due, "incident")
    return wait if wait > 0 else _spend(delivery, due, "reply")


def _affordable(delivery: Delivery, due: Due, call: str) -> bool:
    """Whether the budget of `call` could pay now, read without spending; a store that
    cannot be read says yes, and the spend that follows decides."""
    if not delivery.budgeted:
        return True
    key, rate = budget_key(due, call), rate_of(call)
    try:
        return budget.affordable(delivery.alerts, key, rate, delivery.clock.now()) > 0
    except Exception:  # the spend that follows meets the same store and says so
        return True


def _spend(delivery: Delivery, due: Due, call: str) -> float:
    key, rate = budget_key(due, call), rate_of(call)
    if not delivery.budgeted:
        return 0.0
    try:
        return budget.spend(delivery.alerts, key, rate, delivery.clock.now())
    except Exception as err:  # the store: leave the call unpaid, to be tried again soon
        log.warning("could not pay from %s (%s); the call waits %ds", key, err, STORE_RETRY_S)
        return float(STORE_RETRY_S)
