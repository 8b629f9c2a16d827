"""A change to an alert and the Slack work it makes due, reserved in one conditional write.

The reservation is the claim: a second writer re-reads, finds the slot taken, and leaves
the work to its window's end.
"""

from __future__ import annotations

from collections.abc import Callable

from bot import lifecycle, storm
from bot.delivery.context import Delivery
from bot.delivery.saves import save_planned
from bot.delivery.storms import touch
from bot.delivery.work import Due
from bot.log_context import about
from bot.models import Alert
from bot.ports import StateStore


def held_by_storm(states: StateStore, alert: Alert, now: int) -> int:
    """Until when a storm in the alert's channel holds its root's edits and replies."""
    if alert.message is None or alert.kind != "alert":
        return 0
    return storm.channel_held_until(states, alert.message.channel, now)


def advance(
    delivery: Delivery,
    alert: Alert,
    change: Callable[[Alert], Alert],
    *,
    applied: str | None = None,
) -> list[Due]:
    """Apply a change and reserve the Slack work it makes due, with the work its storm's
    summary then has (the summary shows the change). `applied`: the occurrence the change
    applies, written with it (AlreadyAppliedError if it was applied before)."""
    with about(alert_id=alert.id):
        now = delivery.now()
        held = held_by_storm(delivery.alerts, alert, now)
        saved, work = save_planned(
            delivery.alerts,
            alert,
            lambda a: lifecycle.plan(change(a), now, delivery.coalesce, held),
            applied=applied,
        )
        dues = [claimed(saved, work)] if work else []
        if saved.parent_id is not None and not saved.held:  # a storm's member
            dues += touch(delivery, saved.parent_id)
        return dues


def claimed(record: Alert, work: lifecycle.Work) -> Due:
    """The due work of a record as the plan's write left it."""
    return Due(record, work, look_first=work.post and lifecycle.unsure(work.before))
