"""What changed before an alert: the stack updates, pipeline executions, ECS and CodeDeploy
deployments and agent deployments of its account and region in the hour before it.

Which events are changes is the families' to say (`bot.sources.change`). Stores index
those events alone, under their scope (`change_scope`: `<account>#<region>`), so that
the changes before an alert are one short key-range read, whatever else the hour held.
"""

from __future__ import annotations

from bot.models import Alert, Change, Event, Signal
from bot.ports import EventStore
from bot.sources import change
from bot.sources.base import locate

WINDOW_S = 3600
LIMIT = 5
# Events read per change shown: a stack update or a deployment tells several states
# (IN_PROGRESS, then COMPLETE), of which only the newest is shown.
READ_PER_CHANGE = 4


def scope(account: str, region: str | None) -> str:
    """The key a store indexes an account and region's changes under."""
    return f"{account}#{region or ''}"


def change_scope(event: Event) -> str | None:
    """The scope a store indexes `event` under, or None when it is no change (or names no
    account, so that no alert could be said to follow it)."""
    account, region = locate(event, *event.resources)
    if not account or change(event) is None:
        return None
    return scope(account, region)


def changes_before(
    events: EventStore,
    subject: Alert | Signal,
    now: int,
    window_s: int = WINDOW_S,
    limit: int = LIMIT,
) -> list[Change]:
    """The changes in the subject's account and region in the `window_s` before it fired,
    newest first, at most `limit`: of each thing changed (a stack, a pipeline, a service,
    a deployment group, an agent) its newest state only, and never the subject's own
    (a stack's alert is not its own change). Expired events (at `now`) are left out."""
    account, region, at, own = _about(subject, now)
    if not account or limit <= 0:
        return []
    found = events.list_changes(account, region, at - window_s, at, limit * READ_PER_CHANGE)
    shown: list[Change] = []
    seen: set[tuple[str, ...]] = set()
    for event in found:  # newest first
        thing = tuple(event.fingerprints) or (event.id,)
        if thing in seen or own in event.fingerprints or not _live(event, now):
            continue
        seen.add(thing)
        told = change(event)
        if told is not None:
            shown.append(told)
        if len(shown) == limit:
            break
    return shown


def _about(subject: Alert | Signal, now: int) -> tuple[str, str | None, int, str]:
    """(account, region, when it fired, its fingerprint). Changes are kept by when they
    happened (`published_at`), so an alert is placed by its signal's event time too:
    receipt times would shift it by whatever delayed its delivery."""
    if isinstance(subject, Signal):
        return subject.account, subject.region, subject.time or now, subject.fingerprint
    signal = subject.signal
    if signal is not None and signal.time:  # the event's own time, as changes are kept
        return signal.account, signal.region, signal.time, subject.fingerprint
    account = signal.account if signal is not None else subject.account
    region = signal.region if signal is not None else None
    return account, region, subject.opened_at or subject.first_seen, subject.fingerprint


def _live(event: Event, now: int) -> bool:
    """Not expired at `now` (0 never expires), as every store reads an event."""
    return event.expired_at == 0 or event.expired_at > now
