"""The list_events use case: a page of stored events, as the REST API and /events ask.

With no dates given, GET /events and /events list the last 7 days. Paging, cursors and
their checks are the store's (`bot.paging`); a tampered or foreign cursor is an
InvalidCursorError (400).
"""

from __future__ import annotations

from bot.models import Event, EventQueryResult, ListEventsDTO
from bot.ports import EventStore

DEFAULT_WINDOW_S = 7 * 86400


def list_events(events: EventStore, dto: ListEventsDTO, now: int) -> EventQueryResult:
    if dto.start_date is None and dto.end_date is None:
        dto = dto.model_copy(update={"start_date": max(now - DEFAULT_WINDOW_S, 0)})
    return events.list(dto, now)


def get_event(events: EventStore, event_id: str, now: int) -> Event:
    """One event by id (NotFoundError when absent or expired)."""
    return events.get(event_id, now)
