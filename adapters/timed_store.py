"""A store whose every call is timed into the store-latency histogram: one generic
wrapper, put around each store by the composition root, whatever its adapter."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from bot import metrics
from bot.metrics import Metrics

T = TypeVar("T")

# Methods that are not store calls: `together` opens the scope other calls are made in.
UNTIMED = frozenset({"together"})


class TimedStore:
    """Forwards every attribute to `store`; its public methods' calls are timed, raised
    or not, as `operation` = the method's name. Each method is wrapped once, on its first
    use, and kept."""

    def __init__(
        self,
        store: object,
        name: str,
        into: Metrics,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._store = store
        self._name = name
        self._into = into
        self._timer = timer

    def __getattr__(self, attr: str) -> Any:
        found = getattr(self._store, attr)
        if attr.startswith("_") or attr in UNTIMED or not callable(found):
            return found

        @wraps(found)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = self._timer()
            try:
                return found(*args, **kwargs)
            finally:
                elapsed = self._timer() - started
                self._into.observe(metrics.STORE_SECONDS, elapsed, store=self._name, operation=attr)

        setattr(self, attr, timed)  # found there from now on, without this lookup
        return timed


def timed(store: T, name: str, into: Metrics) -> T:
    """`store` with its calls timed (typed as the store it wraps)."""
    return cast(T, TimedStore(store, name, into))
