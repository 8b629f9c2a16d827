"""The one optimistic-update loop: read, change, write if the version still matches.

Every record several writers share (an alert, a storm's summary, a rate budget, a
channel's storm state) is written with a conditional write on its version. When another
writer got there first, the record is read again and the change applied again to what
that writer left, until a write wins or the attempts run out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.errors import StaleVersionError
from bot.models import State
from bot.ports import StateStore

Record = TypeVar("Record")
Result = TypeVar("Result")


def update_with_retry(
    record: Record,
    change: Callable[[Record], tuple[Record, Result]],
    *,
    write: Callable[[Record], Record],
    reread: Callable[[], Record],
    attempts: int,
    what: str,
) -> tuple[Record, Result]:
    """Apply `change` (the new record, and what it means to the caller) and write it.

    A change that leaves the record as it was is not written, so that readers who find
    nothing to do never contend with writers. StaleVersionError (naming `what`) when
    every attempt lost to another writer.
    """
    for _ in range(attempts):
        changed, result = change(record)
        # A change that means something to the caller (work reserved, a budget paid) is
        # one; comparing whole records is for the changes that may leave them as they were.
        if changed is record or (not result and changed == record):
            return record, result
        try:
            return write(changed), result
        except StaleVersionError:
            record = reread()
    raise StaleVersionError(f"{what} kept changing under us")


def update_state(
    store: StateStore,
    key: str,
    change: Callable[[State], tuple[State, Result]],
    *,
    attempts: int,
) -> tuple[State, Result]:
    """`update_with_retry` for the shared state under `key`, which starts out empty."""

    def read() -> State:
        return store.get_state(key) or State(key=key)

    return update_with_retry(
        read(), change, write=store.put_state, reread=read, attempts=attempts, what=key
    )
