"""The ingest use case: parse → validate → interpret → store, idempotent on the event id.

Shared by POST /ingest, `python app.py ingest` and the EventBridge/SNS Lambda, so that
every entry point accepts the same shapes and answers the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from bot.envelopes import RawEvent, decode_body, read_unit, split_units
from bot.errors import NotFoundError, TooManyEventsError, UnprocessedError, ValidationError
from bot.log_context import about
from bot.models import Event, IngestResult, Severity, Signal, SignalState
from bot.ports import Clock, EventStore
from bot.sources import Context, interpret
from bot.sources.registry import family_of

log = logging.getLogger(__name__)

OnNew = Callable[[Event, list[Signal], bool], None]  # (event, its signals, again)
# Rejections a body's one warning line quotes; the answer lists more, and counts them all.
LOGGED_REJECTIONS = 5
# How long after an event was first stored a duplicate of it is alerted on again (it
# applies at most once): well beyond an HTTP sender's retries and Lambda's async ones,
# and within the default REOPEN_WINDOW, so that a late copy never reaches a newer alert.
RETRY_WINDOW_S = 3600


def build_event(raw: RawEvent, *, received_at: int, ttl: int, ctx: Context) -> Event:
    """The stored Event: the envelope's fields, times, and the summary of its signals."""
    return read_event(raw, received_at=received_at, ttl=ttl, ctx=ctx)[0]


def read_event(
    raw: RawEvent, *, received_at: int, ttl: int, ctx: Context
) -> tuple[Event, list[Signal]]:
    """The stored Event and the signals it was summarised from."""
    published = raw.published_at or received_at
    try:
        event = Event(
            id=raw.id,
            account=raw.account,
            region=raw.region,
            source=raw.source,
            detail_type=raw.detail_type,
            detail=raw.detail,
            resources=raw.resources,
            published_at=published,
            updated_at=raw.updated_at or published,
            received_at=received_at,
            expired_at=received_at + ttl,
            family=family_of(raw.source, raw.detail_type),
        )
    except ValueError as err:  # pydantic's ValidationError is a ValueError
        raise ValidationError(_first_error(err)) from err
    signals = interpret(event, ctx)
    return summarise(event, signals), signals


def read_unit_events(
    unit: Any, *, received_at: int, ttl: int, ctx: Context, room: int | None = None
) -> list[tuple[Event, list[Signal]]]:
    """The events of one unit of a body, with their signals, as ingest stores them;
    ValidationError when the unit is not an event. With `room`, a unit holding more
    events than that (log lines, alerts, an SNS message's array) is TooManyEventsError
    before any of them is interpreted."""
    raws = read_unit(unit, ingest_function=ctx.ingest_function, own_region=ctx.own_region)
    if room is not None and len(raws) > room:
        raise TooManyEventsError(f"the body holds over {room} events")
    return [read_event(raw, received_at=received_at, ttl=ttl, ctx=ctx) for raw in raws]


def summarise(event: Event, signals: Sequence[Signal]) -> Event:
    """Copy the signals' title, worst severity and most urgent state onto the event."""
    title = signals[0].title
    if len(signals) > 1:
        title = f"{title} (+{len(signals) - 1} more)"
    states = {s.state for s in signals}
    state = next(
        (s for s in (SignalState.FIRING, SignalState.RESOLVED) if s in states), SignalState.INFO
    )
    return event.model_copy(
        update={
            "title": title,
            "severity": Severity.worst([s.severity for s in signals]),
            "state": state,
            "fingerprints": list(dict.fromkeys(s.fingerprint for s in signals)),
        }
    )


