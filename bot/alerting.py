"""From stored events to Slack: one root message per alert for its whole life.

Persist before notify: ingest stores the event first, then `notify` turns each new
event's signals into alert records and posts them. A record is written, pending, before
its post; a post that fails leaves it pending for `flush`, which claims it, looks for
the message (its metadata carries the alert id) in case an earlier attempt reached Slack,
and only then posts again, with backoff.

Later events of an alert (repeats, recovery, a reopening within the reopen window) change
its record, and `bot.lifecycle.plan` decides, in the same conditional write, which root
edit and thread reply may go now and which wait for the coalescing window; `flush` sends
those when due. Silences are read at every event, so one set before a flap still holds.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from bot import budget, lifecycle, routing, storm
from bot.errors import (
    ChatRejectedError,
    ChatUnavailableError,
    ConflictError,
    NotFoundError,
    StaleVersionError,
    UnprocessedError,
)
from bot.lifecycle import CLAIM_S, COALESCE_S, Work
from bot.log_context import about
from bot.models import (
    Alert,
    AlertStatus,
    Event,
    HistoryEntry,
    MessageRef,
    Signal,
    SignalState,
    Told,
)
from bot.ports import AlertStore, Chat, Clock, DeliveryStore
from bot.silences import alert_matchers, matchers, silenced_until

log = logging.getLogger(__name__)

# A hot record (a storm's summary, a noisy alert) may lose several writes in a row to
# other instances; each retry re-reads, and some writer wins every round.
SAVE_ATTEMPTS = 20
LOOKBACK_S = 300  # how far before an alert's first post attempt to search the channel
# A post Slack refused (invalid_blocks, channel_not_found…) is tried this often, in case
# the cause was passing (a channel being re-created), then given up and logged as an error.
REFUSALS = 3
OPEN_LIMIT = 1000  # live alerts re-checked when silences change


@dataclass
class Delivery:
    """The ports alert delivery needs, where alerts go, and the lifecycle's windows."""

    alerts: DeliveryStore
    chat: Chat
    clock: Clock
    channel: str
    reopen_window: int = 3600
    coalesce: int = COALESCE_S
    storm_threshold: int = 20
    routes: routing.Routes = field(default_factory=routing.Routes)
    mention: str | None = None  # the route's, for the records this delivery opens
    home: str | None = None  # the default channel, once routed elsewhere

    def now(self) -> int:
        return int(self.clock.now())


def record_id(kind: str, fingerprint: str, key: str) -> str:
    """Deterministic, so that two instances racing to create one record create one.

    A notification is keyed on its event. An alert is keyed on the alert it follows (the
    fingerprint's previous one, or none): two instances that both find no open alert for
    a fingerprint compute the same id, and the loser's create conflicts instead of
    posting a second root.
    """
    digest = hashlib.sha256(f"{kind}\0{fingerprint}\0{key}".encode()).hexdigest()
    return f"{kind[0]}{digest[:23]}"


def notify(event: Event, signals: list[Signal], d: Delivery) -> list[Alert]:
    """Alert records for a newly stored event's signals, each routed (to one channel or
    several, or nowhere) and posted once if it can be.

    One signal failing (a Security Hub event carries up to 100) does not stop the rest."""
    with about(event_id=event.id):
        return _notify(event, signals, d)


def _notify(event: Event, signals: list[Signal], d: Delivery) -> list[Alert]:
    records = []
    unfinished: UnprocessedError | None = None
    for signal in signals:
        decision = routing.decide(signal, d.routes, d.channel)
        routes = _with_open_alerts(signal, decision.routes, d)
        if not routes:
            log.debug("%s dropped by rule %s", signal.fingerprint, decision.dropped_by)
        for route in routes:
            try:
                record = _notify_signal(event, signal, _routed(d, route))
            except UnprocessedError as err:  # the store: the event must be sent again
                log.error("alerting on %s of event %s failed: %s", signal.fingerprint,
                          event.id, err)  # fmt: skip
                unfinished = err
                continue
            except Exception:
                log.exception("alerting on %s of event %s failed", signal.fingerprint, event.id)
                continue
            if record is not None:
                records.append(record)
    if unfinished is not None:  # after the others: what could be done is done
        raise unfinished
    return records


