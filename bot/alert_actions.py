"""What people do to an alert from its message: acknowledge, silence, and undo both;
resolve what its source never resolves.

Each action names the alert version the clicked message showed. A click is stale, and
changes nothing, when the alert's status or silence changed after that version (someone
else acted first, it resolved or reopened); repeats that only moved the count on do not
make it stale. Each change is stored first, then drawn in the message at once (people's
clicks are not coalesced), then told in its thread.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from bot import lifecycle, metrics
from bot.delivery import (
    Delivery,
    members_of,
    redraw,
    refresh_silences,
    release_held,
    save,
    touch_storm,
)
from bot.errors import (
    ChatRejectedError,
    ChatUnavailableError,
    NotFoundError,
    StaleVersionError,
)
from bot.incidents import tell_incident
from bot.lifecycle import Work
from bot.log_context import about
from bot.models import Alert, AlertStatus, HistoryEntry, Hold, Silence, SilenceNote, SilenceScope
from bot.optimistic import update_with_retry
from bot.silences import SCOPE_WORDS, alert_matchers, hold_of, holding
from bot.timeutil import clock_text

log = logging.getLogger(__name__)

ACT_ATTEMPTS = 5  # a noisy alert's repeats may win the write: re-read and try again
Result = TypeVar("Result")
SILENCE_CHOICES = {"30m": 1800, "1h": 3600, "4h": 14400, "24h": 86400, "7d": 604800}


class Outcome(StrEnum):
    DONE = "done"
    STALE = "stale"
    GONE = "gone"
    NO_SCOPE = "no_scope"


def current(alert: Alert, version: int) -> bool:
    """The clicked message showed the alert's present state (status and silence)."""
    return alert.state_version <= version <= alert.version


def change_alert(
    delivery: Delivery, alert_id: str, apply: Callable[[Alert], tuple[Alert, Result]]
) -> tuple[Alert, Result]:
    """A click's change, written through the optimistic loop: read again and applied again
    while other writers (a noisy alert's repeats) win. NotFoundError when the alert is
    gone; StaleVersionError when every attempt lost."""
    return update_with_retry(
        delivery.alerts.get_alert(alert_id),
        apply,
        write=delivery.alerts.update_alert,
        reread=lambda: delivery.alerts.get_alert(alert_id),
        attempts=ACT_ATTEMPTS,
        what=f"alert {alert_id}",
    )


def _act(
    delivery: Delivery,
    alert_id: str,
    version: int,
    allowed: Callable[[Alert], bool],
    change: Callable[[Alert, int], Alert],
    told: Callable[[Alert, int], str],
    after: Callable[[Alert, int], None] | None = None,
) -> Outcome:
    with about(alert_id=alert_id):  # the click, its retries and its redraws

        def apply(alert: Alert) -> tuple[Alert, int | None]:
            """The change, drawn at once (the redraw below shows it all); None when the
            click is stale for this version of the alert, and nothing is written."""
            if not current(alert, version) or not allowed(alert):
                return alert, None
            now = delivery.now()
            return change(alert, now).with_outbox(dirty=False, edited_at=now), now

        try:
            changed, now = change_alert(delivery, alert_id, apply)
        except NotFoundError:
            return Outcome.GONE
        except StaleVersionError:  # a noisy alert's repeats kept winning the write
            log.info("action on alert %s kept losing races", alert_id)
            return Outcome.STALE
        if now is None:
            redraw(changed, delivery)  # heal the message the click came from
            return Outcome.STALE
        if after is not None:  # side effects only once the change is ours
            after(changed, now)
        _tell(delivery, changed, told(changed, now))
        return Outcome.DONE


def _tell(delivery: Delivery, alert: Alert, text: str) -> None:
    """Redraw the message and reply in its thread; Slack failing loses neither state."""
    if alert.message is None:
        if alert.parent_id is not None:  # a storm member: its summary shows the change
            touch_storm(delivery, alert.parent_id)
        return
    if not redraw(alert, delivery):  # leave the edit to flush, after a backoff
        now = delivery.now()
        later = now + lifecycle.backoff(alert.outbox.attempts)
        save(
            delivery.alerts,
            alert,
            lambda a: lifecycle.put_back(a, Work(edit=True, before=a), later, failed=True),
        )
    thread = lifecycle.thread_of(alert)
    if not text or thread is None:
        return
    try:
        delivery.chat.post_text(thread.channel, text, thread_ts=thread.ts)
    except (ChatUnavailableError, ChatRejectedError) as err:
        log.warning("alert %s changed, but its thread was not told: %s", alert.id, err)
    tell_incident(delivery.chat, alert, text)


