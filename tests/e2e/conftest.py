"""The running service and CLI: real processes, real SQLite files, real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bot.config import Settings
from bot.services import Services
from handlers.bootstrap import bootstrap
from handlers.http import create_app
from handlers.slack import build_app
from tests.fakes import SteeredClock

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args: str, data_dir: Path, env: dict[str, str] | None = None, **kw):
    """`python app.py ARGS` in a fresh process with its own DATA_DIR."""
    full_env = {**os.environ, "DATA_DIR": str(data_dir), "STORE": "sqlite", **(env or {})}
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


class RunningService:
    """The HTTP app under uvicorn in a background thread, on a free loopback port."""

    def __init__(self, settings: Settings, services: Services | None = None) -> None:
        self.clock = SteeredClock()  # the system's, until a test steers it
        self.services = services or bootstrap(settings, clock=self.clock)
        self.port = free_port()
        slack = build_app(self.services) if settings.slack_signing_secret else None
        config = uvicorn.Config(
            create_app(self.services, slack), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RunningService:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def service_factory(tmp_path: Path) -> Iterator:
    """Start a service with extra settings: `service_factory(ingest_token="t")`."""
    running: list[RunningService] = []

    def start(*, ports: dict[str, Any] | None = None, **overrides: object) -> RunningService:
        """`ports`: adapters to use in place of those the settings name (a clock, a chat)."""
        settings = Settings(_env_file=None, data_dir=tmp_path / "var", **overrides)
        clock = SteeredClock()  # the system's, until a test steers it
        services = bootstrap(settings, **{"clock": clock, **(ports or {})})
        svc = RunningService(settings, services)
        svc.clock = clock
        svc.__enter__()
        running.append(svc)
        return svc

    yield start
    for svc in running:
        svc.__exit__(None, None, None)


@pytest.fixture
def client_for():
    clients: list[httpx.Client] = []

    def make(svc: RunningService) -> httpx.Client:
        client = httpx.Client(base_url=svc.url, timeout=30)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