def _with_open_alerts(
    signal: Signal, routes: list[routing.Route], d: Delivery
) -> list[routing.Route]:
    """A recovery goes to every channel where its alert is open, whatever the rules say
    of the recovery itself (a rule may match on severity, or drop successes), and only
    there; with no alert open anywhere, it goes where the rules send it."""
    if signal.state is not SignalState.RESOLVED:
        return routes
    open_in = []
    for channel in routing.channels(d.routes, d.channel):
        route = next((r for r in routes if r.channel == channel), None)
        route = route or routing.Route(channel=channel, rule="its open alert")
        current = d.alerts.find_alert(alert_key(signal.fingerprint, _routed(d, route)))
        if current is not None and current.status is not AlertStatus.RESOLVED:
            open_in.append(route)
    return open_in or routes


def find_anywhere(d: Delivery, fingerprint: str) -> Alert | None:
    """The fingerprint's alert in any channel it may be routed to: a live one first
    (the most recently seen), else the most recent."""
    found = []
    for channel in routing.channels(d.routes, d.channel):
        key = alert_key(fingerprint, _routed(d, routing.Route(channel=channel)))
        if (alert := d.alerts.find_alert(key)) is not None:
            found.append(alert)
    live = [a for a in found if a.status is not AlertStatus.RESOLVED]
    pool = live or found
    return max(pool, key=lambda a: (a.last_seen, a.id)) if pool else None


def _routed(d: Delivery, route: routing.Route) -> Delivery:
    """The delivery for one route: its channel and mention (the default channel stays
    `home`, whose alerts keep the bare fingerprint as their key)."""
    return replace(d, channel=route.channel, mention=route.mention, home=d.home or d.channel)


def alert_key(fingerprint: str, d: Delivery) -> str:
    """One alert per fingerprint per channel routed to."""
    home = d.home or d.channel
    return fingerprint if d.channel == home else f"{fingerprint}@{d.channel}"


def _notify_signal(event: Event, signal: Signal, d: Delivery) -> Alert | None:
    now = d.now()
    applied = signal.occurrence or event.id  # what the alert applies once
    current = d.alerts.find_alert(alert_key(signal.fingerprint, d))
    if current is not None and applied in current.event_ids:
        return _resume(d, current)  # sent again: this event was applied already
    live = current if current is not None and current.status is not AlertStatus.RESOLVED else None
    if signal.state is SignalState.FIRING:
        reopening = current is not None and lifecycle.reopenable(current, now, d.reopen_window)
        target = live or (current if reopening else None)
        if target is None:
            return _open(event, signal, d, "alert", after=current)
        until = silenced_until(
            matchers(signal.fingerprint, signal), d.alerts.list_silences(now), now
        )
        if reopening and _storm_over(d, target.parent_id):
            # A new firing of an alert whose storm is over: people must see it.
            why = "reopened after its storm was over"
            return advance(
                d,
                target,
                lifecycle.once(
                    applied, lambda a: lifecycle.detach(lifecycle.fire(a, now, until), now, why)
                ),
            )
        return advance(d, target, lifecycle.once(applied, lambda a: lifecycle.fire(a, now, until)))
    if signal.state is SignalState.RESOLVED and live is not None:
        return advance(d, live, lifecycle.once(applied, lambda a: lifecycle.resolve(a, now)))
    return _open(event, signal, d, "notification", under=live)


def _storm_over(d: Delivery, storm_id: str | None) -> bool:
    if storm_id is None:
        return False
    try:
        return d.alerts.get_alert(storm_id).resolved_at is not None
    except NotFoundError:
        return True


