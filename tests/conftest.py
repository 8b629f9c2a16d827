"""Session-wide hooks: the reliability figures the suites record, printed at the end."""

from __future__ import annotations

import pytest

from tests.figures import FIGURES, Figures


@pytest.fixture
def figures() -> Figures:
    """Where a suite records what it tried and what held (see tests/figures.py)."""
    return FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES.lines:
        terminalreporter.section("reliability figures")
        for line in FIGURES.render():
            terminalreporter.write_line(line)
