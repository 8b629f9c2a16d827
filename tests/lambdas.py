"""Lambda modules as a cold start sees them, for tests of the handlers."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from tests.fakes import SteeredClock

# The clock of the functions' services: the system's until a test steers it, e.g.
# `lambdas.clock.use(FakeClock(time.time() + 15))` to be past a window.
clock = SteeredClock()


@contextmanager
def cold_start() -> Iterator[None]:
    """Settings and services read anew from the environment (both are cached once per
    process, as in a warm Lambda), on `clock`; and the root logger that `setup_logging`
    replaces put back after."""
    import handlers.bootstrap as root_of
    from bot.config import get_settings
    from handlers.aws_lambda import wiring

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    system_clock = root_of.SystemClock
    root_of.SystemClock = lambda: clock  # type: ignore[assignment,misc]
    clock.use(None)
    get_settings.cache_clear()
    wiring.services.cache_clear()
    wiring.metrics.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()
        wiring.services.cache_clear()
        wiring.metrics.cache_clear()
        root_of.SystemClock = system_clock  # type: ignore[misc]
        root.handlers, root.level = handlers, level


def load(name: str) -> ModuleType:
    """Import (or re-import) `handlers.aws_lambda.<name>` with the current caches clear."""
    from bot.config import get_settings
    from handlers.aws_lambda import wiring

    get_settings.cache_clear()
    wiring.services.cache_clear()
    wiring.metrics.cache_clear()
    return importlib.reload(importlib.import_module(f"handlers.aws_lambda.{name}"))


def services():
    """The services the functions share while warm."""
    from handlers.aws_lambda import wiring

    return wiring.services()
