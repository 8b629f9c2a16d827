"""Which event and which alert a log line is about, for every line written meanwhile.

The core binds ids as it works (`about(event_id=..., alert_id=...)`); `ContextFilter`, set
on the log handler by the composition roots, copies them onto each record, so a JSON line
from any module (an adapter's Slack error, a store retry) says what it concerns without
every call passing them. Context variables keep threads and tasks apart."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_EVENT: ContextVar[str | None] = ContextVar("event_id", default=None)
_ALERT: ContextVar[str | None] = ContextVar("alert_id", default=None)
FIELDS = {"event_id": _EVENT, "alert_id": _ALERT}


@contextmanager
def about(*, event_id: str | None = None, alert_id: str | None = None) -> Iterator[None]:
    """Bind the given ids for the block; ids not given keep their outer value."""
    tokens = [
        (var, var.set(value))
        for var, value in ((_EVENT, event_id), (_ALERT, alert_id))
        if value is not None
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current() -> dict[str, str]:
    """The ids bound now (for tests and for handing work to another thread)."""
    return {name: value for name, var in FIELDS.items() if (value := var.get()) is not None}


class ContextFilter(logging.Filter):
    """Adds `event_id` and `alert_id` to a record, unless its `extra` already set them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in FIELDS.items():
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        return True
