"""A small cache whose entries live for a while, for what AWS changes rarely (an alarm's
tags, the log groups behind a metric) and the enrichments read for every alert."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    """Values kept `ttl_s` seconds on `clock`, at most `max_entries` of them: when full,
    the expired go first, then the oldest. Its entries are locked; a value is computed
    outside the lock, so two threads missing the same key may both compute it."""

    def __init__(
        self,
        ttl_s: float = 3600.0,
        *,
        max_entries: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value of `key`, or `compute()`'s (kept unless it raised)."""
        now = self._clock()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = compute()
        with self._lock:
            self._entries.pop(key, None)
            if len(self._entries) >= self._max_entries:
                self._evict(now)
            self._entries[key] = (now + self._ttl_s, value)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self, now: float) -> None:
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]
