"""An alert's life as pure functions: what an event does to its record, and which Slack
work that leaves due, within the coalescing windows.

A record is drawn in one root message for its whole life: repeats, recovery and any
reopening within the reopen window edit the root, and are told in its thread. An alert
resolved by hand reopens only on news: a firing whose measure rose (see `rose`), or any
firing once its source has resolved it too. To keep a noisy alert from flooding Slack,
there is at most one root edit and one thread reply per alert per COALESCE_S; what
happens inside a window is summarised by the next reply. The window state lives on the
record (`edited_at`, `replied_at`, `dirty`, `told`), and a `plan` is written with a
conditional write, so two instances never both take one slot. Work held back leaves the
record `pending`, due at `next_attempt_at`, for `flush`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot import inhibition
from bot.models import Alert, AlertStatus, HistoryEntry, Hold, Measure, MessageRef, Told
from bot.timeutil import clock_text, duration_text

COALESCE_S = 10
# How long one deliverer owns a post before another may take it: well above the longest
# inline attempt (a 10 s timeout, and Retry-After waits on up to three 429s).
CLAIM_S = 300
FIRST_RETRY_S = 5
MAX_RETRY_S = 3600
# Event ids an alert carries: a first, free check that an event sent again was applied,
# and the only one for records written before the store recorded each application.
EVENTS_KEPT = 50


@dataclass(frozen=True)
class Work:
    """The Slack calls a plan reserved; `before` is what to restore if they fail."""

    post: bool = False
    edit: bool = False
    reply: str | None = None
    before: Alert | None = None

    def __bool__(self) -> bool:
        return self.post or self.edit or self.reply is not None


def told_now(alert: Alert) -> Told:
    return Told(
        count=alert.count,
        flaps=alert.flaps,
        resolved=alert.status is AlertStatus.RESOLVED,
        related=alert.inhibition.parent_link is not None,
        capped=inhibition.capped(alert),
    )


def quiet(alert: Alert, now: int) -> bool:
    """Held by a silence: stored and drawn, but not told in its thread or posted anew."""
    return alert.silenced_until is not None and alert.silenced_until > now


def thread_of(alert: Alert) -> MessageRef | None:
    """Where the alert's thread lines go: under its root, or, for an alert held in a
    parent's thread (its message a reply there), under the parent's root, since Slack
    threads only under a root. None before its first post."""
    message = alert.message
    if message is None or not alert.held or alert.thread_ts is None:
        return message
    return MessageRef(channel=message.channel, ts=alert.thread_ts)


def tells_thread(alert: Alert, now: int) -> bool:
    """Whether its news goes to its thread: not while silenced, nor while it is held in a
    parent's thread (its message is a reply there, and has no thread of its own)."""
    return not quiet(alert, now) and not alert.held


def _entry(alert: Alert, now: int, action: str, note: str | None = None) -> list[HistoryEntry]:
    return [*alert.history, HistoryEntry(at=now, action=action, note=note)]


def once(event_id: str, change: Callable[[Alert], Alert]) -> Callable[[Alert], Alert]:
    """`change` for one event, unless the alert's latest EVENTS_KEPT events include it.

    Only a window: whether any event was applied is the store's record of it, written
    with the change (AlertStore.update_alert's `applied`)."""

    def apply(alert: Alert) -> Alert:
        if event_id in alert.outbox.event_ids:
            return alert
        changed = change(alert)
        return changed.with_outbox(event_ids=[*changed.outbox.event_ids, event_id][-EVENTS_KEPT:])

    return apply


def rose(measure: Measure | None, before: Measure | None) -> bool:
    """Whether a firing says more than `before`: a higher score or a higher count. With
    nothing to compare (either is None, or they share no part) it is news: only a signal
    that says how bad and how many can say that it is the same finding sent again."""
    if measure is None or before is None:
        return True
    known = [
        (new, old)
        for new, old in ((measure.score, before.score), (measure.count, before.count))
        if new is not None and old is not None
    ]
    return not known or any(new > old for new, old in known)


def stays_resolved(alert: Alert, measure: Measure | None) -> bool:
    """A firing that leaves an alert resolved by hand resolved, counted but not reopened:
    its source has not resolved it since, and the firing's measure did not rise above
    what the alert had when it was resolved."""
    return (
        alert.status is AlertStatus.RESOLVED
        and alert.resolved_by is not None
        and not rose(measure, alert.measure)
    )


def fire(alert: Alert, now: int, silenced_until: int | None, measure: Measure | None) -> Alert:
    """A firing event: a repeat while the alert is live, a reopening once it resolved
    (unless it `stays_resolved`). `measure` is the firing signal's."""
    if alert.status is AlertStatus.RESOLVED:
        if stays_resolved(alert, measure):
            return _recount(alert, now)
        return alert.model_copy(
            update={
                "status": AlertStatus.OPEN,
                "count": alert.count + 1,
                "last_seen": now,
                "opened_at": now,
                # flaps counts firings in this root's life, from the first reopening on
                "flaps": max(alert.flaps, 1) + 1,
                "resolved_at": None,
                "resolved_by": None,
                "measure": measure,
                "acked_by": None,
                "acked_at": None,
                "reminders": 0,
                "silenced_until": silenced_until,
                "state_version": alert.version + 1,
                "history": _entry(alert, now, "reopened"),
            }
        ).with_outbox(dirty=True)
    update: dict[str, object] = {
        "count": alert.count + 1,
        "last_seen": now,
        "silenced_until": silenced_until,
        "measure": measure,
    }
    if silenced_until != alert.silenced_until:
        update["state_version"] = alert.version + 1
    return alert.model_copy(update=update).with_outbox(dirty=True)


