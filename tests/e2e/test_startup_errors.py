"""`python app.py serve` on settings it cannot run with: one line naming the setting, exit 2.

Each case is a real start in a fresh process; none may reach uvicorn or print a traceback.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.corpus import corpus_files
from tests.e2e.conftest import free_port, run_cli

READ_ONLY_DIR = Path("/sys/kernel")  # a folder no one may create files in, root included


def _refused(proc) -> str:
    """The one line a refused start prints, checked for the exit code and its shape."""
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("configuration error")]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "serving on" not in proc.stderr  # refused before anything listens
    return lines[0]


def _serve(data_dir: Path, **env: str):
    return run_cli("serve", data_dir=data_dir, env={"PORT": str(free_port()), **env})


def test_a_missing_data_dir_names_the_setting(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    line = _refused(_serve(not_a_dir / "var"))
    assert f"DATA_DIR={not_a_dir / 'var'}" in line
    assert "monitoring.sqlite3" in line


def test_a_read_only_data_dir_names_the_setting(tmp_path):
    assert READ_ONLY_DIR.is_dir() and not (READ_ONLY_DIR / "monitoring.sqlite3").exists()
    line = _refused(_serve(READ_ONLY_DIR))
    assert f"DATA_DIR={READ_ONLY_DIR}:" in line
    assert "unable to open database file" in line


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` made read-only for this process, root or not: immutable (chattr) for
    root, whom file modes do not stop; mode 555 for anyone else."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


def test_a_data_dir_that_became_read_only_is_refused_before_it_listens(tmp_path):
    """The database is there and readable, but nothing can be written beside it: a start
    that only read would serve, and fail every event."""
    stored = run_cli("ingest", str(corpus_files()[0]), data_dir=tmp_path)
    assert stored.returncode == 0, stored.stderr
    database = tmp_path / "monitoring.sqlite3"
    before = database.read_bytes()
    with read_only(tmp_path):
        line = _refused(_serve(tmp_path))
    assert line.startswith(f"configuration error: DATA_DIR={tmp_path}: ")
    assert database.read_bytes() == before


def test_an_unreachable_table_names_the_table_and_endpoint(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    line = _refused(
        _serve(
            tmp_path,
            STORE="dynamodb",
            AWS_DYNAMODB_TABLE="bot-events",
            AWS_ENDPOINT=closed,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",  # nosec B106: a dummy credential
        )
    )
    assert f"AWS_DYNAMODB_TABLE=bot-events (AWS_ENDPOINT={closed})" in line
    assert "does not answer" in line


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("routes: [\n  - channel: C0OPS\n   bad: indent\n", "not YAML"),
        ("routes:\n  - channel: C0OPS\n    mention: everyone\n", "line 3:"),
    ],
)
def test_a_bad_routes_file_names_the_setting(tmp_path, text, reason):
    routes = tmp_path / "routes.yml"
    routes.write_text(text)
    line = _refused(_serve(tmp_path, ROUTES_FILE=str(routes)))
    assert line.startswith(f"configuration error: ROUTES_FILE={routes}: ")
    assert line.count(str(routes)) == 1  # the path is said once
    assert reason in line


def test_a_missing_routes_file_names_the_setting(tmp_path):
    line = _refused(_serve(tmp_path, ROUTES_FILE=str(tmp_path / "nope.yml")))
    assert f"ROUTES_FILE={tmp_path / 'nope.yml'}: cannot read the routes file" in line


def test_bad_values_are_named_as_the_variables_people_set(tmp_path):
    line = _refused(_serve(tmp_path, STORE="postgres", HEARTBEAT_EVERY="0"))
    assert "STORE: Input should be 'sqlite' or 'dynamodb' (got 'postgres')" in line
    assert "HEARTBEAT_EVERY:" in line


def test_nothing_already_stored_is_touched_by_a_refused_start(tmp_path):
    stored = run_cli("ingest", str(corpus_files()[0]), data_dir=tmp_path)
    assert stored.returncode == 0, stored.stderr
    before = (tmp_path / "monitoring.sqlite3").read_bytes()
    _refused(_serve(tmp_path, ROUTES_FILE=str(tmp_path / "nope.yml")))
    assert (tmp_path / "monitoring.sqlite3").read_bytes() == before
    assert os.access(tmp_path / "monitoring.sqlite3", os.W_OK)
