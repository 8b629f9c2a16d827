"""Planning a storm's summary: folding new alerts into it, and reserving its Slack work.

The pure rules are in bot.storm; this is where they meet the store.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot import lifecycle, storm
from bot.delivery.context import Delivery
from bot.delivery.saves import SAVE_ATTEMPTS, save, save_planned
from bot.delivery.work import Due
from bot.errors import ConflictError, NotFoundError, StaleVersionError
from bot.lifecycle import CLAIM_S, Work
from bot.log_context import about
from bot.models import Alert
from bot.ports import AlertStore

log = logging.getLogger(__name__)


def members_of(alerts: AlertStore, summary: Alert) -> list[Alert]:
    """A summary's members as they are now; expired or deleted ones are no longer shown."""
    found = []
    for member in summary.members:
        try:
            found.append(alerts.get_alert(member))
        except NotFoundError:
            continue
    return found


def fold(delivery: Delivery, admission: storm.Admission, member: Alert) -> tuple[bool, list[Due]]:
    """Gather a new alert into its channel's storm summary, creating the summary if the
    instance that started the storm has not yet. Whether the summary took it (a full one
    does not), and the summary's due work."""
    assert admission.storm is not None and member.channel is not None
    now = delivery.now()
    for _ in range(SAVE_ATTEMPTS):
        try:
            summary = delivery.alerts.get_alert(admission.storm)
        except NotFoundError:
            fresh = storm.join(
                storm.summary(admission.storm, member.channel, now, CLAIM_S), member, now
            )
            try:
                delivery.alerts.create_alert(fresh)
            except ConflictError:  # created meanwhile: join it
                continue
            log.warning(
                "storm in %s: over %d new alerts in a minute; new ones are gathered into "
                "one summary until a quiet minute passes",
                member.channel,
                delivery.storm_threshold,
            )
            digest = storm.digest(fresh, members_of(delivery.alerts, fresh))
            return True, [Due(fresh, Work(post=True), digest=digest)]
        joined = save(delivery.alerts, summary, lambda s: storm.join(s, member, now))
        return member.id in joined.members, summary_work(delivery, joined)
    raise StaleVersionError(f"storm {admission.storm} kept changing under us")


def touch(delivery: Delivery, storm_id: str) -> list[Due]:
    """A storm member changed: its summary needs an edit (one write per window at most)."""
    try:
        summary = delivery.alerts.get_alert(storm_id)
    except NotFoundError:
        return []
    with about(alert_id=storm_id):  # the summary's lines, not the member's
        if not summary.outbox.dirty:
            now = delivery.now()
            summary = save(
                delivery.alerts,
                summary,
                lambda s: storm.schedule(s.with_outbox(dirty=True), now),
            )
        return summary_work(delivery, summary)


def summary_work(delivery: Delivery, summary: Alert) -> list[Due]:
    """A summary's due Slack work, reserved: its post; its coalesced edit, with its
    members' news for the thread; and its end after a quiet minute. A failure here
    leaves the work due for the flush: the change that led here stands."""
    now = delivery.now()
    with about(alert_id=summary.id):
        try:
            saved, work = save_planned(
                delivery.alerts, summary, lambda s: storm.plan(s, now, CLAIM_S)
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
