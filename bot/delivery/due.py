"""The first stage for work already stored: records whose Slack work is due now (posts
to retry, edits and replies held back by the coalescing window), and live alerts whose
silences changed. Each is claimed by its plan's conditional write, so that two flushers,
or a flush and an event of the same alert, never both do one piece of work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot import lifecycle
from bot.delivery.claims import advance, claimed, held_by_storm
from bot.delivery.context import Delivery
from bot.delivery.saves import save
from bot.delivery.storms import summary_work
from bot.delivery.work import Due
from bot.errors import ConflictError, StaleVersionError
from bot.log_context import about
from bot.models import Alert, AlertStatus
from bot.silences import alert_matchers, silenced_until

log = logging.getLogger(__name__)

OPEN_LIMIT = 1000  # live alerts re-checked when silences change


def due_work(delivery: Delivery, limit: int = 500) -> list[Due]:
    """Claim the due work of up to `limit` pending records, soonest due first."""
    now = delivery.now()
    dues: list[Due] = []
    for record in delivery.alerts.list_pending(now, limit):
        with about(alert_id=record.id):
            try:
                dues += _claim(delivery, record, now)
            except StaleVersionError:  # someone else moved it on; their plan covers it
                continue
            except Exception:  # one record's trouble must not stop the others' work
                log.exception("planning the work of alert %s failed; it stays due", record.id)
    return dues


def _claim(delivery: Delivery, record: Alert, now: int) -> list[Due]:
    if record.kind == "storm":
        return summary_work(delivery, record)
    if record.signal is None:  # nothing to draw, ever: off the queue
        save(delivery.alerts, record, lambda a: a.with_outbox(pending=False))
        return []
    held = held_by_storm(delivery.alerts, record, now)
    planned, work = lifecycle.plan(record, now, delivery.coalesce, held)
    written = delivery.alerts.update_alert(planned) if planned != record else record
    return [claimed(written, work)] if work else []


def silence_changes(delivery: Delivery) -> tuple[int, list[Due]]:
    """Bring live alerts in line with the silences in force: one that began, ended or was
    lifted redraws the alert, and an alert held back until now is posted. How many
    alerts changed, and the work that is now due."""
    now = delivery.now()
    silences = delivery.alerts.list_silences(now)
    changed = 0
    dues: list[Due] = []
    for status in (AlertStatus.OPEN, AlertStatus.ACKED):
        for alert in delivery.alerts.list_alerts(status, OPEN_LIMIT):
            if alert.kind != "alert":
                continue
            until = silenced_until(alert_matchers(alert), silences, now)
            if until == alert.silenced_until:
                continue
            try:
                dues += advance(delivery, alert, _resilenced(now, until))
            except (StaleVersionError, ConflictError) as err:
                log.warning(
                    "could not apply silences to alert %s: %s", alert.id, err,
                    extra={"alert_id": alert.id},  # advance's binding has ended here
                )  # fmt: skip
                continue
            changed += 1
    return changed, dues


def _resilenced(now: int, until: int | None) -> Callable[[Alert], Alert]:
    return lambda alert: lifecycle.resilence(alert, now, until)
