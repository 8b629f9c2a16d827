"""`make run` installs what serving needs; the test tools come with `make test`, `lint`
and `bench` only (read from `make -n`, which runs nothing)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def planned(target: str, venv: Path, *settings: str) -> list[str]:
    """The commands `make TARGET [NAME=value ...]` would run on a machine with no
    virtualenv yet."""
    # Run from `make test`, the outer make's flags would add "Entering directory" lines.
    outer = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    env = {k: v for k, v in os.environ.items() if k not in outer}
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", target, f"VENV={venv}", *settings],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return done.stdout.splitlines()


def installs(commands: list[str]) -> list[str]:
    return [c for c in commands if "pip install" in c and "--upgrade pip" not in c]


def test_run_installs_the_package_without_the_dev_extra(tmp_path):
    commands = planned("run", tmp_path / "venv")
    assert installs(commands) == [f"{tmp_path / 'venv'}/bin/pip install --quiet -e ."]
    assert not any("[dev]" in c for c in commands)
    assert commands[-1].endswith("python app.py serve")


@pytest.mark.parametrize("target", ["test", "lint", "bench"])
def test_test_lint_and_bench_install_the_dev_extra(target, tmp_path):
    assert any("-e '.[dev]'" in c for c in installs(planned(target, tmp_path / "venv")))


def test_the_suite_runs_on_a_worker_per_core_unless_told_otherwise(tmp_path):
    pytest_bin = f"{tmp_path / 'venv'}/bin/pytest"
    workers = planned("test", tmp_path / "venv")[-1].split()
    assert workers == [pytest_bin, "-n", "auto", "--maxprocesses", "4", "--dist", "loadfile"]
    more = planned("test", tmp_path / "venv", "TEST_WORKERS=8")[-1].split()
    assert more[more.index("--maxprocesses") + 1] == "8"
    assert planned("test", tmp_path / "venv", "TEST_WORKERS=0")[-1].split() == [pytest_bin]