def _open(
    event: Event,
    signal: Signal,
    d: Delivery,
    kind: Literal["alert", "notification"],
    *,
    under: Alert | None = None,
    after: Alert | None = None,
) -> Alert | None:
    """A new record: an alert (with controls) following `after`, or a notification,
    threaded under `under`."""
    now = d.now()
    until = None
    channel = under.message.channel if under and under.message else d.channel
    admission = storm.Admission()
    until = silenced_until(matchers(signal.fingerprint, signal), d.alerts.list_silences(now), now)
    if kind == "alert" and until is None:  # a silenced alert is no part of a storm
        admission = storm.admit(d.alerts, channel, now, d.storm_threshold)
    folded = admission.storm is not None
    applied = signal.occurrence or event.id
    key = (after.id if after else "") if kind == "alert" else applied
    fingerprint = alert_key(signal.fingerprint, d)
    record = Alert(
        id=record_id(kind, fingerprint, key),
        # Notifications keep their own fingerprint space, so that one never hides the
        # open alert of the same fingerprint from find_alert.
        fingerprint=fingerprint if kind == "alert" else f"{fingerprint}#note",
        mention=d.mention,
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
        # the inline attempt below owns the post for CLAIM_S.
        pending=until is None and not folded,
        next_attempt_at=now + CLAIM_S if until is None and not folded else 0,
        in_flight=until is None and not folded,
        parent_id=admission.storm,
        channel=channel,
        thread_ts=under.message.ts if under and under.message else None,
        signal=signal,
        event_ids=[applied],
        history=[
            HistoryEntry(
                at=now,
                action="fired" if kind == "alert" else "noted",
                note="silenced: stored, not posted"
                if until
                else ("folded into the channel's storm" if folded else None),
            )
        ],
    )
    try:
        d.alerts.create_alert(record)
    except ConflictError:
        if kind != "alert":  # another instance is delivering this very event
            return None
        # Another instance opened this alert a moment ago, from another event: ours is
        # a repeat of it (read by key, which is consistent where an index may lag).
        opened = d.alerts.get_alert(record.id)
        return advance(d, opened, lifecycle.once(applied, lambda a: lifecycle.fire(a, now, until)))
    with about(alert_id=record.id):
        return _placed(d, record, admission, until, now)


def _resume(d: Delivery, record: Alert) -> Alert | None:
    """An event sent again, whose alert it already opened or moved: finish what its
    first attempt may have left undone. A post or an edit is the flush's (the record is
    due); an alert created to be folded into a storm, but never joined to its summary,
    is no one's, so it is joined now, or posted on its own if the storm is over."""
    if record.kind != "alert" or record.parent_id is None or record.message is not None:
        return None
    try:
        summary: Alert | None = d.alerts.get_alert(record.parent_id)
    except NotFoundError:
        summary = None
    if summary is not None and record.id in summary.members:
        return None
    now = d.now()
    with about(alert_id=record.id):
        log.warning("alert %s was never joined to storm %s: joining it now", record.id,
                    record.parent_id)  # fmt: skip
        if summary is None or summary.resolved_at is not None:
            why = "its storm was over when its event came again"
            return deliver(save(d.alerts, record, lambda a: lifecycle.detach(a, now, why)), d)
        return _placed(d, record, storm.Admission(storm=record.parent_id), None, now)


def _placed(
    d: Delivery, record: Alert, admission: storm.Admission, until: int | None, now: int
) -> Alert | None:
    """A created record's way out: into its storm's summary, held by a silence, or posted."""
    if admission.storm is not None:
        try:
            summary = _fold(d, admission, record, now)
            if record.id in summary.members:
                return record
            why = "its storm's summary is full"
        except Exception:  # never lose it in a summary that could not take it
            log.exception("could not fold alert %s into storm %s", record.id, admission.storm)
            why = "its storm's summary could not take it"
        record = save(d.alerts, record, lambda a: lifecycle.detach(a, now, why))
        return deliver(record, d)
    return record if until else deliver(record, d)


