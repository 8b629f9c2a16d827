"""The real clock, for the core's Clock port."""

from __future__ import annotations

import time


class SystemClock:
    """Seconds since the epoch from the system's wall clock."""

    def now(self) -> float:
        return time.time()
