"""The fuzz suite draws the same examples on every run, whatever else pytest runs with it.

`derandomize=True` (see `fuzz_settings`) fixes Hypothesis' seed, but Hypothesis also
draws, about one time in twenty, "local constants": literals it reads from the source of
every project module (not tests) that happens to be in `sys.modules` when an example is
drawn. That pool grows as the code under test imports lazily and as other suites import
more of the project, and changes whenever anyone edits a literal in bot/, blocks/ or
adapters/; so the draws, and the figures RELIABILITY.md quotes, differed between
`pytest tests/fuzz`, `make reliability` and `make test`, and from one commit to the next.
Here the pool is empty while a fuzz test runs: examples come from the strategies and the
seed alone (Hypothesis' own edge values, its global constants, are kept). Its cache of
constants allowed per kind of draw is emptied before and after, so that no entry built
from the local pool leaks in, and none built without it leaks out into other suites.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants


@pytest.fixture(autouse=True)
def no_local_constants(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Hypothesis draws no literal from the project's source during a fuzz test."""
    monkeypatch.setattr(providers, "_get_local_constants", Constants)
    providers.CONSTANTS_CACHE.cache.clear()
    yield
    providers.CONSTANTS_CACHE.cache.clear()