def _fold(d: Delivery, admission: storm.Admission, member: Alert, now: int) -> Alert:
    """Gather a new alert into its channel's storm summary, creating the summary if the
    instance that started the storm has not yet."""
    assert admission.storm is not None and member.channel is not None
    for _ in range(SAVE_ATTEMPTS):
        try:
            summary = d.alerts.get_alert(admission.storm)
        except NotFoundError:
            fresh = storm.join(
                storm.summary(admission.storm, member.channel, now, CLAIM_S), member, now
            )
            try:
                d.alerts.create_alert(fresh)
            except ConflictError:  # created meanwhile: join it
                continue
            log.warning(
                "storm in %s: over %d new alerts in a minute; new ones are gathered into "
                "one summary until a quiet minute passes",
                member.channel,
                d.storm_threshold,
            )
            _then(deliver, fresh, d)
            return fresh
        joined = save(d.alerts, summary, lambda s: storm.join(s, member, now))
        _then(lambda summary, d: tend(d, summary), joined, d)
        return joined
    raise StaleVersionError(f"storm {admission.storm} kept changing under us")


def _then(work: Callable[[Alert, Delivery], object], summary: Alert, d: Delivery) -> None:
    """A summary's Slack work after a join: the join stands whatever it meets (flush
    retries what is still due)."""
    with about(alert_id=summary.id):
        try:
            work(summary, d)
        except Exception:
            log.exception("storm %s: its Slack work failed; it stays due", summary.id)


def tend(d: Delivery, summary: Alert) -> Alert:
    """A storm summary's due Slack work: its post, its coalesced edit and thread reply,
    and its end after a quiet minute."""
    now = d.now()
    saved, work = commit(d.alerts, summary, lambda s: storm.plan(s, now, CLAIM_S))
    if saved.resolved_at is not None and saved.channel is not None:
        storm.end(d.alerts, saved.channel, saved.id)
    if work.post:
        return deliver(saved, d, look_first=lifecycle.unsure(work.before))
    if not work.edit or saved.message is None:
        return saved
    message = saved.message
    members = _members(d, saved)
    shown = storm.digest(saved, members)
    edited = _send(d, saved, "storm edit", budget.UPDATE_KEY, budget.UPDATE,
                   lambda: d.chat.update_storm(message, saved, shown))  # fmt: skip
    news = storm.news(saved.told_members, members) if edited.done else None
    reply_id = thread_reply_id(saved.id, saved.told_members.values())
    replied = (
        _send(d, saved, "storm reply", budget.post_key(message.channel), budget.POST,
              # storm.plan clears attempts on the record it reserves: the failure
              # that makes this a retry is on the record before the plan.
              lambda: _reply_once(d, saved, news or "", reply_id,
                                  unsure=(work.before or saved).attempts > 0,
                                  since=saved.first_seen))
        if news else None
    )  # fmt: skip
    failed = next((r for r in (edited, replied) if r is not None and not r.done), None)
    if failed is None:
        if replied is None:
            return saved
        told = storm.told(members)
        return save(d.alerts, saved, lambda s: s.model_copy(update={"told_members": told}))
    at = now + math.ceil(failed.wait_for(saved))
    attempts = saved.attempts + 1 if failed.failed else saved.attempts

    def again(s: Alert) -> Alert:
        s = s.model_copy(update={"dirty": True, "attempts": attempts})
        return storm.schedule(s, now, not_before=at)

    return save(d.alerts, saved, again)


def _members(d: Delivery, summary: Alert) -> list[Alert]:
    found = []
    for member in summary.members:
        try:
            found.append(d.alerts.get_alert(member))
        except NotFoundError:  # expired or deleted: no longer shown
            continue
    return found


def _touch(d: Delivery, storm_id: str) -> None:
    """A storm member changed: its summary needs an edit (one write per window at most)."""
    try:
        summary = d.alerts.get_alert(storm_id)
    except NotFoundError:
        return
    with about(alert_id=storm_id):  # the summary's lines, not the member's
        if not summary.dirty:
            now = d.now()
            summary = save(
                d.alerts,
                summary,
                lambda s: storm.schedule(s.model_copy(update={"dirty": True}), now),
            )
        tend(d, summary)


def hold_for_storm(d: Delivery, alert: Alert, now: int) -> int:
    """Until when a storm in the alert's channel holds its root's edits and replies."""
    if alert.message is None or alert.kind != "alert":
        return 0
    return storm.held_until(d.alerts.get_state(storm.state_key(alert.message.channel)), now)


