"""What people do to an alert from its message: acknowledge, silence, and undo both.

Each action names the alert version the clicked message showed; a click on an older
version (someone else acted first, or the alert changed) is stale and changes nothing.
Each change is stored first, then drawn in the message, then told in its thread.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from enum import StrEnum

from bot.alerting import Delivery, redraw
from bot.errors import (
    ChatRejectedError,
    ChatUnavailableError,
    NotFoundError,
    StaleVersionError,
)
from bot.models import Alert, AlertStatus, HistoryEntry, Silence
from bot.timeutil import to_iso

log = logging.getLogger(__name__)

SILENCE_CHOICES = {"30m": 1800, "1h": 3600, "4h": 14400, "24h": 86400, "7d": 604800}


class Outcome(StrEnum):
    DONE = "done"
    STALE = "stale"
    GONE = "gone"


def _hhmm(ts: int) -> str:
    return to_iso(ts)[11:16] + " UTC"


def _act(
    d: Delivery,
    alert_id: str,
    version: int,
    allowed: Callable[[Alert], bool],
    change: Callable[[Alert, int], Alert],
    told: Callable[[Alert, int], str],
    after: Callable[[Alert, int], None] | None = None,
) -> Outcome:
    try:
        alert = d.alerts.get_alert(alert_id)
    except NotFoundError:
        return Outcome.GONE
    if alert.version != version or not allowed(alert):
        redraw(alert, d)  # heal the message the click came from: show the alert as it is
        return Outcome.STALE
    now = d.now()
    try:
        changed = d.alerts.update_alert(change(alert, now))
    except NotFoundError:
        return Outcome.GONE
    except StaleVersionError:  # another click won the race
        log.info("action on alert %s lost a race", alert_id)
        return Outcome.STALE
    if after is not None:  # side effects only once the change is ours
        after(changed, now)
    _tell(d, changed, told(changed, now))
    return Outcome.DONE


def _tell(d: Delivery, alert: Alert, text: str) -> None:
    """Redraw the message and reply in its thread; Slack failing loses neither state."""
    if alert.message is None:
        return
    redraw(alert, d)
    try:
        d.chat.post_text(alert.message.channel, text, thread_ts=alert.message.ts)
    except (ChatUnavailableError, ChatRejectedError) as err:
        log.warning("alert %s changed, but its thread was not told: %s", alert.id, err)


def _with(alert: Alert, now: int, action: str, by: str, **update: object) -> Alert:
    entry = HistoryEntry(at=now, action=action, by=by)
    return alert.model_copy(update={**update, "history": [*alert.history, entry]})


def acknowledge(d: Delivery, alert_id: str, version: int, user: str) -> Outcome:
    return _act(
        d,
        alert_id,
        version,
        lambda a: a.status is AlertStatus.OPEN,
        lambda a, now: _with(
            a, now, "acknowledged", user, status=AlertStatus.ACKED, acked_by=user, acked_at=now
        ),
        lambda a, now: f"<@{user}> acknowledged this at {_hhmm(now)}",
    )


def unacknowledge(d: Delivery, alert_id: str, version: int, user: str) -> Outcome:
    return _act(
        d,
        alert_id,
        version,
        lambda a: a.status is AlertStatus.ACKED,
        lambda a, now: _with(
            a, now, "unacknowledged", user, status=AlertStatus.OPEN, acked_by=None, acked_at=None
        ),
        lambda a, now: f"<@{user}> took back the acknowledgement at {_hhmm(now)}",
    )


def silence(
    d: Delivery, alert_id: str, version: int, user: str, seconds: int, reason: str = ""
) -> Outcome:
    """Silence the alert's fingerprint until now + seconds: its new events are stored,
    not posted, whatever the alert does meanwhile."""

    def record(alert: Alert, now: int) -> None:
        d.alerts.create_silence(
            Silence(
                id=uuid.uuid4().hex,
                scope="alert",
                matcher=alert.fingerprint,
                created_by=user,
                reason=reason,
                created_at=now,
                expires_at=now + seconds,
            )
        )

    return _act(
        d,
        alert_id,
        version,
        lambda a: a.status is not AlertStatus.RESOLVED,
        lambda a, now: _with(a, now, "silenced", user, silenced_until=now + seconds),
        lambda a, now: f"<@{user}> silenced this until {to_iso(a.silenced_until or now)}",
        after=record,
    )


def unsilence(d: Delivery, alert_id: str, version: int, user: str) -> Outcome:
    def lift(alert: Alert, now: int) -> None:
        for active in d.alerts.list_silences(now):
            if active.matcher == alert.fingerprint:
                d.alerts.delete_silence(active.id)

    return _act(
        d,
        alert_id,
        version,
        lambda a: a.silenced_until is not None,
        lambda a, now: _with(a, now, "unsilenced", user, silenced_until=None),
        lambda a, now: f"<@{user}> lifted the silence at {_hhmm(now)}",
        after=lift,
    )