def _recount(alert: Alert, now: int) -> Alert:
    """The same finding sent again after it was resolved by hand: counted on its root,
    which is redrawn, but not news for its thread, and not a reopening."""
    told = alert.outbox.told
    return alert.model_copy(update={"count": alert.count + 1, "last_seen": now}).with_outbox(
        dirty=True, told=told.model_copy(update={"count": told.count + 1})
    )


def resolve(alert: Alert, now: int) -> Alert:
    """Its source resolved it. Once resolved by hand, that is only recorded: it ends the
    wait for the source, so that its next firing reopens it whatever its measure."""
    if alert.status is AlertStatus.RESOLVED:
        if alert.resolved_by is None:  # a second recovery says nothing new
            return alert
        return alert.model_copy(
            update={
                "resolved_by": None,
                "history": _entry(alert, now, "recovered", "its source resolved it too"),
            }
        )
    return alert.model_copy(
        update={
            "status": AlertStatus.RESOLVED,
            "resolved_at": now,
            "last_seen": now,
            "state_version": alert.version + 1,
            "history": _entry(alert, now, "resolved"),
        }
    ).with_outbox(dirty=True)


def resilence(alert: Alert, now: int, silenced_until: int | None) -> Alert:
    """The silences holding the alert changed (one began, ended or was lifted)."""
    if silenced_until == alert.silenced_until:
        return alert
    ended = silenced_until is None and alert.silenced_until is not None
    update: dict[str, object] = {
        "silenced_until": silenced_until,
        "state_version": alert.version + 1,
    }
    if ended:
        update["history"] = _entry(alert, now, "silence ended")
    return alert.model_copy(update=update).with_outbox(dirty=True)


def held(alert: Alert, hold: Hold | None) -> Alert:
    """Record what holds the alert quiet (a silence, a maintenance window), which its root
    names: kept only when it says when `silenced_until` ends; a change redraws the root."""
    if (hold.until if hold else None) != alert.silenced_until or hold == alert.hold:
        return alert
    return alert.model_copy(update={"hold": hold}).with_outbox(dirty=True)


def detach(alert: Alert, now: int, why: str) -> Alert:
    """A storm member, or an alert held in its parent's thread, that needs a root of its
    own (its storm is over, its parent resolved): post it. A held alert's reply stays in
    its parent's thread."""
    update = {"parent_id": None, "history": _entry(alert, now, "posted", why), **_unheld(alert)}
    return alert.model_copy(update=update).with_outbox(
        pending=True, next_attempt_at=now, in_flight=False
    )


def _unheld(alert: Alert) -> dict[str, object]:
    """What leaves a held alert's reply in its parent's thread, to be drawn elsewhere."""
    if not alert.held:
        return {}
    counted = alert.inhibition.model_copy(update={"counted_only": False})
    return {"thread_ts": None, "message": None, "inhibition": counted}


def enlist(
    alert: Alert, now: int, storm_id: str, why: str = "its channel's storm began before its post"
) -> Alert:
    """An alert still waiting for its post when its channel's storm began, or released
    by its parent during one: its storm's summary shows it instead."""
    update = {"parent_id": storm_id, "history": _entry(alert, now, "folded", why), **_unheld(alert)}
    return alert.model_copy(update=update).with_outbox(
        pending=False, next_attempt_at=0, in_flight=False
    )


def reopenable(alert: Alert, now: int, window: int) -> bool:
    """Fired again within `window` of resolving: the same root, one more flap."""
    return (
        alert.kind == "alert"
        and alert.status is AlertStatus.RESOLVED
        and alert.resolved_at is not None
        and now - alert.resolved_at <= window
    )


def backoff(attempts: int) -> int:
    return min(FIRST_RETRY_S << min(attempts, 32), MAX_RETRY_S)  # shifts: ints stay ints


def plan(
    alert: Alert, now: int, window: int = COALESCE_S, held_until: int = 0
) -> tuple[Alert, Work]:
    """Reserve the Slack work that is due now, and schedule the rest.

    Written with the record's conditional write, the reservation is the claim: a second
    writer re-reads, finds the slot taken, and leaves the work to the window's end.
    `held_until` (a storm in the channel) holds a root's edits and replies back until then.
    """
    if alert.message is None:
        return _plan_post(alert, now)
    if held_until > now:
        return schedule(alert, now, window, not_before=held_until), Work()
    out = alert.outbox
    ready = out.attempts == 0 or out.next_attempt_at <= now  # backing off after a failure
    edit = ready and out.dirty and now >= out.edited_at + window
    news = reply_text(out.told, alert) if tells_thread(alert, now) else None
    reply = news if ready and news and now >= out.replied_at + window else None
    planned = alert
    if edit or reply:
        planned = planned.with_outbox(attempts=0)
    if edit:
        planned = planned.with_outbox(dirty=False, edited_at=now)
    if reply:
        planned = planned.with_outbox(told=told_now(alert), replied_at=now)
    planned = schedule(planned, now, window)
    return planned, Work(edit=edit, reply=reply, before=alert)


