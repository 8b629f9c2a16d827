"""Escalation of alerts nobody has acknowledged.

A route with an `escalation:` ladder takes its steps, in order, each once the alert has
gone unacknowledged for the step's `after` since its root was posted (`waiting_since`):
`oncall` mentions who is on call for the route's rotation in the alert's thread, `dm`
sends each of them a direct message with a link to the alert (and says so in the
thread), `here` posts @here in the thread. Without a ladder, a CRITICAL or HIGH alert gets
a reminder in its thread after ESCALATE_AFTER, mentioning its route's mention, and a
second one after twice that. Counting from the post rather than the opening, an alert
whose post was held back (a silence, a maintenance window, an inhibit rule, a storm)
takes its steps one by one, not every overdue one at once.

Acknowledging, silencing or resolving an alert stops either; a reopened alert starts
over. Each reminder or step is reserved by a conditional write of the alert's `reminders`
(how many were taken) before it is sent, so two instances of the job never both send
one; one that Slack or the budget did not take is put back for the next run.
"""

from __future__ import annotations

import logging

from bot import budget, lifecycle
from bot.delivery import OPEN_LIMIT, Delivery, save
from bot.errors import ChatRejectedError, ChatUnavailableError, StaleVersionError
from bot.log_context import about
from bot.models import Alert, AlertStatus, EscalationStep, Severity
from bot.oncall import on_call

log = logging.getLogger(__name__)

URGENT = frozenset({Severity.CRITICAL, Severity.HIGH})
REMINDERS = 2
MAX_DMS = 10  # a usergroup on call: the first ten of its members get a message


def _waiting(alert: Alert, now: int) -> bool:
    """Open, posted, not held by a silence, and not folded into a storm (whose summary
    is reminded instead)."""
    return (
        alert.status is AlertStatus.OPEN
        and alert.message is not None
        and alert.parent_id is None
        and not lifecycle.quiet(alert, now)
    )


def waiting_since(alert: Alert) -> int:
    """When people could first see the alert unacknowledged: its root's first post, or
    its latest reopening when later (a reopened alert keeps its root). A record from
    before the post time was kept counts from its opening."""
    return max(alert.opened_at or alert.first_seen, alert.posted_at or 0)


def due(alert: Alert, now: int, after: int) -> int:
    """Which reminder (1 or 2) is due at `now`; 0 for none (and for an alert whose route
    gives a ladder: see `step_due`)."""
    if (
        alert.escalation
        or not _waiting(alert, now)
        or alert.severity not in URGENT
        or alert.reminders >= REMINDERS
    ):
        return 0
    nth = alert.reminders + 1
    return nth if now >= waiting_since(alert) + nth * after else 0


def step_due(alert: Alert, now: int) -> int:
    """Which step of the alert's ladder (1-based) is due at `now`; 0 for none. One step a
    run: a job that was down catches up a step every run."""
    if not alert.escalation or not _waiting(alert, now) or alert.reminders >= len(alert.escalation):
        return 0
    nth = alert.reminders + 1
    return nth if now >= waiting_since(alert) + alert.escalation[nth - 1].after else 0


def escalate(delivery: Delivery, after: int) -> int:
    """Send every reminder and ladder step that is due. Returns how many were sent."""
    now = delivery.now()
    sent = 0
    for alert in delivery.alerts.list_alerts(AlertStatus.OPEN, OPEN_LIMIT):
        nth = step_due(alert, now) or due(alert, now, after)
        if not nth:
            continue
        with about(alert_id=alert.id):
            sent += _escalate_one(delivery, alert, nth, now)
    return sent


def _escalate_one(delivery: Delivery, alert: Alert, nth: int, now: int) -> bool:
    """Reserve reminder or step `nth` of one alert, then send it; put it back if sending
    failed."""
    try:
        reserved = delivery.alerts.update_alert(alert.model_copy(update={"reminders": nth}))
    except StaleVersionError:  # it changed (acked, repeated) or another job took it
        return False
    try:
        if reserved.escalation:
            return _step(delivery, reserved, reserved.escalation[nth - 1], nth, now)
        return _remind(delivery, reserved, nth, now)
    except Exception:  # one alert's trouble must not stop the others' reminders
        log.exception("reminder %d of alert %s failed; the next run tries again", nth, alert.id)
        _put_back(delivery, alert, nth)
        return False


