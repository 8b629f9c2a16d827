"""The first stage: a newly stored event's signals become alert records, routed and
written, each with the Slack work it makes due reserved (a new record is created
pending, claimed by its creator for CLAIM_S).

Silences are read at every event, so one set before a flap still holds. A new alert
that an open parent explains (an inhibit rule, bot/inhibition.py) is held in the
parent's thread; any other is counted for storm mode, and in a storm it is folded into
the channel's summary instead of getting a root of its own.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bot import inhibition, lifecycle, metrics, routing, storm
from bot.delivery.claims import advance
from bot.delivery.context import Delivery
from bot.delivery.inhibits import hold as hold_in_parent
from bot.delivery.inhibits import open_parent, parent_of_unposted, track
from bot.delivery.storms import detached, into_storm
from bot.delivery.work import Due
from bot.errors import AlreadyAppliedError, ConflictError, NotFoundError, UnprocessedError
from bot.lifecycle import CLAIM_S, Work
from bot.log_context import about
from bot.models import (
    Alert,
    AlertStatus,
    Event,
    HistoryEntry,
    Hold,
    Outbox,
    Signal,
    SignalState,
)
from bot.silences import hold_of, matchers

log = logging.getLogger(__name__)


@dataclass
class EventWork:
    """What an event did: the records it opened or moved, and the work now due."""

    records: list[Alert] = field(default_factory=list)
    dues: list[Due] = field(default_factory=list)


def record_id(kind: str, fingerprint: str, channel: str, key: str) -> str:
    """Deterministic, so that two instances racing to create one record create one.

    A notification is keyed on its event. An alert is keyed on the alert it follows (the
    fingerprint's previous one in the channel, or none): two instances that both find no
    open alert for a fingerprint compute the same id, and the loser's create conflicts
    instead of posting a second root.
    """
    digest = hashlib.sha256(f"{kind}\0{fingerprint}@{channel}\0{key}".encode()).hexdigest()
    return f"{kind[0]}{digest[:23]}"


def intake(event: Event, signals: list[Signal], delivery: Delivery) -> EventWork:
    """Alert records for a newly stored event's signals, each routed (to one channel or
    several, or nowhere).

    One signal failing (a Security Hub event carries up to 100) does not stop the rest;
    a store failure is raised after them, so that the event is sent again."""
    taken = EventWork()
    unfinished: UnprocessedError | None = None
    with about(event_id=event.id):
        for signal in signals:
            decision = routing.decide(signal, delivery.routes, delivery.channel)
            routes = _with_open_alerts(signal, decision.routes, delivery)
            if not routes:
                log.debug("%s dropped by rule %s", signal.fingerprint, decision.dropped_by)
            for route in routes:
                try:
                    routed = delivery.routed(route)
                    record, dues = _apply(event, signal, routed)
                    dues += track(routed, signal, record)
                except UnprocessedError as err:  # the store: the event must be sent again
                    log.error("alerting on %s of event %s failed: %s", signal.fingerprint,
                              event.id, err)  # fmt: skip
                    unfinished = err
                    continue
                except Exception:
                    log.exception("alerting on %s of event %s failed", signal.fingerprint, event.id)
                    continue
                if record is not None:
                    taken.records.append(record)
                taken.dues += dues
    if unfinished is not None:  # after the others: what could be done is done
        raise unfinished
    return taken


def find_alert(delivery: Delivery, fingerprint: str) -> Alert | None:
    """The fingerprint's most recent alert in the delivery's channel: one per channel."""
    return delivery.alerts.find_alert(fingerprint, delivery.channel)


def find_anywhere(delivery: Delivery, fingerprint: str) -> Alert | None:
    """The fingerprint's alert in any channel it may be routed to: a live one first
    (the most recently seen), else the most recent."""
    found = []
    for channel in routing.channels(delivery.routes, delivery.channel):
        routed = delivery.routed(routing.Route(channel=channel))
        if (alert := find_alert(routed, fingerprint)) is not None:
            found.append(alert)
    live = [a for a in found if a.status is not AlertStatus.RESOLVED]
    pool = live or found
    return max(pool, key=lambda a: (a.last_seen, a.id)) if pool else None


def _with_open_alerts(
    signal: Signal, routes: list[routing.Route], delivery: Delivery
) -> list[routing.Route]:
    """A recovery goes to every channel where its alert is open (or resolved by hand,
    waiting for its source), whatever the rules say of the recovery itself (a rule may
    match on severity, or drop successes), and only there; with no such alert anywhere,
    it goes where the rules send it."""
    if signal.state is not SignalState.RESOLVED:
        return routes
    open_in = []
    for channel in routing.channels(delivery.routes, delivery.channel):
        route = next((r for r in routes if r.channel == channel), None)
        route = route or routing.Route(channel=channel, rule="its open alert")
        current = find_alert(delivery.routed(route), signal.fingerprint)
        if current is not None and (
            current.status is not AlertStatus.RESOLVED or current.resolved_by is not None
        ):
            open_in.append(route)
    return open_in or routes


def _apply(event: Event, signal: Signal, delivery: Delivery) -> tuple[Alert | None, list[Due]]:
    """What one signal does in one channel. A change to an existing alert is written with
    the record of its application, which refuses a second; an occurrence that would open
    a new record after an existing one (a firing past the reopen window, a recovery with
    nothing open) asks that record first whether it applied it already. An alert
    resolved by hand takes its source's firings that say nothing new (counted, not
    reopened) and its source's recovery (recorded), whatever the reopen window."""
    now = delivery.now()
    applied = signal.occurrence or event.id  # what the alert applies once
    current = find_alert(delivery, signal.fingerprint)
    if current is not None and applied in current.outbox.event_ids:
        return None, _resume(delivery, current)  # sent again: this event was applied already
    live = current if current is not None and current.status is not AlertStatus.RESOLVED else None
    if signal.state is SignalState.FIRING:
        held = current is not None and lifecycle.stays_resolved(current, signal.measure)
        reopening = (
            not held
            and current is not None
            and lifecycle.reopenable(current, now, delivery.reopen_window)
        )
        target = live or (current if reopening or held else None)
        if target is None:
            if current is not None and delivery.alerts.was_applied(current.id, applied):
                return None, _resume(delivery, current)
            return _open(event, signal, delivery, "alert", after=current)
        hold = _hold(delivery, signal, target.route, now)
        if reopening and _storm_over(delivery, target.parent_id):
            # A new firing of an alert whose storm is over: people must see it.
            why = "reopened after its storm was over"
            return target, _applying(
                delivery,
                target,
                applied,
                lambda a: lifecycle.detach(_firing(now, hold, signal)(a), now, why),
            )
        # Its first post held back by a silence that has ended: an open parent holds it.
        parent = parent_of_unposted(delivery, target) if hold is None else None
        if parent is None:
            return target, _applying(delivery, target, applied, _firing(now, hold, signal))
        fire = _firing(now, hold, signal)
        dues = _applying(delivery, target, applied, lambda a: inhibition.held_in(fire(a), parent))
        return target, [*dues, *hold_in_parent(delivery, parent)]
    waiting = current if current is not None and current.resolved_by is not None else None
    if signal.state is SignalState.RESOLVED and (target := live or waiting) is not None:
        dues = _applying(delivery, target, applied, lambda a: lifecycle.resolve(a, now))
        if target is live and target.kind == "alert":
            delivery.metrics.inc(metrics.ALERTS_RESOLVED, by="source")
        return target, dues
    if current is not None and delivery.alerts.was_applied(current.id, applied):
        return None, _resume(delivery, current)
    return _open(event, signal, delivery, "notification", under=live)