def advance(d: Delivery, alert: Alert, change: Callable[[Alert], Alert]) -> Alert:
    """Apply a change, reserve the Slack work it makes due, and do that work."""
    with about(alert_id=alert.id):
        now = d.now()
        held = hold_for_storm(d, alert, now)
        saved, work = commit(
            d.alerts, alert, lambda a: lifecycle.plan(change(a), now, d.coalesce, held)
        )
        done = perform(saved, work, d)
        if saved.parent_id is not None:  # a storm member: its summary shows the change
            _touch(d, saved.parent_id)
        return done


def perform(alert: Alert, work: Work, d: Delivery) -> Alert:
    """Make the reserved Slack calls, each paid from its rate budget first; what Slack
    failed, or the budget could not pay for yet, is put back for a later flush."""
    if work.post:
        return deliver(alert, d, look_first=lifecycle.unsure(work.before))
    if not work:
        return alert
    message, signal = alert.message, alert.signal
    assert message is not None and signal is not None
    reply = work.reply
    edit = (
        _send(d, alert, "edit", budget.UPDATE_KEY, budget.UPDATE,
              lambda: d.chat.update_alert(message, signal, alert))
        if work.edit else None
    )  # fmt: skip
    before = work.before or alert
    reply_id = thread_reply_id(alert.id, [before.told])
    replied = (
        _send(d, alert, "reply", budget.post_key(message.channel), budget.POST,
              lambda: _reply_once(d, alert, reply, reply_id, unsure=before.attempts > 0,
                                  since=before.replied_at or alert.first_seen))
        if reply is not None else None
    )  # fmt: skip
    undone = [r for r in (edit, replied) if r is not None and not r.done]
    if not undone:
        return alert
    back = Work(
        edit=edit is not None and not edit.done,
        reply=reply if replied is not None and not replied.done else None,
        before=work.before,
    )
    failed = any(r.failed for r in undone)
    now = d.now()
    at = now + math.ceil(min(r.wait_for(alert) for r in undone))
    return save(
        d.alerts, alert, lambda a: lifecycle.put_back(a, back, at, failed=failed, window=d.coalesce)
    )


def thread_reply_id(alert_id: str, told: Iterable[Told]) -> str:
    """The id a thread reply carries: what the thread had been told before it. A retry of
    a reply, put back with the same `told`, has the same id, so it can be found."""
    told = list(told)
    tally = (len(told), *(sum(getattr(t, f) for t in told) for f in ("count", "flaps", "resolved")))
    return f"{alert_id}/reply/{'-'.join(map(str, tally))}"


def _reply_once(
    d: Delivery, alert: Alert, text: str, reply_id: str, *, unsure: bool, since: int
) -> None:
    """Reply in an alert's thread once: after a failed try, whose answer may have been
    lost after Slack took it, look for that reply (posted after `since`, the previous
    reply) before posting again."""
    message = alert.message
    assert message is not None
    oldest = since - LOOKBACK_S
    if unsure and d.chat.find_alert_message(message.channel, reply_id, oldest, message.ts):
        log.info("reply %s of alert %s was in its thread already", reply_id, alert.id)
        return
    d.chat.post_text(message.channel, text, thread_ts=message.ts, message_id=reply_id)


@dataclass(frozen=True)
class _Sent:
    """How one Slack call of an alert's work went: done, unpaid (the budget said wait),
    or failed (Slack said no, perhaps with Retry-After)."""

    done: bool
    failed: bool = False
    wait: float | None = None

    def wait_for(self, alert: Alert) -> float:
        if self.wait is not None:
            return self.wait
        return lifecycle.backoff(alert.attempts)


def _send(
    d: Delivery, alert: Alert, what: str, key: str, rate: budget.Rate, call: Callable[[], object]
) -> _Sent:
    wait = budget.spend(d.alerts, key, rate, d.clock.now())
    if wait > 0:
        return _Sent(done=False, wait=wait)
    try:
        call()
    except (ChatUnavailableError, ChatRejectedError) as err:
        log.warning("%s of alert %s failed (%s); it will be retried", what, alert.id, err)
        retry_after = getattr(err, "retry_after", None)
        if retry_after:
            budget.hold(d.alerts, key, d.clock.now() + retry_after)
        return _Sent(done=False, failed=True, wait=retry_after)
    return _Sent(done=True)


