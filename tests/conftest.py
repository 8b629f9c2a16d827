"""Session-wide fixtures: `python app.py serve` as a process, and the reliability figures
the suites record, printed at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.figures import FIGURES, Figures
from tests.served import Served
from tests.slack.test_slack_e2e import wait_for

pytest_plugins = ["tests.fakes_aws.fixtures"]  # the AWS fakes' fixtures, for every suite


@pytest.fixture
def figures() -> Figures:
    """Where a suite records what it tried and what held (see tests/figures.py)."""
    return FIGURES


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker, hand its figures to the controller, which prints them."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["figures"] = FIGURES.lines


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """A worker finished (pytest-xdist): its figures join the controller's."""
    for suite, case, result in getattr(node, "workeroutput", {}).get("figures", []):
        FIGURES.add(suite, case, result)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES.lines:
        terminalreporter.section("reliability figures")
        for line in FIGURES.render():
            terminalreporter.write_line(line)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    """Start `python app.py serve` with an environment; each waits for /healthz, and any
    still running at the end is killed."""
    started: list[Served] = []

    def start(env: dict[str, str]) -> Served:
        served = Served(tmp_path, env)
        started.append(served)
        wait_for(served.healthy, "serve to answer /healthz", timeout=15)
        return served

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(timeout=10)
