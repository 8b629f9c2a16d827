"""The first stage for work already stored: records whose Slack work is due now (posts
to retry, edits and replies held back by the coalescing window), and live alerts whose
silences changed. Each is claimed by its plan's conditional write, so that two flushers,
or a flush and an event of the same alert, never both do one piece of work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot import budget, inhibition, lifecycle, maintenance, storm
from bot.delivery.claims import advance, claimed, held_by_storm
from bot.delivery.context import Delivery
from bot.delivery.inhibits import hold as hold_in_parent
from bot.delivery.inhibits import parent_of_unposted
from bot.delivery.saves import save
from bot.delivery.storms import fold, summary_work
from bot.delivery.work import Due, budget_key, calls_of, rate_of
from bot.errors import ConflictError, StaleVersionError
from bot.log_context import about
from bot.models import Alert, AlertStatus, Hold
from bot.silences import alert_matchers, hold

log = logging.getLogger(__name__)

OPEN_LIMIT = 1000  # live alerts re-checked when silences change


def due_work(delivery: Delivery, limit: int = 500) -> list[Due]:
    """Claim the due work of up to `limit` pending records, soonest due first. Work its
    budget cannot pay for now is left as it is: claiming it only to put it back would
    rewrite it at every flush until the budget refills."""
    now = delivery.now()
    dues: list[Due] = []
    left: dict[str, int] = {}  # calls each budget can still pay for in this flush
    for record in delivery.alerts.list_pending(now, limit):
        with about(alert_id=record.id):
            try:
                dues += _claim(delivery, record, now, left)
            except StaleVersionError:  # someone else moved it on; their plan covers it
                continue
            except Exception:  # one record's trouble must not stop the others' work
                log.exception("planning the work of alert %s failed; it stays due", record.id)
    return dues


def _claim(delivery: Delivery, record: Alert, now: int, left: dict[str, int]) -> list[Due]:
    if record.kind == "storm":
        return summary_work(delivery, record)
    if record.signal is None:  # nothing to draw, ever: off the queue
        save(delivery.alerts, record, lambda a: a.with_outbox(pending=False))
        return []
    if _awaits_post(record) and (enlisted := _enlist(delivery, record, now)) is not None:
        return enlisted
    held = held_by_storm(delivery.alerts, record, now)
    planned, work = lifecycle.plan(record, now, delivery.coalesce, held)
    if work and not _affordable(delivery, Due(record, work), now, left):
        return []
    written = delivery.alerts.update_alert(planned) if planned != record else record
    return [claimed(written, work)] if work else []


def _awaits_post(record: Alert) -> bool:
    return record.kind == "alert" and record.message is None and record.parent_id is None


def _enlist(delivery: Delivery, record: Alert, now: int) -> list[Due] | None:
    """An alert still waiting for its post when its channel's storm began joins the
    storm (its summary's post, if it is the first member). None: there is no storm."""
    assert record.channel is not None
    if storm.active(delivery.alerts.get_state(storm.state_key(record.channel)), now) is None:
        return None
    admission = storm.enlist(delivery.alerts, record.channel, now)
    if admission.storm is None:
        return None
    joined = admission.storm
    save(delivery.alerts, record, lambda a: lifecycle.enlist(a, now, joined))
    return fold(delivery, admission, record.channel)


def _affordable(delivery: Delivery, due: Due, now: int, left: dict[str, int]) -> bool:
    """Whether the budgets can pay for any of the work's calls, counting the calls the
    work claimed before it in this flush will make (read once, not spent)."""
    if not delivery.budgeted:
        return True
    keys = [(budget_key(due, call), rate_of(call)) for call in calls_of(due.work)]
    for key, rate in keys:
        if key not in left:
            left[key] = budget.affordable(delivery.alerts, key, rate, now)
    if not any(left[key] > 0 for key, _ in keys):
        return False
    for key, _ in keys:
        left[key] -= 1
    return True


def silence_changes(delivery: Delivery) -> tuple[int, list[Due]]:
    """Bring live alerts in line with the silences in force and the maintenance windows
    on: one that began, ended or was lifted redraws the alert, and an alert held back
    until now is posted. How many alerts changed, and the work that is now due."""
    now = delivery.now()
    silences = delivery.alerts.list_silences(now)
    windows = maintenance.states(delivery.routes.maintenance, now)
    changed = 0
    dues: list[Due] = []
    for status in (AlertStatus.OPEN, AlertStatus.ACKED):
        for alert in delivery.alerts.list_alerts(status, OPEN_LIMIT):
            if alert.kind != "alert":
                continue
            held = hold(
                alert_matchers(alert), silences, now, maintenance.matching(windows, alert.signal)
            )
            if (held.until if held else None) == alert.silenced_until and held == alert.hold:
                continue
            # Its first post held back until now: an open parent holds it, as it would
            # have held it at its opening.
            parent = parent_of_unposted(delivery, alert) if held is None else None
            try:
                dues += advance(delivery, alert, _resilenced(now, held, parent))
                if parent is not None:
                    dues += hold_in_parent(delivery, parent)
            except (StaleVersionError, ConflictError) as err:
                log.warning(
                    "could not apply silences to alert %s: %s", alert.id, err,
                    extra={"alert_id": alert.id},  # advance's binding has ended here
                )  # fmt: skip
                continue
            changed += 1
    return changed, dues


def _resilenced(now: int, held: Hold | None, parent: Alert | None) -> Callable[[Alert], Alert]:
    until = held.until if held else None

    def change(alert: Alert) -> Alert:
        changed = lifecycle.held(lifecycle.resilence(alert, now, until), held)
        return changed if parent is None else inhibition.held_in(changed, parent)

    return change