def deliver(record: Alert, d: Delivery, *, look_first: bool = False) -> Alert:
    """Post a pending record; on failure schedule the next attempt, with backoff.

    `look_first` searches the channel for the record's message before posting: any
    attempt but the very first may have reached Slack after all (a lost answer, or a
    process that died between posting and saving).
    """
    with about(alert_id=record.id):
        now = d.now()
        assert record.channel is not None
        assert record.signal is not None or record.kind == "storm"
        try:
            ref = None
            posted = False
            shown = record.model_copy(update={"version": record.version + 1})
            if look_first or record.attempts:
                oldest = record.first_seen - LOOKBACK_S
                ref = d.chat.find_alert_message(record.channel, record.id, oldest, record.thread_ts)
            if ref is None:
                wait = budget.spend(
                    d.alerts, budget.post_key(record.channel), budget.POST, d.clock.now()
                )
                if wait > 0:  # the channel's budget is spent: post when it refills, unsent
                    later = {"next_attempt_at": now + math.ceil(wait), "in_flight": False}
                    return save(d.alerts, record, lambda a: a.model_copy(update=later))
                # Draw the version the record will have once the post is saved on it, so
                # that the message's buttons are current, not stale from the start.
                ref = _post(d, record, shown)
                posted = True
        except ChatRejectedError as err:
            if record.attempts + 1 >= REFUSALS:  # Slack will never take it: stop, loudly
                log.error("Slack refused %s %s %d times (%s); giving up", record.kind, record.id,
                          REFUSALS, err)  # fmt: skip
                note = f"Slack refused it: {err}"
                return save(d.alerts, record, lambda a: _given_up(a, now, note))
            return save(
                d.alerts, record, lambda a: _retry_later(a, now + lifecycle.backoff(a.attempts))
            )
        except ChatUnavailableError as err:
            backoff = lifecycle.backoff(record.attempts)
            retry_after = getattr(err, "retry_after", None)
            if retry_after:  # Slack said when: nobody posts to this channel before then
                budget.hold(d.alerts, budget.post_key(record.channel), d.clock.now() + retry_after)
            wait = max(backoff, math.ceil(retry_after or 0))
            log.warning(
                "post of %s %s failed (%s); retry in %ds", record.kind, record.id, err, wait
            )
            return save(d.alerts, record, lambda a: _retry_later(a, now + wait))

        def posted_as(a: Alert) -> Alert:
            # A found message shows whatever version it was posted with, and an event or a
            # click may have landed while the post was in flight: then the root needs an edit.
            behind = not posted or a.version != record.version
            return a.model_copy(
                update={
                    "message": ref,
                    "in_flight": False,
                    "attempts": 0,
                    "edited_at": now,
                    "replied_at": now,
                    "told": lifecycle.told_now(record),
                    "dirty": record.kind != "notification" and behind,
                }
            )

        if record.kind == "storm":
            return tend(d, save(d.alerts, record, posted_as))
        held = storm.held_until(d.alerts.get_state(storm.state_key(ref.channel)), now)
        saved, work = commit(
            d.alerts, record, lambda a: lifecycle.plan(posted_as(a), now, d.coalesce, held)
        )
        return perform(saved, work, d)


def _post(d: Delivery, record: Alert, shown: Alert) -> MessageRef:
    """Post a record's message: a storm's summary, an alert, or a notification."""
    assert record.channel is not None
    if record.kind == "storm":
        digest = storm.digest(shown, _members(d, record))
        return d.chat.post_storm(record.channel, shown, digest, message_id=record.id)
    assert record.signal is not None
    return d.chat.post_alert(
        record.channel,
        record.signal,
        shown if record.kind == "alert" else None,
        message_id=record.id,
        controls=record.kind == "alert",
        thread_ts=record.thread_ts,
    )


