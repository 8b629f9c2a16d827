"""The organisation's accounts, by name and tags: a cache in the delivery store's state
that a scheduled job fills from AWS Organizations, and that messages and routes read.

Ingest never calls Organizations: it reads the cache, and at most once per CACHE_TTL_S
per process (AccountBook), so that an event costs no store read of its own for it.

A thousand accounts with their tags outgrow one state record (DynamoDB holds 400 KB an
item), so the accounts are saved in parts of at most PART_BYTES, then an index names
them. Parts are written in the slot the index does not name, and carry their refresh's
own run id, so that a reader never mixes two refreshes: a part of another run leaves the
cache it had. The index is written only if no other refresh wrote it since this one
began; of two refreshes at once (the hourly one and one run by hand), one names its
parts and the other gives up.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from bot.errors import AccessDeniedError, MonitoringException, StaleVersionError
from bot.models import AccountInfo, State
from bot.optimistic import update_state
from bot.ports import AccountDirectory, Clock, StateStore

log = logging.getLogger(__name__)

INDEX_KEY = "accounts"
PART_BYTES = 200_000  # half an item: the state's own fields and JSON quoting stay inside
MAX_PARTS = 64  # 12 MB: a thousand accounts with every tag at its longest
CACHE_TTL_S = 300  # how long a process keeps the accounts it read
_ATTEMPTS = 3


def part_key(slot: int, index: int) -> str:
    return f"{INDEX_KEY}:{slot}:{index}"


def _parts(accounts: list[AccountInfo]) -> list[list[dict[str, Any]]]:
    """The accounts, in order, cut into lists whose JSON is at most PART_BYTES each."""
    parts: list[list[dict[str, Any]]] = [[]]
    size = 0
    for account in accounts:
        item = account.model_dump()
        item_size = len(json.dumps(item, ensure_ascii=False).encode()) + 1
        if parts[-1] and size + item_size > PART_BYTES:
            parts.append([])
            size = 0
        parts[-1].append(item)
        size += item_size
    return parts


def _write(states: StateStore, key: str, data: dict[str, Any]) -> None:
    update_state(
        states,
        key,
        lambda state: (state.model_copy(update={"data": data}), True),
        attempts=_ATTEMPTS,
    )


def save_accounts(states: StateStore, accounts: list[AccountInfo], now: int) -> int:
    """Replace the cache with `accounts`; how many were saved (past MAX_PARTS, the rest
    are left out, with a warning)."""
    index = states.get_state(INDEX_KEY) or State(key=INDEX_KEY)
    generation = int(index.data.get("generation", 0)) + 1
    slot = generation % 2
    run = uuid.uuid4().hex
    parts = _parts(accounts)
    if len(parts) > MAX_PARTS:
        kept = sum(len(part) for part in parts[:MAX_PARTS])
        log.warning("%d accounts fill over %d parts: %d are kept", len(accounts), MAX_PARTS, kept)
        parts = parts[:MAX_PARTS]
    for i, part in enumerate(parts):
        _write(states, part_key(slot, i), {"generation": generation, "run": run, "accounts": part})
    saved = sum(len(part) for part in parts)
    summary = {"generation": generation, "run": run, "slot": slot, "parts": len(parts)}
    try:  # only over the index this refresh began from
        states.put_state(
            index.model_copy(update={"data": {**summary, "count": saved, "refreshed_at": now}})
        )
    except StaleVersionError:
        log.info("another refresh of the accounts saved them first: this one's are dropped")
    return saved


def load_accounts(states: StateStore) -> dict[str, AccountInfo] | None:
    """Account id → its info, as last saved ({} when never); None when a refresh was
    under way and the parts read are not all of one generation."""
    index = states.get_state(INDEX_KEY)
    if index is None:
        return {}
    generation, slot = index.data.get("generation"), int(index.data.get("slot", 0))
    run = index.data.get("run")
    found: dict[str, AccountInfo] = {}
    for i in range(int(index.data.get("parts", 0))):
        part: State | None = states.get_state(part_key(slot, i))
        if part is None or (part.data.get("generation"), part.data.get("run")) != (generation, run):
            return None
        for item in part.data.get("accounts", []):
            account = AccountInfo.model_validate(item)
            found[account.id] = account
    return found


def refresh_accounts(directory: AccountDirectory, states: StateStore, now: float) -> int | None:
    """Read the organisation's accounts into the cache: how many, or None (one warning)
    when the organisation may not be read, the cache then left as it is."""
    try:
        accounts = directory.accounts()
    except AccessDeniedError as err:
        log.warning(
            "the organisation's accounts may not be read (%s): account names and tags stay "
            "as cached; set ORGANIZATIONS_ROLE_ARN to a role of the management account",
            err,
        )
        return None
    except MonitoringException as err:  # throttled, unreachable: the next hour tries again
        log.warning("the organisation's accounts could not be read (%s): kept as cached", err)
        return None
    return save_accounts(states, accounts, int(now))


class AccountBook:
    """The cached accounts, as this process last read them: read again from the store
    once CACHE_TTL_S has passed, so that a busy ingest reads them once per period, not
    once per event. A read that fails keeps the accounts it had until the next period."""

    def __init__(self, states: StateStore, clock: Clock, ttl_s: float = CACHE_TTL_S) -> None:
        self._states, self._clock, self._ttl_s = states, clock, ttl_s
        self._accounts: Mapping[str, AccountInfo] = {}
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def get(self, account: str) -> AccountInfo | None:
        return self._current().get(account)

    def names(self) -> dict[str, str]:
        return {account.id: account.name for account in self._current().values() if account.name}

    def _current(self) -> Mapping[str, AccountInfo]:
        now = self._clock.now()
        with self._lock:
            if self._read_at is None or now - self._read_at >= self._ttl_s:
                self._read_at = now
                loaded = self._read()
                if loaded is not None:
                    self._accounts = loaded
            return self._accounts

    def _read(self) -> dict[str, AccountInfo] | None:
        try:
            return load_accounts(self._states)
        except Exception as err:  # a name must never fail an ingest, whatever the cache holds
            log.warning("the cached accounts could not be read: %s", err)
            return None
