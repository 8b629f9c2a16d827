"""Test doubles shared by the suites: a clock that only moves when told to."""

from __future__ import annotations


class FakeClock:
    """A Clock for tests: time stands still until `advance` is called."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
