"""Planning inhibition (bot/inhibition.py): where its rules meet the store.

- A new alert whose open parent is found (`open_parent`) is held in the parent's thread:
  posted there as a reply, pinging no one, and counted on the parent's root (`hold`);
  past the parent's first HELD_REPLIES it is only counted. An alert whose first post a
  silence held back is looked up the same way when it is posted (`parent_of_unposted`).
- A parent's firing keeps it under its keys; its resolving takes it off them and gives
  each child still firing a root of its own, admitted by storm mode, posted through the
  pipeline and paid from the budget like any other new alert (`track`,
  `release_children`). Children that resolved stay in its thread.
- A parent's first post links the alerts posted before it (`link_earlier`): each one's
  thread is told "Related: <the parent's root>".

Held children are found by the index storms use (`parent_id`, `list_members`).
"""

from __future__ import annotations

import logging

from bot import inhibition, lifecycle, storm
from bot.delivery.claims import advance
from bot.delivery.context import Delivery
from bot.delivery.storms import into_storm
from bot.delivery.work import Due
from bot.errors import ChatError, NotFoundError, StaleVersionError
from bot.log_context import about
from bot.models import Alert, AlertStatus, Signal, SignalState
from bot.optimistic import update_state
from bot.routing import InhibitRule

log = logging.getLogger(__name__)

HELD_LIMIT = 2000  # children a parent's resolving reads, as a storm's summary does
LIVE_LIMIT = 1000  # live alerts of each status a parent's first post looks through
STATE_ATTEMPTS = 10


def open_parent(delivery: Delivery, signal: Signal, channel: str | None = None) -> Alert | None:
    """The open, posted parent that holds a new alert of `signal` in `channel` (the
    delivery's by default), if any: a read of each key its rules give (none when no
    rule's child matches it), and of the parents named there."""
    for rule_id, rule in inhibition.rules(delivery.routes):
        for key in inhibition.child_keys(rule_id, rule, signal, channel or delivery.channel):
            for parent_id in reversed(inhibition.parents(delivery.alerts.get_state(key))):
                try:
                    parent = delivery.alerts.get_alert(parent_id)
                except NotFoundError:
                    continue
                if inhibition.holds(parent, signal):
                    return parent
    return None


def hold(delivery: Delivery, parent: Alert) -> list[Due]:
    """A child was held in the parent's thread: count it on the parent's root. The child
    stands whether or not the count could be written."""
    try:
        return advance(delivery, parent, inhibition.counted)
    except Exception:
        log.exception("could not count a related alert held by %s", parent.id)
        return []


def parent_of_unposted(delivery: Delivery, alert: Alert) -> Alert | None:
    """The open parent that holds an alert whose first post was held back (a silence, a
    maintenance window) and is due now: it is held as a new alert would have been. No
    read for an alert no rule's child matches."""
    if (
        not delivery.routes.inhibit
        or alert.kind != "alert"
        or alert.signal is None
        or alert.message is not None
        or alert.parent_id is not None
        or alert.outbox.pending  # its post is under way, or backing off: a root
    ):
        return None
    return open_parent(delivery, alert.signal, alert.channel)


def track(delivery: Delivery, signal: Signal, alert: Alert | None) -> list[Due]:
    """After a signal was applied to `alert`: a parent's firing keeps it under its keys;
    its resolving releases its children. Costs nothing without inhibit rules, or when
    the alert is no parent."""
    if not delivery.routes.inhibit or alert is None or alert.kind != "alert":
        return []
    try:
        if signal.state is SignalState.FIRING:
            _keep(delivery, signal, alert)
        elif signal.state is SignalState.RESOLVED:
            return release_children(delivery, alert)
    except Exception:
        log.exception("inhibition: could not track parent %s", alert.id)
    return []


def _keep(delivery: Delivery, signal: Signal, parent: Alert) -> None:
    for key in inhibition.parent_keys(delivery.routes, signal, delivery.channel):
        update_state(
            delivery.alerts,
            key,
            lambda s: inhibition.with_parent(s, parent.id),
            attempts=STATE_ATTEMPTS,
        )