def _with(
    alert: Alert, now: int, action: str, by: str, note: str | None = None, **update: object
) -> Alert:
    entry = HistoryEntry(at=now, action=action, by=by, note=note)
    return alert.model_copy(
        update={
            **update,
            "state_version": alert.version + 1,
            "history": [*alert.history, entry],
        }
    )


def acknowledge(delivery: Delivery, alert_id: str, version: int, user: str) -> Outcome:
    """Acknowledge an alert; a storm summary's Acknowledge acknowledges all its alerts."""

    acked: list[int] = []  # how many alerts the summary held: what its reply says

    def members(storm: Alert, now: int) -> None:
        found = members_of(delivery.alerts, storm)
        acked.append(len(found))
        for member in found:
            try:
                save(delivery.alerts, member, lambda a: _ack(a, now, user))
            except (NotFoundError, StaleVersionError) as err:  # the rest still get theirs
                log.warning("storm %s: alert %s not acknowledged: %s", storm.id, member.id, err)

    return _act(
        delivery,
        alert_id,
        version,
        lambda a: a.status is AlertStatus.OPEN,
        lambda a, now: _with(
            a, now, "acknowledged", user, status=AlertStatus.ACKED, acked_by=user, acked_at=now
        ),
        lambda a, now: f"<@{user}> acknowledged {_what(a, acked)} at {clock_text(now)}",
        after=lambda a, now: members(a, now) if a.kind == "storm" else None,
    )


def _ack(alert: Alert, now: int, user: str) -> Alert:
    """A storm member acknowledged through its summary (left alone unless open)."""
    if alert.status is not AlertStatus.OPEN:
        return alert
    return _with(
        alert, now, "acknowledged", user, "through the storm summary",
        status=AlertStatus.ACKED, acked_by=user, acked_at=now,
    )  # fmt: skip


def _what(alert: Alert, members: list[int]) -> str:
    return f"all {members[0]} alerts of this storm" if alert.kind == "storm" and members else "this"


def unacknowledge(delivery: Delivery, alert_id: str, version: int, user: str) -> Outcome:
    return _act(
        delivery,
        alert_id,
        version,
        lambda a: a.status is AlertStatus.ACKED,
        lambda a, now: _with(
            a, now, "unacknowledged", user, status=AlertStatus.OPEN, acked_by=None, acked_at=None
        ),
        lambda a, now: f"<@{user}> took back the acknowledgement at {clock_text(now)}",
    )


def resolve(delivery: Delivery, alert_id: str, version: int, user: str) -> Outcome:
    """Resolve an alert by hand: what its source never resolves (a failed deployment, a
    finding, an error in a log). It stays resolved until its source says something new
    (`lifecycle.stays_resolved`). The click's reply tells the thread, so the thread is
    not told again that it resolved."""

    def resolved(alert: Alert, now: int) -> Alert:
        told = alert.outbox.told.model_copy(update={"resolved": True})
        return _with(
            alert, now, "resolved", user, "by hand",
            status=AlertStatus.RESOLVED, resolved_at=now, resolved_by=user,
        ).with_outbox(told=told)  # fmt: skip

    return _act(
        delivery,
        alert_id,
        version,
        lambda a: a.kind == "alert" and a.status is not AlertStatus.RESOLVED,
        resolved,
        lambda a, now: f":white_check_mark: {lifecycle.resolved_text(a, by=f' by <@{user}>')}",
        lambda a, now: _release(delivery, a),
    )


def _release(delivery: Delivery, alert: Alert) -> None:
    """Counted as resolved by hand; the alerts an inhibit rule held in its thread get
    their own roots if still firing."""
    delivery.metrics.inc(metrics.ALERTS_RESOLVED, by="hand")
    try:
        release_held(delivery, alert)
    except Exception:  # the click stands; its source's resolving releases them later
        log.exception("could not release the alerts held by %s", alert.id)


