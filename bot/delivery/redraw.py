"""A record shown in its message now, outside the pipeline: people's clicks are not
coalesced, and are not paid from the budget (Slack allows a burst of them)."""

from __future__ import annotations

import logging

from bot import storm
from bot.delivery.context import Delivery
from bot.delivery.storms import members_of
from bot.errors import ChatRejectedError, ChatUnavailableError
from bot.models import Alert

log = logging.getLogger(__name__)


def redraw(alert: Alert, delivery: Delivery) -> bool:
    """Redraw an alert (or a storm's summary) in place. False when Slack failed: the
    message is left behind."""
    if alert.message is None or (alert.signal is None and alert.kind != "storm"):
        return True
    try:
        if alert.kind == "storm":
            digest = storm.digest(alert, members_of(delivery.alerts, alert))
            delivery.chat.update_storm(alert.message, alert, digest)
        else:
            assert alert.signal is not None
            delivery.chat.update_alert(alert.message, alert.signal, alert)
    except (ChatUnavailableError, ChatRejectedError) as err:
        log.warning("could not redraw alert %s: %s", alert.id, err)
        return False
    return True