def ingest(
    body: Any,
    store: EventStore,
    clock: Clock,
    *,
    ttl: int,
    ctx: Context | None = None,
    on_new: OnNew | None = None,
    max_events: int | None = None,
) -> IngestResult:
    """Store every usable event in `body` (already decoded JSON) once.

    `on_new(event, signals, again)` runs for each event stored by this call, after the
    whole batch is stored (persist before notify), and, with `again`, for a duplicate
    first stored within RETRY_WINDOW_S: the attempt that stored it may have died (or
    lost its store) before alerting on it, and the sender's retry is its only way to
    Slack. So `on_new` must apply an event at most once (alerting does: each alert
    remembers its latest events).

    A bad event is reported with its index and error; the others are still stored.
    `ids` are the accepted events' ids in input order, returned only after the store
    has them. A store failure propagates: nothing is claimed as stored that was not.

    With `max_events`, a body holding more events than that is TooManyEventsError and
    nothing of it is stored: its units are counted before any is read, and the events
    of units that hold several as they are read.
    """
    ctx = ctx or Context()
    received_at = int(clock.now())
    units = list(split_units(body))
    if max_events is not None and len(units) > max_events:
        raise _too_many(f"the body holds {len(units)} events", max_events)
    result = IngestResult()
    events: list[Event] = []
    signals_of: list[list[Signal]] = []
    bug_shown = False
    if not units:
        result.reject(0, "the body holds no event")
    for index, unit in enumerate(units):
        room = None if max_events is None else max_events - len(events)
        with about(event_id=_declared_id(unit)):  # the id on its lines as soon as known
            try:
                read = read_unit_events(unit, received_at=received_at, ttl=ttl, ctx=ctx, room=room)
            except TooManyEventsError as err:
                raise _too_many(str(err), max_events) from err
            except ValidationError as err:
                result.reject(index, str(err))
                continue
            except Exception as err:  # a bug must cost one event, never the batch
                result.reject(index, f"could not read event: {type(err).__name__}: {err}")
                if not bug_shown:  # a bug's traceback once a body; the rest are counted
                    log.exception("event %d could not be read (a bug)", index)
                    bug_shown = True
                continue
        for event, signals in read:
            events.append(event)
            signals_of.append(signals)
    _log_rejections(result, len(units))
    created = store.create_many(events) if events else []
    for event, new in zip(events, created, strict=True):
        result.ids.append(event.id)
        if new:
            result.stored += 1
        else:
            result.duplicates += 1
    if events:
        # A body of one new event (each EventBridge invocation) is counted by the metrics
        # and logged at DEBUG: at INFO its line would be most of the log's volume and cost.
        one_new = len(events) == 1 and result.stored == 1 and not result.rejected_count
        log.log(
            logging.DEBUG if one_new else logging.INFO,
            "ingested %d events: %d stored, %d duplicates, %d rejected",
            len(events),
            result.stored,
            result.duplicates,
            result.rejected_count,
        )
    if on_new is not None:
        due = [
            (event, signals, not new)
            for event, signals, new in zip(events, signals_of, created, strict=True)
            if new or _retried(store, event, received_at)
        ]
        _alert_on(due, on_new)
    return result


def _too_many(what: str, max_events: int | None) -> TooManyEventsError:
    return TooManyEventsError(
        f"{what}, over the {max_events} taken in one body: send them in smaller bodies"
    )


def _log_rejections(result: IngestResult, units: int) -> None:
    """One warning per body, however many of its units were rejected: the count, and
    the first few index: error."""
    if not result.rejected_count:
        return
    first = "; ".join(f"{r.index}: {r.error}" for r in result.rejected[:LOGGED_REJECTIONS])
    more = result.rejected_count - min(len(result.rejected), LOGGED_REJECTIONS)
    log.warning(
        "rejected %d of %d events: %s%s",
        result.rejected_count,
        units,
        first,
        f"; and {more} more" if more else "",
    )


def _retried(store: EventStore, duplicate: Event, now: int) -> bool:
    """A duplicate first stored within RETRY_WINDOW_S: a sender's retry, which may be
    the only way its alert reaches Slack. An older one (a replay hours later) is not
    alerted on again: its alert may have resolved and been followed by a newer one."""
    try:
        stored = store.get(duplicate.id, now)
    except NotFoundError:  # expired meanwhile
        return False
    return now - stored.received_at <= RETRY_WINDOW_S


def _alert_on(due: Sequence[tuple[Event, list[Signal], bool]], on_new: OnNew) -> None:
    """`on_new` for each (event, signals, again). UnprocessedError (a store could not do
    it) is raised once every event has had its turn, so the sender retries; any other
    error costs only its own event's alert."""
    unfinished: list[str] = []
    for event, signals, again in due:
        with about(event_id=event.id):
            try:
                on_new(event, signals, again)
            except UnprocessedError as err:
                unfinished.append(event.id)
                log.error("alerting on event %s failed, it must be sent again: %s", event.id, err)
            except Exception:
                log.exception("alerting on event %s failed", event.id)
    if unfinished:
        raise UnprocessedError(
            f"{len(unfinished)} of {len(due)} events are stored but not yet alerted on "
            f"(first: {unfinished[0]}); send them again"
        )


def ingest_raw(
    body: bytes | str,
    store: EventStore,
    clock: Clock,
    *,
    ttl: int,
    ctx: Context | None = None,
    on_new: OnNew | None = None,
    max_events: int | None = None,
) -> IngestResult:
    """`ingest` over raw bytes; ValidationError when the body is not JSON at all."""
    return ingest(
        decode_body(body), store, clock, ttl=ttl, ctx=ctx, on_new=on_new, max_events=max_events
    )


def _declared_id(unit: Any) -> str | None:
    """The id a unit says it has, before its envelope is read (which may reject it)."""
    value = unit.get("id") if isinstance(unit, dict) else None
    return value if isinstance(value, str) else None


def _first_error(err: ValueError) -> str:
    errors = getattr(err, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "event"
        return f"{where}: {first.get('msg', 'invalid')}"
    return str(err)