def release_children(delivery: Delivery, parent: Alert) -> list[Due]:
    """The parent resolved: it holds no new alert, and each child still firing gets a
    root of its own. Only for an alert that is a parent under some rule, or holds some."""
    keys = (
        inhibition.parent_keys(delivery.routes, parent.signal, parent.channel or delivery.channel)
        if parent.signal is not None
        else []
    )
    if not keys and not parent.inhibition.held:
        return []
    for key in keys:
        update_state(
            delivery.alerts,
            key,
            lambda s: inhibition.without_parent(s, parent.id),
            attempts=STATE_ATTEMPTS,
        )
    dues: list[Due] = []
    for child in delivery.alerts.list_members(parent.id, HELD_LIMIT):
        if not child.held or child.status is AlertStatus.RESOLVED:
            continue  # resolved children stay in the parent's thread
        try:
            dues += _release(delivery, child)
        except (StaleVersionError, NotFoundError) as err:
            log.warning("could not release %s held by %s: %s", child.id, parent.id, err)
    return dues


def _release(delivery: Delivery, child: Alert) -> list[Due]:
    """A child still firing is a new root for its channel's storm mode to count, as a new
    alert's first post is: in a storm (or a release big enough to start one) it is
    folded into the summary instead of posted with its mention."""
    now = delivery.now()
    why = "its related alert resolved"
    channel = child.channel or delivery.channel
    admission = storm.admit(
        delivery.alerts, channel, now, delivery.storm_threshold, delivery.storm_places
    )
    joined = admission.storm
    folded: list[Alert] = []  # the member as the winning write left it

    def released(alert: Alert) -> Alert:
        folded.clear()
        if not alert.held or alert.status is AlertStatus.RESOLVED:
            return alert  # released meanwhile, or resolved in the thread
        if joined is None:
            return lifecycle.detach(alert, now, why)
        folded.append(lifecycle.enlist(alert, now, joined, f"{why} during its channel's storm"))
        return folded[0]

    dues = advance(delivery, child, released)
    return [*dues, *into_storm(delivery, folded[0], admission)] if folded else dues


def link_earlier(delivery: Delivery, parent: Alert) -> list[Due]:
    """A parent's root was just posted: the live alerts it would have held, posted before
    it, are told in their threads where it is. Reads the live alerts once per parent
    posted (parents are rare), never per event. A failure leaves them unlinked."""
    try:
        return _link_earlier(delivery, parent)
    except Exception:
        log.exception("could not link the alerts posted before %s", parent.id)
        return []


def _link_earlier(delivery: Delivery, parent: Alert) -> list[Due]:
    signal, message = parent.signal, parent.message
    if not delivery.routes.inhibit or parent.held or signal is None or message is None:
        return []
    rules = [rule for _, rule in inhibition.rules(delivery.routes) if rule.parent.matches(signal)]
    if not rules:
        return []
    earlier = [
        alert
        for status in (AlertStatus.OPEN, AlertStatus.ACKED)
        for alert in delivery.alerts.list_alerts(status, LIVE_LIMIT)
        if _earlier_child(alert, parent, rules)
    ]
    if not earlier:
        return []
    try:
        url = delivery.chat.permalink(message)
    except ChatError as err:
        log.warning("no link to %s for the alerts posted before it: %s", parent.id, err)
        return []
    dues: list[Due] = []
    for alert in earlier:
        with about(alert_id=alert.id):
            try:
                dues += advance(delivery, alert, lambda a: inhibition.linked(a, url))
            except (StaleVersionError, NotFoundError) as err:
                log.warning("could not link %s to %s: %s", alert.id, parent.id, err)
    return dues


def _earlier_child(alert: Alert, parent: Alert, rules: list[InhibitRule]) -> bool:
    """A live alert posted in the parent's channel, of its own root, that a rule relates
    to the parent."""
    if (
        alert.kind != "alert"
        or alert.signal is None
        or parent.signal is None
        or alert.message is None
        or alert.parent_id is not None
        or alert.channel != parent.channel
        or alert.fingerprint == parent.fingerprint
    ):
        return False
    child = alert.signal
    return any(inhibition.related(rule, parent.signal, child) for rule in rules)
