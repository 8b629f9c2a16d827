"""The driven side: implementations of the core's ports.

The helpers below are the store rules that are not about paging (that is bot/paging.py)
and that every store adapter (memory, SQLite, DynamoDB) must apply identically; keeping
them here means the stores differ only in how they read and write.
"""

from __future__ import annotations

from typing import TypeVar

import pydantic

from bot.errors import (
    AlreadyAppliedError,
    ConflictError,
    NotFoundError,
    StaleVersionError,
    ValidationError,
)
from bot.models import Agent, Alert, State, UpdateAgentDTO

Versioned = TypeVar("Versioned", Alert, State)


def is_live(expired_at: int, now: int) -> bool:
    """Whether an event is still visible at `now`.

    Expiry is checked at read time because TTL deletion is late (DynamoDB) or absent
    (SQLite, moto). `expired_at` 0 is the model's default, "no expiry set", which DynamoDB's
    TTL also never deletes.
    """
    return expired_at == 0 or expired_at > now


def apply_agent_update(agent: Agent, dto: UpdateAgentDTO) -> Agent:
    """The agent with the fields set in `dto` applied, validated as a whole."""
    try:
        return Agent.model_validate({**agent.model_dump(), **dto.model_dump(exclude_unset=True)})
    except pydantic.ValidationError as err:  # e.g. region explicitly set to null
        raise ValidationError(f"invalid agent update: {err.errors()[0]['msg']}") from err


def next_version(record: Versioned, *, deep: bool = False) -> Versioned:
    """An alert or a state as a conditional write stores it: one version past the one it
    was read at. Records are never changed in place, so a store that serializes what it
    writes shares the lists (a storm's members, a long history) rather than copying them;
    `deep` is for a store that keeps the object itself."""
    return record.model_copy(update={"version": record.version + 1}, deep=deep)


def not_found(kind: str, key: str) -> NotFoundError:
    return NotFoundError(f"{kind} {key!r} not found")


def already_exists(kind: str, key: str) -> ConflictError:
    return ConflictError(f"{kind} {key!r} already exists")


def already_applied(alert_id: str, applied: str) -> AlreadyAppliedError:
    return AlreadyAppliedError(f"{applied!r} was applied to alert {alert_id!r} already")


def stale(record: Alert | State) -> StaleVersionError:
    """Another writer got there first: the conditional write of `record` matched nothing."""
    kind, key = ("alert", record.id) if isinstance(record, Alert) else ("state", record.key)
    return StaleVersionError(f"{kind} {key!r} changed since version {record.version}")