def _applying(
    delivery: Delivery, alert: Alert, applied: str, change: Callable[[Alert], Alert]
) -> list[Due]:
    """`change` for one occurrence, written with the record of its application: one
    applied meanwhile (a first attempt still running) is resumed, not applied again."""
    try:
        return advance(delivery, alert, lifecycle.once(applied, change), applied=applied)
    except AlreadyAppliedError:
        return _resume(delivery, delivery.alerts.get_alert(alert.id))


def _hold(delivery: Delivery, signal: Signal, route: str | None, now: int) -> Hold | None:
    """What holds the signal's alert quiet now: a silence, or a maintenance window."""
    keys = matchers(signal.fingerprint, signal, route)
    silences = delivery.alerts.list_silences(now)
    return hold_of(keys, signal, silences, delivery.routes.maintenance, now)


def _firing(now: int, hold: Hold | None, signal: Signal) -> Callable[[Alert], Alert]:
    """The change a firing makes, with the signal's measure (how bad, how many), and
    what holds it quiet."""

    def fire(alert: Alert) -> Alert:
        fired = lifecycle.fire(alert, now, hold.until if hold else None, signal.measure)
        return lifecycle.held(fired, hold)

    return fire


def _storm_over(delivery: Delivery, storm_id: str | None) -> bool:
    if storm_id is None:
        return False
    try:
        return delivery.alerts.get_alert(storm_id).resolved_at is not None
    except NotFoundError:
        return True


