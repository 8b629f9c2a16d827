"""Declaring an alert an incident, and closing the incident: its own Slack channel, made,
filled and linked both ways with the alert, then archived (docs/alerts.md#incidents).

A declaration is claimed on the alert first (its `incident`, with no channel yet), so
that two clicks at once make one channel; the claim lapses after CLAIM_S if the process
dies before the channel is made. Everything after the channel exists (invites, the pin,
the links) is done once and logged when Slack fails: the channel and the record stand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from bot.alert_actions import ACT_ATTEMPTS, Outcome, change_alert, current
from bot.delivery import Delivery, redraw, save
from bot.errors import ChatError, NameTakenError, NotFoundError, StaleVersionError
from bot.incidents import (
    Incident,
    OnCall,
    channel_names,
    incident_invitees,
    incident_of,
    nobody,
    state_key,
    to_state,
)
from bot.lifecycle import thread_of
from bot.log_context import about
from bot.models import Alert, AlertStatus, HistoryEntry, IncidentRef, State
from bot.optimistic import update_state
from bot.timeutil import clock_text

log = logging.getLogger(__name__)

T = TypeVar("T")

CLAIM_S = 300  # a declaration whose channel was never made may be made again after this
BEING_DECLARED = "An incident is being declared for this alert; its channel is on its way."
NOT_INCIDENT = (
    "This is not an incident channel: `/incident` works in one made by *Declare incident*."
)
ALREADY_CLOSED = "This incident is closed already; nothing was done."
HELD = "held"  # the refusal of an alert held in a parent's thread (`held_elsewhere`)


def already(channel: str) -> str:
    return f"Incident already declared: <#{channel}>"


def declare(
    delivery: Delivery, alert_id: str, version: int, user: str, on_call: OnCall = nobody
) -> Outcome | str:
    """Make the alert's incident channel, invite its people (`incident_invitees`), post
    and pin the alert there, and link the two. What is not done is said, as a note."""
    with about(alert_id=alert_id):
        now = delivery.now()

        def claim(alert: Alert) -> tuple[Alert, Outcome | str | None]:
            refusal = _refusal(alert, version, now)
            if refusal is not None:
                return alert, refusal
            ref = IncidentRef(declared_by=user, declared_at=now)
            return alert.model_copy(update={"incident": ref}), None

        try:
            claimed, refusal = change_alert(delivery, alert_id, claim)
        except NotFoundError:
            return Outcome.GONE
        except StaleVersionError:
            return Outcome.STALE
        if refusal is Outcome.STALE:
            redraw(claimed, delivery)  # heal the message the click came from
        if refusal is HELD:
            return held_elsewhere(delivery, claimed)
        if refusal is not None:
            return refusal
        try:
            channel, name = _create(delivery, claimed, now)
        except ChatError as err:
            log.warning("alert %s: no incident channel was made: %s", alert_id, err)
            save(delivery.alerts, claimed, _unclaimed)
            return f"The incident channel could not be made ({err}); nothing was declared."
        incident = Incident(
            channel=channel, name=name, alerts=[alert_id], declared_by=user, declared_at=now
        )
        delivery.alerts.put_state(to_state(incident))
        declared = save(delivery.alerts, claimed, lambda a: _declared(a, incident))
        _open(delivery, declared, incident, incident_invitees(declared, user, on_call))
        return Outcome.DONE


def _refusal(alert: Alert, version: int, now: int) -> Outcome | str | None:
    """Why this click declares nothing, or None when it may."""
    ref = alert.incident
    if ref is not None and ref.live:
        return already(ref.channel)
    if ref is not None and not ref.channel and ref.declared_at > now - CLAIM_S:
        return BEING_DECLARED
    if not current(alert, version) or alert.kind != "alert" or alert.status is AlertStatus.RESOLVED:
        return Outcome.STALE
    if alert.held:
        return HELD
    return None


def held_elsewhere(delivery: Delivery, alert: Alert) -> str:
    """The refusal for an alert held in a parent's thread: its news is told only there,
    so an incident is declared on the parent."""
    thread = thread_of(alert)
    link = _step(alert, "permalink", lambda: delivery.chat.permalink(thread)) if thread else None
    parent = f"<{link}|its related alert>" if link else f"related alert {alert.parent_id}"
    return f"This alert is held in the thread of {parent}; declare the incident there."


def _create(delivery: Delivery, alert: Alert, now: int) -> tuple[str, str]:
    """The channel made under the first free name: (id, name)."""
    taken: NameTakenError | None = None
    for name in channel_names(alert.title, now):
        try:
            return delivery.chat.create_channel(name), name
        except NameTakenError as err:
            taken = err
    assert taken is not None
    raise taken


def _unclaimed(alert: Alert) -> Alert:
    ref = alert.incident
    if ref is None or ref.channel:  # not our claim any more
        return alert
    return alert.model_copy(update={"incident": None})


def _declared(alert: Alert, incident: Incident) -> Alert:
    ref = IncidentRef(
        channel=incident.channel,
        name=incident.name,
        declared_by=incident.declared_by,
        declared_at=incident.declared_at,
    )
    entry = HistoryEntry(
        at=incident.declared_at, action="incident declared", by=incident.declared_by,
        note=f"#{incident.name}",
    )  # fmt: skip
    # Drawn at once below, so nothing is left for the flush to redraw.
    return alert.model_copy(
        update={"incident": ref, "history": [*alert.history, entry]}
    ).with_outbox(dirty=False, edited_at=incident.declared_at)


def _open(delivery: Delivery, alert: Alert, incident: Incident, users: list[str]) -> None:
    """Fill the new channel and link it with the alert; each step on its own."""
    chat, channel, by = delivery.chat, incident.channel, incident.declared_by
    _step(alert, "invite", lambda: chat.invite(channel, users))
    message = alert.message
    link = _step(alert, "permalink", lambda: chat.permalink(message)) if message else None
    shown = f"<{link}|this alert>" if link else "this alert"
    intro = f":rotating_light: <@{by}> declared an incident for {shown}. It is pinned below."
    _step(alert, "intro", lambda: chat.post_text(channel, intro))
    if alert.signal is not None:
        signal = alert.signal
        posted = _step(
            alert,
            "post",
            lambda: chat.post_alert(
                channel, signal, alert, message_id=f"{alert.id}/incident", controls=False
            ),
        )
        if posted is not None:
            _step(alert, "pin", lambda: chat.pin(posted))
    _tell_thread(delivery, alert, f":rotating_light: <@{by}> declared an incident: <#{channel}>")


def _tell_thread(delivery: Delivery, alert: Alert, line: str) -> None:
    """Say it in the alert's thread, and redraw its root, which names the channel."""
    thread = thread_of(alert)
    if thread is not None:
        chat = delivery.chat
        _step(alert, "thread", lambda: chat.post_text(thread.channel, line, thread_ts=thread.ts))
    redraw(alert, delivery)


