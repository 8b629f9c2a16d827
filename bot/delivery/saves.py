"""Writes of alert records, through the one optimistic-update loop."""

from __future__ import annotations

from collections.abc import Callable

from bot.lifecycle import Work
from bot.models import Alert
from bot.optimistic import update_with_retry
from bot.ports import AlertStore

# A hot record (a storm's summary, a noisy alert) may lose several writes in a row to
# other instances; each retry re-reads, and some writer wins every round.
SAVE_ATTEMPTS = 20


def save_planned(
    alerts: AlertStore,
    alert: Alert,
    change: Callable[[Alert], tuple[Alert, Work]],
    *,
    applied: str | None = None,
) -> tuple[Alert, Work]:
    """Write a change that also reserves Slack work: the work of the write that won.
    `applied` is the occurrence the change applies, recorded with the write that wins."""
    return update_with_retry(
        alert,
        change,
        write=lambda changed: alerts.update_alert(changed, applied),
        reread=lambda: alerts.get_alert(alert.id),
        attempts=SAVE_ATTEMPTS,
        what=f"alert {alert.id}",
    )


def save(alerts: AlertStore, alert: Alert, change: Callable[[Alert], Alert]) -> Alert:
    """Write a change that reserves nothing."""
    return save_planned(alerts, alert, lambda a: (change(a), Work()))[0]
