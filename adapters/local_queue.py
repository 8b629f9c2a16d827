"""The enrich queue of the long-running service: alerts waiting for their enrichment,
held in memory and taken by the scheduler's enrich job once due. A restart forgets
them; those alerts stay as posted."""

from __future__ import annotations

import heapq
import logging
import threading

log = logging.getLogger(__name__)

MAX_WAITING = 10_000  # beyond this a burst's alerts go unenriched, never the memory


class LocalEnrichQueue:
    def __init__(self, limit: int = MAX_WAITING) -> None:
        self._waiting: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._limit = limit

    def enqueue(self, alert_id: str, not_before: int) -> bool:
        with self._lock:
            if len(self._waiting) >= self._limit:
                log.warning("enrich queue full (%d waiting): alert %s goes unenriched",
                            self._limit, alert_id)  # fmt: skip
                return False
            heapq.heappush(self._waiting, (not_before, alert_id))
            return True

    def take_due(self, now: int, limit: int) -> list[str]:
        """Up to `limit` alerts due by `now`, soonest first, each once."""
        taken: dict[str, None] = {}
        with self._lock:
            while self._waiting and self._waiting[0][0] <= now and len(taken) < limit:
                taken[heapq.heappop(self._waiting)[1]] = None
        return list(taken)

    def __len__(self) -> int:
        return len(self._waiting)