def silence(
    delivery: Delivery,
    alert_id: str,
    version: int,
    user: str,
    seconds: int,
    reason: str = "",
    scope: SilenceScope = "alert",
) -> Outcome:
    """Silence what the alert is about (its fingerprint, its resource, its account and
    source, or its route) until now + seconds: matching events are stored, not posted,
    and matching alerts stay quiet, whatever they do meanwhile (resolve, reopen, flap).
    Its thread is told who silenced what and why (a quick silence gives no reason)."""
    try:
        matcher = alert_matchers(delivery.alerts.get_alert(alert_id)).get(scope)
    except NotFoundError:
        return Outcome.GONE
    if matcher is None:
        return Outcome.NO_SCOPE
    made: list[Silence] = []  # the silence of the attempt whose write won

    def change(alert: Alert, now: int) -> Alert:
        made[:] = [
            Silence(
                id=uuid.uuid4().hex,
                scope=scope,
                matcher=matcher,
                created_by=user,
                reason=reason,
                created_at=now,
                expires_at=now + seconds,
                alert_id=alert_id,
            )
        ]
        held = _hold_now(delivery, alert, now, made)
        note = " · ".join(p for p in (f"{SCOPE_WORDS[scope]} ({matcher})", reason) if p)
        return _with(
            alert, now, "silenced", user, note=note,
            silenced_until=held.until if held else now + seconds, hold=held,
        )  # fmt: skip

    def record(alert: Alert, now: int) -> None:
        delivery.alerts.create_silence(made[0])
        # It may hold other live alerts too (and an event may have raced the click):
        # bring every live alert in line with it.
        refresh_silences(delivery)
        _note(delivery, alert, SilenceNote(silence=made[0], kind="made", at=now))

    return _act(
        delivery,
        alert_id,
        version,
        lambda a: a.status is not AlertStatus.RESOLVED,
        change,
        lambda a, now: "",  # the thread is told by the silence's note
        after=record,
    )


def _hold_now(
    delivery: Delivery, alert: Alert, now: int, made: list[Silence] | None = None
) -> Hold | None:
    """What holds the alert at `now`: the silences in force (and `made`, not yet
    stored), and the maintenance windows on."""
    silences = [*(made or []), *delivery.alerts.list_silences(now)]
    windows = delivery.routes.maintenance
    return hold_of(alert_matchers(alert), alert.signal, silences, windows, now)


def _window_hold(delivery: Delivery, alert: Alert, now: int) -> Hold | None:
    """What still holds the alert once its silences are lifted: a maintenance window on."""
    return hold_of({}, alert.signal, (), delivery.routes.maintenance, now)


def _note(delivery: Delivery, alert: Alert, note: SilenceNote) -> None:
    """Tell the alert's thread about a silence; Slack failing loses nothing stored."""
    thread = lifecycle.thread_of(alert)
    if thread is None:
        return
    try:
        delivery.chat.post_silence_note(thread, note)
    except (ChatUnavailableError, ChatRejectedError) as err:
        log.warning("alert %s was silenced, but its thread was not told: %s", alert.id, err)


def unsilence(delivery: Delivery, alert_id: str, version: int, user: str) -> Outcome:
    """Lift every silence holding the alert; others it held are redrawn too. A maintenance
    window is no silence: an alert it holds stays held (its root offers no Unsilence)."""
    lifted: list[Silence] = []

    def unsilenced(alert: Alert, now: int) -> Alert:
        window = _window_hold(delivery, alert, now)
        until = window.until if window else None
        return _with(alert, now, "unsilenced", user, silenced_until=until, hold=window)

    def lift(alert: Alert, now: int) -> None:
        for active in holding(alert_matchers(alert), delivery.alerts.list_silences(now), now):
            delivery.alerts.delete_silence(active.id)
            lifted.append(active)
        if any(s.scope != "alert" for s in lifted):
            refresh_silences(delivery)

    return _act(
        delivery,
        alert_id,
        version,
        lambda a: a.silenced_until is not None and not (a.hold and a.hold.window),
        unsilenced,
        lambda a, now: f"<@{user}> lifted the silence at {clock_text(now)}",
        after=lift,
    )
