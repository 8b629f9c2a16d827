"""From stored events to Slack: one message per alert, Slack's failures survived.

Persist before notify: ingest stores the event first, then `notify` turns each new
event's signals into alert records and posts them. A record is written, pending, before
its post; a post that fails leaves it pending for `redeliver`, which claims it, looks for
the message (its metadata carries the alert id) in case an earlier attempt reached Slack,
and only then posts again, with backoff.

Threads for repeats, flapping and storms come later; here a repeat counts and redraws.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import ChatRejectedError, ChatUnavailableError, ConflictError, StaleVersionError
from bot.models import Alert, AlertStatus, Event, HistoryEntry, Signal, SignalState
from bot.ports import AlertStore, Chat, Clock

log = logging.getLogger(__name__)

SAVE_ATTEMPTS = 5
FIRST_RETRY_S = 5
MAX_RETRY_S = 3600
LOOKBACK_S = 300  # how far before an alert's first post attempt to search the channel
# How long one deliverer owns a pending post before another may take it: well above the
# longest inline attempt (a 10 s timeout, and Retry-After waits on up to three 429s).
CLAIM_S = 300


@dataclass
class Delivery:
    """The ports alert delivery needs, and where alerts go."""

    alerts: AlertStore
    chat: Chat
    clock: Clock
    channel: str

    def now(self) -> int:
        return int(self.clock.now())


def record_id(kind: str, fingerprint: str, event_id: str) -> str:
    """Deterministic, so that two instances handling one event create one record."""
    digest = hashlib.sha256(f"{kind}\0{fingerprint}\0{event_id}".encode()).hexdigest()
    return f"{kind[0]}{digest[:23]}"


def notify(event: Event, signals: list[Signal], d: Delivery) -> list[Alert]:
    """Alert records for a newly stored event's signals, each posted once if it can be."""
    return [rec for s in signals if (rec := _notify_signal(event, s, d)) is not None]


def _notify_signal(event: Event, signal: Signal, d: Delivery) -> Alert | None:
    now = d.now()
    current = d.alerts.find_alert(signal.fingerprint)
    live = current if current is not None and current.status is not AlertStatus.RESOLVED else None
    if signal.state is SignalState.FIRING and live is not None:
        repeated = save(d.alerts, live, lambda a: _repeat(a, now))
        if repeated.message is None and not repeated.pending:
            # Held back by a silence that has since ended: show it now.
            if silenced(signal.fingerprint, now, d.alerts):
                return repeated
            woken = save(d.alerts, repeated, lambda a: _wake(a, now))
            return deliver(woken, d, look_first=True)
        redraw(repeated, d)  # the count moved, and so did the version its buttons carry
        return repeated
    if signal.state is SignalState.RESOLVED and live is not None:
        resolved = save(d.alerts, live, lambda a: _resolve(a, now))
        redraw(resolved, d)
        return resolved
    kind = "alert" if signal.state is SignalState.FIRING else "notification"
    record = Alert(
        id=record_id(kind, signal.fingerprint, event.id),
        # Notifications keep their own fingerprint space, so that one never hides the
        # open alert of the same fingerprint from find_alert.
        fingerprint=signal.fingerprint if kind == "alert" else f"{signal.fingerprint}#note",
        kind=kind,
        status=AlertStatus.OPEN if kind == "alert" else AlertStatus.RESOLVED,
        title=signal.title,
        severity=signal.severity,
        source=signal.source,
        account=signal.account,
        first_seen=now,
        last_seen=now,
        pending=True,
        # The inline attempt below owns the post for CLAIM_S; only then may redelivery.
        next_attempt_at=now + CLAIM_S,
        channel=d.channel,
        signal=signal,
        history=[HistoryEntry(at=now, action="fired" if kind == "alert" else "noted")],
    )
    try:
        d.alerts.create_alert(record)
    except ConflictError:  # another instance is delivering this very event
        return None
    if kind == "alert" and silenced(signal.fingerprint, now, d.alerts):
        return save(d.alerts, record, lambda a: _quiet(a, now))
    return deliver(record, d)


def silenced(fingerprint: str, now: int, alerts: AlertStore) -> bool:
    return any(s.matcher == fingerprint for s in alerts.list_silences(now))


