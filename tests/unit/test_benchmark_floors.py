"""The floors the benchmarks set beside their goals: each is worked out from figures of
the same run, and says plainly whether the goal lies under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.alarms import alarm_event
from benchmarks.bursts import commit_floor
from benchmarks.cold_start import _under
from benchmarks.ingest_throughput import ceilings
from bot.config import Settings
from handlers.bootstrap import bootstrap


def test_ceilings_put_reading_beside_the_floors_own_time() -> None:
    # A floor of 1,000 events/s takes 1,000 µs an event: reading 100 µs more leaves 0.91×.
    said = ceilings({1: 1000.0, 100: 10_000.0}, reading_us=100.0)
    assert "0.91× with 1 event a body (the floor takes 1000 µs an event; over the goal)" in said
    assert "0.50× with 100 events a body (the floor takes 100 µs an event; under the goal)" in (
        said
    )


def test_a_cold_start_floor_over_the_goal_says_so() -> None:
    assert "over the goal of 1.5×" in _under(1.77)
    assert "0.30× of the goal is left" in _under(1.2)


def test_the_commit_floor_writes_the_bursts_rows_one_commit_each(tmp_path: Path) -> None:
    services = bootstrap(Settings(_env_file=None, data_dir=tmp_path))
    for n in range(6):
        services.ingest(alarm_event(f"floor-{n}", f"Floor-{n % 2}", n))
    rate = commit_floor(tmp_path / "monitoring.sqlite3", 6)
    assert rate > 0
    assert not list(tmp_path.glob("floor.sqlite3*"))  # nothing left beside the store


def test_the_commit_floor_refuses_a_store_that_holds_other_events(tmp_path: Path) -> None:
    services = bootstrap(Settings(_env_file=None, data_dir=tmp_path))
    services.ingest(alarm_event("floor-0", "Floor-0", 0))
    with pytest.raises(AssertionError):
        commit_floor(tmp_path / "monitoring.sqlite3", 2)