def flush(d: Delivery, limit: int = 500) -> int:
    """Do every record's due Slack work: posts to retry, edits and replies held back by
    the coalescing window. Returns how many records had work done.

    Each record is claimed by the plan's conditional write, so two flushers, or a flush
    and an event of the same alert, never both do one piece of work.
    """
    now = d.now()
    done = 0
    for record in d.alerts.list_pending(now, limit):
        with about(alert_id=record.id):
            try:
                done += _flush_one(d, record, now)
            except StaleVersionError:  # someone else moved it on; their plan covers it
                continue
            except Exception:  # one record's trouble must not stop the others' work
                log.exception("flush of alert %s failed; it stays due", record.id)
    return done


def _flush_one(d: Delivery, record: Alert, now: int) -> bool:
    if record.kind == "storm":
        tend(d, record)
        return True
    if record.signal is None:  # nothing to draw, ever: off the queue
        save(d.alerts, record, lambda a: a.model_copy(update={"pending": False}))
        return False
    saved, work = lifecycle.plan(record, now, d.coalesce, hold_for_storm(d, record, now))
    claimed = d.alerts.update_alert(saved)
    return bool(work) and perform(claimed, work, d).attempts == 0  # else it failed, and waits


def refresh_silences(d: Delivery) -> int:
    """Bring live alerts in line with the silences in force: one that began, ended or was
    lifted redraws the alert, and an alert held back until now is posted. Returns how
    many alerts changed."""
    now = d.now()
    silences = d.alerts.list_silences(now)
    changed = 0
    for status in (AlertStatus.OPEN, AlertStatus.ACKED):
        for alert in d.alerts.list_alerts(status, OPEN_LIMIT):
            if alert.kind != "alert":
                continue
            until = silenced_until(alert_matchers(alert), silences, now)
            if until == alert.silenced_until:
                continue
            try:
                advance(d, alert, lambda a, until=until: lifecycle.resilence(a, now, until))
            except (StaleVersionError, ConflictError) as err:
                log.warning(
                    "could not apply silences to alert %s: %s", alert.id, err,
                    extra={"alert_id": alert.id},  # advance's binding has ended here
                )  # fmt: skip
                continue
            changed += 1
    return changed


def commit(
    alerts: AlertStore, alert: Alert, change: Callable[[Alert], tuple[Alert, Work]]
) -> tuple[Alert, Work]:
    """`save` for a change that also reserves work: the work of the write that won.

    A change that changes nothing and reserves nothing is not written, so that a storm's
    members, checking on their summary, do not all contend for its record."""
    for _ in range(SAVE_ATTEMPTS):
        changed, work = change(alert)
        if not work and changed == alert:
            return alert, work
        try:
            return alerts.update_alert(changed), work
        except StaleVersionError:
            alert = alerts.get_alert(alert.id)
    raise StaleVersionError(f"alert {alert.id} kept changing under us")


def save(alerts: AlertStore, alert: Alert, change: Callable[[Alert], Alert]) -> Alert:
    """Apply `change` and write it, re-reading and re-applying when another writer won."""
    return commit(alerts, alert, lambda a: (change(a), Work()))[0]


def redraw(alert: Alert, d: Delivery) -> bool:
    """Show an alert in its message now (people's clicks are not coalesced). False when
    Slack failed: the message is left behind."""
    if alert.message is None or (alert.signal is None and alert.kind != "storm"):
        return True
    try:
        if alert.kind == "storm":
            d.chat.update_storm(alert.message, alert, storm.digest(alert, _members(d, alert)))
        else:
            assert alert.signal is not None
            d.chat.update_alert(alert.message, alert.signal, alert)
    except (ChatUnavailableError, ChatRejectedError) as err:
        log.warning("could not redraw alert %s: %s", alert.id, err)
        return False
    return True


def _given_up(alert: Alert, now: int, note: str) -> Alert:
    entry = HistoryEntry(at=now, action="not posted", note=note)
    return alert.model_copy(
        update={"pending": False, "in_flight": False, "history": [*alert.history, entry]}
    )


def _retry_later(alert: Alert, when: int) -> Alert:
    return alert.model_copy(update={"attempts": alert.attempts + 1, "next_attempt_at": when})
