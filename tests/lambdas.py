"""Lambda modules as a cold start sees them, for tests of the handlers."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


@contextmanager
def cold_start() -> Iterator[None]:
    """Settings and services read anew from the environment (both are cached once per
    process, as in a warm Lambda), and the root logger that `setup_logging` replaces put
    back after."""
    from bot.config import get_settings
    from handlers.aws_lambda import wiring

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    get_settings.cache_clear()
    wiring.services.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()
        wiring.services.cache_clear()
        root.handlers, root.level = handlers, level


def load(name: str) -> ModuleType:
    """Import (or re-import) `handlers.aws_lambda.<name>` with the current caches clear."""
    from bot.config import get_settings
    from handlers.aws_lambda import wiring

    get_settings.cache_clear()
    wiring.services.cache_clear()
    return importlib.reload(importlib.import_module(f"handlers.aws_lambda.{name}"))
