"""Expiry notices: the thread of a silence's alert is told WARN_S before the silence ends
("Silence by @alice ends in 10 minutes: deploying"), and again once it has ended, so that
nobody is surprised when the alerts it held speak again. The silences job sends them, on
the injected clock.

Each notice is reserved before it is sent, by a conditional write of the silence's
notice state (a `State` under `silence-notices:<id>`), so that two runs of the job never
both send one; one that the channel's budget or Slack did not take is put back for the
next run. The thread is the one of the alert the silence was made from, else of a live
alert it holds; a silence with no such thread gets no notice, and neither does one
lifted by hand.
"""

from __future__ import annotations

import logging
from typing import Literal

from bot import budget
from bot.delivery import OPEN_LIMIT, Delivery
from bot.errors import ChatRejectedError, ChatUnavailableError, NotFoundError, StaleVersionError
from bot.lifecycle import thread_of
from bot.models import Alert, AlertStatus, MessageRef, Silence, SilenceNote, State
from bot.optimistic import update_state
from bot.silences import alert_matchers

log = logging.getLogger(__name__)

WARN_S = 600  # the first notice, this long before the silence ends
ENDED_TOLD_S = 3600  # an ended silence is told for this long after (a job down catches up)
PUT_BACK_ATTEMPTS = 5
Notice = Literal["ending", "ended"]


def state_key(silence_id: str) -> str:
    return f"silence-notices:{silence_id}"


def near(silence: Silence, now: int) -> bool:
    """Whether a notice may be due: it ends within WARN_S, or ended within ENDED_TOLD_S
    (read before its notice state, so that only these cost a read)."""
    return silence.expires_at - WARN_S <= now <= silence.expires_at + ENDED_TOLD_S


def due(silence: Silence, told: dict[str, object], now: int) -> Notice | None:
    """The notice due at `now`, given those already `told`; None for none. A silence made
    for WARN_S or less gets only the one that it ended."""
    if not near(silence, now):
        return None
    if now >= silence.expires_at:
        return None if told.get("ended") else "ended"
    long_enough = silence.expires_at - silence.created_at > WARN_S
    return "ending" if long_enough and not told.get("ending") else None


def notify_silences(delivery: Delivery) -> int:
    """Send every expiry notice that is due. Returns how many were sent."""
    now = delivery.now()
    threads = _Threads(delivery)
    sent = 0
    for silence in delivery.alerts.list_silences(now - ENDED_TOLD_S):
        if not near(silence, now):
            continue
        try:
            sent += _notify_one(delivery, silence, now, threads)
        except Exception:  # one silence's trouble must not stop the others' notices
            log.exception("the notice of silence %s failed; the next run tries again",
                          silence.id)  # fmt: skip
    return sent


def _notify_one(delivery: Delivery, silence: Silence, now: int, threads: _Threads) -> bool:
    key = state_key(silence.id)
    state = delivery.alerts.get_state(key) or State(key=key)
    notice = due(silence, state.data, now)
    if notice is None:
        return False
    ref = threads.of(silence)
    if ref is None:
        return False  # nothing to tell it in
    try:  # the reservation: a second run finds it taken, or loses this write
        delivery.alerts.put_state(state.model_copy(update={"data": {**state.data, notice: True}}))
    except StaleVersionError:
        return False
    note = SilenceNote(silence=silence, kind=notice, at=now)
    if _send(delivery, ref, note):
        return True
    _put_back(delivery, key, notice)
    return False


def _send(delivery: Delivery, ref: MessageRef, note: SilenceNote) -> bool:
    """Pay the channel's budget, then post; False when either did not take it."""
    if delivery.budgeted and budget.spend(
        delivery.alerts, budget.post_key(ref.channel), budget.POST, delivery.clock.now()
    ):
        return False  # the channel's budget is spent: the next run sends it
    try:
        delivery.chat.post_silence_note(ref, note)
    except (ChatUnavailableError, ChatRejectedError) as err:
        log.warning("notice of silence %s failed: %s", note.silence.id, err)
        return False
    log.info("told %s that silence %s is %s", ref.channel, note.silence.id, note.kind)
    return True


def _put_back(delivery: Delivery, key: str, notice: Notice) -> None:
    def unreserve(state: State) -> tuple[State, None]:
        if not state.data.get(notice):
            return state, None
        return state.model_copy(update={"data": {**state.data, notice: False}}), None

    update_state(delivery.alerts, key, unreserve, attempts=PUT_BACK_ATTEMPTS)


class _Threads:
    """Where a silence's notices go: the root of the alert it was made from, else of the
    live alert it holds that was seen last. Live alerts are read once a run, if needed."""

    def __init__(self, delivery: Delivery) -> None:
        self._delivery = delivery
        self._live: list[Alert] | None = None

    def of(self, silence: Silence) -> MessageRef | None:
        if silence.alert_id is not None:
            try:
                made_from = self._delivery.alerts.get_alert(silence.alert_id)
            except NotFoundError:
                made_from = None
            if made_from is not None and made_from.message is not None:
                return thread_of(made_from)
        held = [
            alert
            for alert in self._live_alerts()
            if alert.message is not None
            and alert_matchers(alert).get(silence.scope) == silence.matcher
        ]
        return thread_of(max(held, key=lambda a: a.last_seen)) if held else None

    def _live_alerts(self) -> list[Alert]:
        if self._live is None:
            alerts = self._delivery.alerts
            self._live = [
                alert
                for status in (AlertStatus.OPEN, AlertStatus.ACKED)
                for alert in alerts.list_alerts(status, OPEN_LIMIT)
                if alert.kind == "alert"
            ]
        return self._live
