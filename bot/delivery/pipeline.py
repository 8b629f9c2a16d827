"""Alert delivery as one pipeline, composed here once: plan what is due (`intake` for a
new event, `due` for stored work), look for a post an earlier attempt made (`look`),
pay the budget (`pay`), send (`send`), and record what was told (`record`). Each stage
hands its result to the next; none calls back.

Work a run leaves due (held back by a window, a budget or a failure) stays pending on
its record, for the next flush. An outcome whose write failed (the store was down) is
kept and written first by the next run, so that a claim is released within seconds
in a running process; the claim's expiry stays for processes that die.
"""

from __future__ import annotations

import logging

from bot import storm
from bot.delivery.context import Delivery
from bot.delivery.due import due_work, silence_changes
from bot.delivery.inhibits import link_earlier, release_children
from bot.delivery.intake import EventWork, intake
from bot.delivery.look import look
from bot.delivery.pay import pay
from bot.delivery.record import record, release
from bot.delivery.send import send
from bot.delivery.storms import touch
from bot.delivery.work import Due, Outcome
from bot.log_context import about
from bot.models import Alert, Event, Signal

log = logging.getLogger(__name__)

UNRECORDED_KEPT = 1000  # outcomes awaiting a write; past this the claims' expiry covers


def notify(event: Event, signals: list[Signal], delivery: Delivery) -> list[Alert]:
    """Alert on a newly stored event's signals, and send the work that makes due now."""
    return send_due(delivery, intake(event, signals, delivery))


def send_due(delivery: Delivery, taken: EventWork) -> list[Alert]:
    """Send the work an event's `intake` made due now: apart from it, so that the records
    it wrote can be committed with the event before Slack hears of them. The event's
    records, as written."""
    written = run(delivery, taken.dues)
    return [written.get(r.id, r) for r in taken.records]


def flush(delivery: Delivery, limit: int = 500) -> int:
    """Do every record's due Slack work: posts to retry, edits and replies held back by
    the coalescing window. Returns how many records had all their due work done."""
    record_unrecorded(delivery)  # first: a claim it releases may be due in this flush
    written = run(delivery, due_work(delivery, limit))
    return sum(1 for alert in written.values() if alert.outbox.attempts == 0)


def refresh_silences(delivery: Delivery) -> int:
    """Bring live alerts in line with the silences in force, and send what that makes
    due. Returns how many alerts changed."""
    changed, dues = silence_changes(delivery)
    run(delivery, dues)
    return changed


def touch_storm(delivery: Delivery, storm_id: str) -> int:
    """A storm member changed by hand (from the Home tab, which lists members): its
    summary's edit, planned and sent as a member's news would be. How many were sent."""
    return len(run(delivery, touch(delivery, storm_id)))


def release_held(delivery: Delivery, parent: Alert) -> int:
    """A parent resolved by hand: the alerts it held that still fire get their own roots
    now, as its source's resolving would give them. Returns how many were released."""
    return len(run(delivery, release_children(delivery, parent)))


def run(delivery: Delivery, dues: list[Due]) -> dict[str, Alert]:
    """Pay, send and record each due record's work; the records as written, by id. A
    parent whose root this run posted then links the alerts posted before it, whose
    replies are sent after it (bot/delivery/inhibits.py)."""
    written: dict[str, Alert] = {}
    record_unrecorded(delivery)
    posted: list[Alert] = []
    for due in dues:
        with about(alert_id=due.record.id):
            try:
                outcome = look(delivery, due) or send(delivery, due, pay(delivery, due))
            except Exception:  # never keep a claim for what was not done
                log.exception("sending the work of %s failed; it is put back", due.record.id)
                _write(delivery, due, None, written)
                continue
            _write(delivery, due, outcome, written, posted)
    linked = [due for alert in posted for due in link_earlier(delivery, alert)]
    return {**written, **run(delivery, linked)} if linked else written


def _write(
    delivery: Delivery,
    due: Due,
    outcome: Outcome | None,
    written: dict[str, Alert],
    posted: list[Alert] | None = None,
) -> None:
    try:
        saved = release(delivery, due) if outcome is None else record(delivery, due, outcome)
    except Exception as err:
        log.warning("could not record the outcome of %s (%s); it is written on the next run",
                    due.record.id, err)  # fmt: skip
        if len(delivery.unrecorded) < UNRECORDED_KEPT:
            delivery.unrecorded.append((due, outcome))
        return
    written[saved.id] = saved
    if outcome is not None and _first_post(due, outcome, saved):
        _to_enrich(delivery, saved)
        if posted is not None and delivery.routes.inhibit:
            posted.append(saved)


def _first_post(due: Due, outcome: Outcome, saved: Alert) -> bool:
    """An alert's root posted, or found posted by an attempt whose answer was lost, by
    this run: what enrichment starts from (a second request finds it claimed)."""
    post = outcome.post
    done = post is not None and post.done and saved.kind in ("alert", "storm")
    return done and saved.message is not None and not due.record.message


def _to_enrich(delivery: Delivery, alert: Alert) -> None:
    """Queue the alert for its enrichment; the queue failing leaves it as posted. A storm's
    summary is enriched (the graph of its busiest alarm) once its first minute has
    shown which alarm that is."""
    if delivery.enrich is None:
        return
    later = storm.WINDOW_S if alert.kind == "storm" else 0
    try:
        delivery.enrich.enqueue(alert.id, delivery.now() + later)
    except Exception as err:  # the post stands; only its enrichment is lost
        log.warning("could not queue alert %s for enrichment: %s", alert.id, err)


def record_unrecorded(delivery: Delivery) -> None:
    """Write the outcomes an earlier run could not, oldest first; those that fail again
    stay for the next run."""
    if not delivery.unrecorded:
        return
    waiting = list(delivery.unrecorded)
    delivery.unrecorded.clear()
    for due, outcome in waiting:
        with about(alert_id=due.record.id):
            _write(delivery, due, outcome, {})