def _step(alert: Alert, what: str, call: Callable[[], T]) -> T | None:
    try:
        return call()
    except ChatError as err:
        log.warning("alert %s: incident %s failed: %s", alert.id, what, err)
        return None


def incident_in(delivery: Delivery, channel: str) -> tuple[Incident, list[Alert]] | None:
    """The incident whose channel this is, with its alerts (those still stored)."""
    incident = incident_of(delivery.alerts.get_state(state_key(channel)))
    if incident is None:
        return None
    alerts = []
    for alert_id in incident.alerts:
        try:
            alerts.append(delivery.alerts.get_alert(alert_id))
        except NotFoundError:
            continue
    return incident, alerts


def close(delivery: Delivery, channel: str, user: str) -> Outcome | str:
    """Close the incident of `channel`: recorded, told in the channel and in each alert's
    thread, then the channel archived. A second close changes nothing."""
    now = delivery.now()

    def closing(state: State) -> tuple[State, Outcome | str | None]:
        incident = incident_of(state) if state.version else None
        if incident is None:
            return state, NOT_INCIDENT
        if incident.closed_at is not None:
            return state, ALREADY_CLOSED
        closed = incident.model_copy(update={"closed_by": user, "closed_at": now})
        return to_state(closed, state.version), None

    _, refusal = update_state(delivery.alerts, state_key(channel), closing, attempts=ACT_ATTEMPTS)
    if refusal is not None:
        return refusal
    found = incident_in(delivery, channel)
    assert found is not None
    incident, alerts = found
    when = clock_text(now)
    for alert in alerts:
        closed = save(delivery.alerts, alert, lambda a: _closed(a, channel, user, now))
        _tell_thread(delivery, closed, f"<@{user}> closed the incident <#{channel}> at {when}")
    try:
        delivery.chat.post_text(channel, f"<@{user}> closed this incident at {when}.")
        delivery.chat.archive(channel)
    except ChatError as err:
        log.warning("incident %s closed, but not archived: %s", incident.name, err)
        return f"The incident is closed, but its channel could not be archived ({err})."
    return Outcome.DONE


def _closed(alert: Alert, channel: str, user: str, now: int) -> Alert:
    ref = alert.incident
    if ref is None or ref.channel != channel or ref.closed_at is not None:
        return alert
    entry = HistoryEntry(at=now, action="incident closed", by=user, note=f"#{ref.name}")
    return alert.model_copy(
        update={
            "incident": ref.model_copy(update={"closed_at": now}),
            "history": [*alert.history, entry],
        }
    ).with_outbox(dirty=False, edited_at=now)
