"""`python app.py serve` as a real process (its own interpreter, SQLite file and port), for
the suites that must stop it as the world does: SIGTERM from a process manager, SIGKILL
from the kernel."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.conftest import ROOT


class Served:
    """`python app.py serve` in a process of its own; its log goes to a file (a pipe
    nobody reads could fill and stall it)."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.port = int(env["PORT"])
        # One log per start: a restart in the same directory keeps the first one's log.
        self.log_path = next(
            path
            for n in range(1, 100)
            if not (path := tmp_path / ("serve.log" if n == 1 else f"serve-{n}.log")).exists()
        )
        full_env = {**os.environ, "DATA_DIR": str(tmp_path / "var"), "STORE": "sqlite", **env}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "app.py"), "serve"],
                cwd=ROOT,
                env=full_env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)

    def log(self) -> str:
        return self.log_path.read_text()

    def healthy(self) -> bool:
        assert self.process.poll() is None, f"serve exited early:\n{self.log()}"
        try:
            return self.http.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or closed."""
        self.http.close()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM, as a process manager stops it; the exit code."""
        self.http.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
