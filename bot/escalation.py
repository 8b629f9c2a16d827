"""Escalation: a CRITICAL or HIGH alert nobody has acknowledged gets a reminder in its
thread after ESCALATE_AFTER, mentioning its route's mention, and a second one after twice
that. Acknowledging, silencing or resolving it stops them; a reopened alert starts over.

Each reminder is reserved by a conditional write of the alert's `reminders` before it is
sent, so two instances of the job never both send one; one that Slack or the budget did
not take is put back for the next run.
"""

from __future__ import annotations

import logging

from bot import budget, lifecycle
from bot.delivery import OPEN_LIMIT, Delivery, save
from bot.errors import ChatRejectedError, ChatUnavailableError, StaleVersionError
from bot.log_context import about
from bot.models import Alert, AlertStatus, Severity

log = logging.getLogger(__name__)

URGENT = frozenset({Severity.CRITICAL, Severity.HIGH})
REMINDERS = 2


def due(alert: Alert, now: int, after: int) -> int:
    """Which reminder (1 or 2) is due at `now`; 0 for none."""
    if (
        alert.status is not AlertStatus.OPEN
        or alert.severity not in URGENT
        or alert.message is None
        or alert.parent_id is not None  # a storm member: its summary is reminded
        or lifecycle.quiet(alert, now)
        or alert.reminders >= REMINDERS
    ):
        return 0
    opened = alert.opened_at or alert.first_seen
    nth = alert.reminders + 1
    return nth if now >= opened + nth * after else 0


def escalate(delivery: Delivery, after: int) -> int:
    """Send every reminder that is due. Returns how many were sent."""
    now = delivery.now()
    sent = 0
    for alert in delivery.alerts.list_alerts(AlertStatus.OPEN, OPEN_LIMIT):
        nth = due(alert, now, after)
        if not nth:
            continue
        with about(alert_id=alert.id):
            sent += _escalate_one(delivery, alert, nth, now)
    return sent


def _escalate_one(delivery: Delivery, alert: Alert, nth: int, now: int) -> bool:
    """Reserve reminder `nth` of one alert, then send it; put it back if sending failed."""
    try:
        reserved = delivery.alerts.update_alert(alert.model_copy(update={"reminders": nth}))
    except StaleVersionError:  # it changed (acked, repeated) or another job took it
        return False
    try:
        return _remind(delivery, reserved, nth, now)
    except Exception:  # one alert's trouble must not stop the others' reminders
        log.exception("reminder %d of alert %s failed; the next run tries again", nth, alert.id)
        _put_back(delivery, reserved, nth)
        return False


def _remind(delivery: Delivery, alert: Alert, nth: int, now: int) -> bool:
    assert alert.message is not None
    ref = alert.message
    opened = alert.opened_at or alert.first_seen
    paid = not delivery.budgeted or (
        budget.spend(
            delivery.alerts, budget.post_key(ref.channel), budget.POST, delivery.clock.now()
        )
        == 0
    )
    if not paid:
        _put_back(delivery, alert, nth)  # the channel's budget is spent: the next run sends it
        return False
    try:
        delivery.chat.post_reminder(ref, alert, now - opened)
    except (ChatUnavailableError, ChatRejectedError) as err:
        log.warning("reminder %d of alert %s failed: %s", nth, alert.id, err)
        _put_back(delivery, alert, nth)
        return False
    log.info("reminded %s of alert %s (%s, %s)", ref.channel, alert.id, alert.severity, nth)
    return True


def _put_back(delivery: Delivery, alert: Alert, nth: int) -> None:
    save(
        delivery.alerts,
        alert,
        lambda a: a.model_copy(update={"reminders": nth - 1}) if a.reminders == nth else a,
    )