def _paid(delivery: Delivery, channel: str) -> bool:
    """One chat.postMessage paid from `channel`'s budget (always, on the console)."""
    if not delivery.budgeted:
        return True
    key = budget.post_key(channel)
    return budget.spend(delivery.alerts, key, budget.POST, delivery.clock.now()) == 0


def _remind(delivery: Delivery, alert: Alert, nth: int, now: int) -> bool:
    assert alert.message is not None
    ref = alert.message
    if not _paid(delivery, ref.channel):
        _put_back(delivery, alert, nth)  # the channel's budget is spent: the next run sends it
        return False
    try:
        delivery.chat.post_reminder(ref, alert, now - waiting_since(alert))
    except (ChatUnavailableError, ChatRejectedError) as err:
        log.warning("reminder %d of alert %s failed: %s", nth, alert.id, err)
        _put_back(delivery, alert, nth)
        return False
    log.info("reminded %s of alert %s (%s, %s)", ref.channel, alert.id, alert.severity, nth)
    return True


def _step(delivery: Delivery, alert: Alert, step: EscalationStep, nth: int, now: int) -> bool:
    """Step `nth` of the ladder: its line in the thread, after the direct messages of a
    `dm` step. Once a direct message went, the step is taken, even if its line fails."""
    assert alert.message is not None
    ref = alert.message
    waited = now - waiting_since(alert)
    users: tuple[str, ...] = ()
    if step.notify != "here":
        members = delivery.chat.usergroup_members
        users = on_call(delivery.routes, alert.oncall, delivery.alerts, now, members)
    if not _paid(delivery, ref.channel):
        _put_back(delivery, alert, nth)
        return False
    try:
        if step.notify == "dm":
            wanted = [user for user in users if not user.startswith("S")][:MAX_DMS]
            users, again = _direct(delivery, alert, wanted, waited)
            if again and not users:  # none reached yet: the next run tries them again
                _put_back(delivery, alert, nth)
                return False
        delivery.chat.post_escalation(ref, alert, step.notify, users, waited)
    except (ChatUnavailableError, ChatRejectedError) as err:
        log.warning("escalation step %d of alert %s failed: %s", nth, alert.id, err)
        if step.notify != "dm":
            _put_back(delivery, alert, nth)
            return False
    log.info("escalated alert %s: step %d (%s) to %s", alert.id, nth, step.notify, users)
    return True


def _direct(
    delivery: Delivery, alert: Alert, users: list[str], waited: int
) -> tuple[tuple[str, ...], bool]:
    """DM each of `users` (each paid from the budget of its own conversation): those
    reached, and whether any may be reached by trying again (Slack did not answer, or the
    budget was spent, rather than refused). Each DM carries the step's id, so that one
    whose answer was lost is found on the next try rather than sent twice."""
    assert alert.message is not None
    reached, again = [], False
    since = waiting_since(alert)
    # The step as reserved: the same id on every try of it, another for each (re)opening.
    message_id = f"{alert.id}:step{alert.reminders}:{since}"
    for user in users:
        if not _paid(delivery, user):
            log.warning("no budget to DM %s about alert %s", user, alert.id)
            again = True
            continue
        try:
            delivery.chat.post_direct(
                user, alert.message, alert, waited, message_id=message_id, since=since
            )
        except ChatUnavailableError as err:
            log.warning("could not DM %s about alert %s: %s", user, alert.id, err)
            again = True
            continue
        except ChatRejectedError as err:  # never will (no im:write, a deactivated user)
            log.error("Slack refused to DM %s about alert %s: %s", user, alert.id, err)
            continue
        reached.append(user)
    return tuple(reached), again


def _put_back(delivery: Delivery, alert: Alert, nth: int) -> None:
    save(
        delivery.alerts,
        alert,
        lambda a: a.model_copy(update={"reminders": nth - 1}) if a.reminders == nth else a,
    )