def _open(
    event: Event,
    signal: Signal,
    delivery: Delivery,
    kind: Literal["alert", "notification"],
    *,
    under: Alert | None = None,
    after: Alert | None = None,
) -> tuple[Alert | None, list[Due]]:
    """A new record: an alert (with controls) following `after`, or a notification,
    threaded under `under`."""
    now = delivery.now()
    channel = under.message.channel if under and under.message else delivery.channel
    admission = storm.Admission()
    hold = _hold(delivery, signal, delivery.route_name, now)
    until = hold.until if hold else None
    parent = None
    if kind == "alert" and until is None:  # a silenced alert is no part of a storm
        parent = open_parent(delivery, signal)
        if parent is None:  # a held alert is no new root for the storm to count
            admission = storm.admit(
                delivery.alerts, channel, now, delivery.storm_threshold, delivery.storm_places
            )
    folded = admission.storm is not None
    counted_only = parent is not None and not inhibition.replies_to(parent)
    applied = signal.occurrence or event.id
    key = (after.id if after else "") if kind == "alert" else applied
    posted_now = until is None and not folded and not counted_only
    record = Alert(
        id=record_id(kind, signal.fingerprint, delivery.channel, key),
        fingerprint=signal.fingerprint,
        mention=delivery.mention,
        runbook=delivery.runbook,
        log_groups=list(delivery.log_groups),
        route=delivery.route_name,
        hold=hold,
        oncall=delivery.oncall,
        escalation=list(delivery.escalation),
        kind=kind,
        status=AlertStatus.OPEN if kind == "alert" else AlertStatus.RESOLVED,
        title=signal.title,
        severity=signal.severity,
        source=signal.source,
        account=signal.account,
        first_seen=now,
        last_seen=now,
        opened_at=now,
        silenced_until=until,
        # A silence holds the post back, and a storm's summary shows a folded alert; else
        # this record's creator owns its post for CLAIM_S.
        outbox=Outbox(
            pending=posted_now,
            next_attempt_at=now + CLAIM_S if posted_now else 0,
            in_flight=posted_now,
            event_ids=[applied],
        ),
        parent_id=admission.storm,
        channel=channel,
        thread_ts=_thread_of(under),
        signal=signal,
        measure=signal.measure,
        history=[
            HistoryEntry(
                at=now,
                action="fired" if kind == "alert" else "noted",
                note=_held_note(hold, folded, parent),
            )
        ],
    )
    if parent is not None:
        record = inhibition.held_in(record, parent)
    try:
        # A notification's id is its event's: its create is its application.
        delivery.alerts.create_alert(record, applied=applied if kind == "alert" else None)
    except ConflictError:
        if kind != "alert":  # another instance is delivering this very event
            return None, []
        # Another instance opened this alert a moment ago, from another event: ours is
        # a repeat of it (read by key, which is consistent where an index may lag).
        opened = delivery.alerts.get_alert(record.id)
        return opened, _applying(delivery, opened, applied, _firing(now, hold, signal))
    if kind == "alert":
        delivery.metrics.inc(metrics.ALERTS_OPENED)
    with about(alert_id=record.id):
        if folded:
            return record, into_storm(delivery, record, admission)
        if parent is not None:
            posts = [] if counted_only else [Due(record, Work(post=True))]
            return record, [*posts, *hold_in_parent(delivery, parent)]
        return record, [] if until else [Due(record, Work(post=True))]


def _thread_of(alert: Alert | None) -> str | None:
    return alert.message.ts if alert is not None and alert.message is not None else None


def _held_note(hold: Hold | None, folded: bool, parent: Alert | None) -> str | None:
    if hold:
        if hold.window:
            return f"in maintenance window {hold.window}: stored, not posted"
        return "silenced: stored, not posted"
    if folded:
        return "folded into the channel's storm"
    if parent is None:
        return None
    if not inhibition.replies_to(parent):
        return f"held by related alert {parent.id}: counted on its root, not posted"
    return f"held in the thread of related alert {parent.id}"


def _resume(delivery: Delivery, record: Alert) -> list[Due]:
    """An event sent again, whose alert it already opened or moved: finish what its
    first attempt may have left undone. A post or an edit is the flush's (the record is
    due); a storm member whose summary was never created (its creator died first) is no
    one's, so the summary is created now, or the member given a root if its storm is
    over."""
    if record.kind != "alert" or record.parent_id is None or record.message is not None:
        return []
    try:
        delivery.alerts.get_alert(record.parent_id)
        return []
    except NotFoundError:
        pass
    assert record.channel is not None
    state = delivery.alerts.get_state(storm.state_key(record.channel))
    with about(alert_id=record.id):
        if state is None or state.data.get("storm") != record.parent_id:
            return [detached(delivery, record, "its storm was over when its event came again")]
        log.warning("storm %s of alert %s was never created: creating it now",
                    record.parent_id, record.id)  # fmt: skip
        started = int(state.data.get("started", record.first_seen))
        admission = storm.Admission(storm=record.parent_id, started=started)
        return into_storm(delivery, record, admission)
