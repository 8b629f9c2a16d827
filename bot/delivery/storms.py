"""Planning a storm's summary: folding new alerts into it, and reserving its Slack work.

The pure rules are in bot.storm; this is where they meet the store.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot import lifecycle, storm
from bot.delivery.context import Delivery
from bot.delivery.saves import save, save_planned
from bot.delivery.work import Due
from bot.errors import ConflictError, NotFoundError
from bot.lifecycle import CLAIM_S, Work
from bot.log_context import about
from bot.models import Alert
from bot.ports import AlertStore

log = logging.getLogger(__name__)

SUMMARIES_REMEMBERED = 1000  # summaries known to exist, per process


def members_of(alerts: AlertStore, summary: Alert) -> list[Alert]:
    """A summary's members as they are now: those whose `parent_id` names it, and those
    an older summary listed itself (a detached one no longer names it, and is left out);
    expired or deleted ones are no longer shown."""
    found = alerts.list_members(summary.id, storm.MAX_MEMBERS)
    known = {m.id for m in found}
    for member in summary.members:
        if member in known:
            continue
        try:
            listed = alerts.get_alert(member)
        except NotFoundError:
            continue
        if listed.parent_id == summary.id:
            found.append(listed)
    return found


def fold(delivery: Delivery, admission: storm.Admission, channel: str) -> list[Due]:
    """A member was written into its storm: create the storm's summary if no instance has
    yet (then its post is due). A summary that exists already shows the member at its
    next look, with no write here."""
    assert admission.storm is not None
    if admission.storm in delivery.summaries_seen:
        return []
    if len(delivery.summaries_seen) >= SUMMARIES_REMEMBERED:
        delivery.summaries_seen.clear()  # forgetting costs one read each
    try:
        delivery.alerts.get_alert(admission.storm)
        delivery.summaries_seen.add(admission.storm)
        return []
    except NotFoundError:
        pass
    fresh = storm.summary(admission, channel, delivery.now(), CLAIM_S)
    try:
        delivery.alerts.create_alert(fresh)
    except ConflictError:  # created meanwhile by another instance, which posts it
        delivery.summaries_seen.add(admission.storm)
        return []
    delivery.summaries_seen.add(admission.storm)
    log.warning(
        "storm in %s: over %d new alerts in a minute; new ones are gathered into one "
        "summary until a quiet minute passes", channel, delivery.storm_threshold,
    )  # fmt: skip
    digest = storm.digest(fresh, members_of(delivery.alerts, fresh))
    return [Due(fresh, Work(post=True), digest=digest)]


def into_storm(delivery: Delivery, record: Alert, admission: storm.Admission) -> list[Due]:
    """A new alert written into its storm: the summary's post, if it is the first member.
    One whose summary could not be created gets a root, never lost in no message."""
    assert record.channel is not None
    try:
        return fold(delivery, admission, record.channel)
    except Exception:
        log.exception("could not create the summary of storm %s", admission.storm)
        return [detached(delivery, record, "its storm's summary could not be created")]


def detached(delivery: Delivery, record: Alert, why: str) -> Due:
    """A storm member that needs a root of its own: claimed for its post."""
    now = delivery.now()

    def own_root(alert: Alert) -> Alert:
        detached = lifecycle.detach(alert, now, why)
        return detached.with_outbox(next_attempt_at=now + CLAIM_S, in_flight=True)

    return Due(save(delivery.alerts, record, own_root), Work(post=True))


def touch(delivery: Delivery, storm_id: str) -> list[Due]:
    """A storm member changed: its summary needs an edit (one write per window at most).
    Once this process has seen the summary marked for its next edit, the members' later
    changes before that edit need no read of it: the edit shows them all."""
    now = delivery.now()
    if delivery.summaries_marked.get(storm_id, 0) > now:
        return []
    try:
        summary = delivery.alerts.get_alert(storm_id)
    except NotFoundError:
        return []
    with about(alert_id=storm_id):  # the summary's lines, not the member's
        if not summary.outbox.dirty:
            summary = save(
                delivery.alerts,
                summary,
                lambda s: storm.schedule(s.with_outbox(dirty=True), now),
            )
        dues = summary_work(delivery, summary)
        if not dues and summary.outbox.pending and summary.outbox.dirty:
            if len(delivery.summaries_marked) >= SUMMARIES_REMEMBERED:
                delivery.summaries_marked.clear()
            delivery.summaries_marked[storm_id] = summary.outbox.next_attempt_at
        return dues


def summary_work(delivery: Delivery, summary: Alert) -> list[Due]:
    """A summary's due Slack work, reserved: its post; its coalesced edit, with its
    members' news for the thread; and its end after a quiet minute. A failure here
    leaves the work due for the flush: the change that led here stands."""
    now = delivery.now()
    with about(alert_id=summary.id):
        try:
            assert summary.channel is not None
            state = delivery.alerts.get_state(storm.state_key(summary.channel))
            saved, work = save_planned(
                delivery.alerts, summary, lambda s: storm.plan(s, now, CLAIM_S, state)
            )
            if saved.resolved_at is not None and saved.channel is not None:
                storm.end(delivery.alerts, saved.channel, saved.id)
            if not (work.post or (work.edit and saved.message is not None)):
                return []
            members = members_of(delivery.alerts, saved)
            digest = storm.digest(saved, members)
            if work.post:
                look = lifecycle.unsure(work.before)
                return [Due(saved, work, look_first=look, digest=digest)]
            news = storm.news(saved.outbox.told_members, members)
            told = storm.told(members) if news else None
            return [Due(saved, replace(work, reply=news), digest=digest, members_told=told)]
        except Exception:
            log.exception("storm %s: planning its Slack work failed; it stays due", summary.id)
            return []