def deliver(record: Alert, d: Delivery, *, look_first: bool = False) -> Alert:
    """Post a pending record; on failure schedule the next attempt, with backoff.

    `look_first` searches the channel for the record's message before posting: any
    attempt but the very first may have reached Slack after all (a lost answer, or a
    process that died between posting and saving).
    """
    now = d.now()
    assert record.signal is not None and record.channel is not None
    try:
        ref = None
        posted = False
        shown = record.model_copy(update={"version": record.version + 1})
        if look_first or record.attempts:
            oldest = record.first_seen - LOOKBACK_S
            ref = d.chat.find_alert_message(record.channel, record.id, oldest)
        if ref is None:
            # Draw the version the record will have once the post is saved on it, so
            # that the message's buttons are current, not stale from the start.
            ref = d.chat.post_alert(
                record.channel,
                record.signal,
                shown if record.kind == "alert" else None,
                message_id=record.id,
                controls=record.kind == "alert",
            )
            posted = True
    except (ChatUnavailableError, ChatRejectedError) as err:
        wait = min(FIRST_RETRY_S * 2**record.attempts, MAX_RETRY_S)
        log.warning("post of %s %s failed (%s); retry in %ds", record.kind, record.id, err, wait)
        return save(d.alerts, record, lambda a: _retry_later(a, now + wait))
    saved = save(
        d.alerts, record, lambda a: a.model_copy(update={"message": ref, "pending": False})
    )
    # A found message shows whatever version it was posted with, and a repeat or a click
    # may have landed while the post was in flight: then draw the alert as it is now.
    if record.kind == "alert" and (not posted or saved.version != shown.version):
        redraw(saved, d)
    return saved


def redeliver(d: Delivery, limit: int = 500) -> int:
    """Retry every pending record that is due. Returns how many were posted.

    Each record is claimed first (a conditional write of its next attempt time), so two
    deliverers, an inline post and this job or two instances of it, never both post it.
    """
    now = d.now()
    posted = 0
    for record in d.alerts.list_pending(now, limit):
        if record.signal is None:  # nothing to draw
            continue
        try:
            claimed = d.alerts.update_alert(
                record.model_copy(update={"next_attempt_at": now + CLAIM_S})
            )
        except StaleVersionError:  # someone else is on it
            continue
        posted += not deliver(claimed, d, look_first=True).pending
    return posted


def save(alerts: AlertStore, alert: Alert, change: Callable[[Alert], Alert]) -> Alert:
    """Apply `change` and write it, re-reading and re-applying when another writer won."""
    for _ in range(SAVE_ATTEMPTS):
        try:
            return alerts.update_alert(change(alert))
        except StaleVersionError:
            alert = alerts.get_alert(alert.id)
    raise StaleVersionError(f"alert {alert.id} kept changing under us")


def redraw(alert: Alert, d: Delivery) -> None:
    """Show a changed alert in its message; a failure only leaves the message behind."""
    if alert.message is None or alert.signal is None:
        return
    try:
        d.chat.update_alert(alert.message, alert.signal, alert)
    except (ChatUnavailableError, ChatRejectedError) as err:
        log.warning("could not redraw alert %s: %s", alert.id, err)


def _repeat(alert: Alert, now: int) -> Alert:
    return alert.model_copy(update={"count": alert.count + 1, "last_seen": now})


def _resolve(alert: Alert, now: int) -> Alert:
    return alert.model_copy(
        update={
            "status": AlertStatus.RESOLVED,
            "resolved_at": now,
            "last_seen": now,
            "history": [*alert.history, HistoryEntry(at=now, action="resolved")],
        }
    )


def _wake(alert: Alert, now: int) -> Alert:
    entry = HistoryEntry(at=now, action="posted", note="the silence ended")
    return alert.model_copy(
        update={"pending": True, "next_attempt_at": now + CLAIM_S,
                "history": [*alert.history, entry]}
    )  # fmt: skip


def _quiet(alert: Alert, now: int) -> Alert:
    entry = HistoryEntry(at=now, action="silenced", note="stored, not posted")
    return alert.model_copy(update={"pending": False, "history": [*alert.history, entry]})


def _retry_later(alert: Alert, when: int) -> Alert:
    return alert.model_copy(update={"attempts": alert.attempts + 1, "next_attempt_at": when})