def _plan_post(alert: Alert, now: int) -> tuple[Alert, Work]:
    """A record not yet in Slack: post it when due, unless a silence holds it back."""
    if alert.kind == "alert" and (
        quiet(alert, now)
        or (alert.parent_id is not None and not alert.held)
        or alert.inhibition.counted_only
    ):
        # Held back by a silence, folded into a storm, whose summary shows it, or only
        # counted on its parent's root (other alerts held by a parent are replies there).
        return alert.with_outbox(pending=False), Work()
    if not alert.outbox.pending:
        if alert.kind != "alert" or alert.status is AlertStatus.RESOLVED or alert.signal is None:
            return alert, Work()
        # Held back by a silence that has ended while the alert is still open: show it.
        alert = alert.model_copy(
            update={"history": _entry(alert, now, "posted", "the silence ended")}
        ).with_outbox(pending=True, next_attempt_at=now)
    if alert.outbox.next_attempt_at > now:  # another deliverer owns it, or it is backing off
        return alert, Work()
    claimed = alert.with_outbox(next_attempt_at=now + CLAIM_S, in_flight=True)
    return claimed, Work(post=True, before=alert)


def unsure(before: Alert | None) -> bool:
    """Whether an earlier attempt may have posted already: look before posting again."""
    return before is None or before.outbox.in_flight or before.outbox.attempts > 0


def schedule(alert: Alert, now: int, window: int = COALESCE_S, not_before: int = 0) -> Alert:
    """Set the outbox's `pending`/`next_attempt_at` from the work still held back on a
    posted record."""
    out = alert.outbox
    due: list[int] = []
    if out.dirty:
        due.append(out.edited_at + window)
    if tells_thread(alert, now) and reply_text(out.told, alert):
        due.append(out.replied_at + window)
    if not due:
        return alert.with_outbox(pending=False, next_attempt_at=0)
    if out.attempts:
        not_before = max(not_before, out.next_attempt_at)
    return alert.with_outbox(pending=True, next_attempt_at=max(min(due), not_before))


def put_back(alert: Alert, work: Work, at: int, *, failed: bool, window: int = COALESCE_S) -> Alert:
    """Reserved work was not done: put it back, due again at `at`. `failed` (Slack
    failed, rather than the budget being short) counts an attempt, for the backoff."""
    before = (work.before or alert).outbox
    update: dict[str, object] = {"attempts": before.attempts + 1 if failed else before.attempts}
    if work.edit:
        update["dirty"] = True
    if work.reply is not None:
        update["told"] = before.told
    return schedule(alert.with_outbox(**update), at, window, not_before=at)


def reply_text(told: Told, alert: Alert) -> str | None:
    """What the thread has not been told yet: repeats, reopenings and recovery."""
    if alert.kind != "alert":
        return None
    lines = []
    reopens = max(alert.flaps - max(told.flaps, 1), 0)
    repeats = alert.count - told.count - reopens
    if reopens:
        times = "once" if reopens == 1 else f"{reopens} times"
        lines.append(
            f":fire: Fired again after resolving ({times}); reopened at "
            f"{clock_text(alert.opened_at or alert.last_seen)}, "
            f"flapping: fired {alert.flaps} separate times."
        )
    if repeats > 0:
        times = "once more" if repeats == 1 else f"{repeats} more times"
        lines.append(
            f":repeat: Fired {times}, last at {clock_text(alert.last_seen, seconds=True)}."
        )
    resolved = alert.status is AlertStatus.RESOLVED
    if resolved and (not told.resolved or reopens):
        lines.append(f":white_check_mark: {resolved_text(alert)}.")
    if alert.inhibition.parent_link and not told.related:
        # A link Slack made (chat.getPermalink): no event text, nothing to escape.
        lines.append(f":link: Related: <{alert.inhibition.parent_link}>")
    if inhibition.capped(alert) and not told.capped:
        lines.append(
            f":information_source: {inhibition.HELD_REPLIES} related alerts are held in this "
            "thread; further related alerts are counted on the root."
        )
    return "\n".join(lines) or None


def resolved_text(alert: Alert, now: int | None = None, by: str = "") -> str:
    """ "Resolved at 14:19 UTC, open for 14 min" (from its latest opening); `by` goes
    after "Resolved" (" by @alice")."""
    at = alert.resolved_at or alert.last_seen
    opened = alert.opened_at or alert.first_seen
    text = f"Resolved{by} at {clock_text(at, now)}"
    return f"{text}, open for {duration_text(at - opened)}" if at >= opened else text
