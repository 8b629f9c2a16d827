"""An ASGI app served by uvicorn on a free loopback port, in a thread of its own: how the
project's fakes (Slack's Web API, CloudWatch, Logs) stand where clients can reach them."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

STARTS_WITHIN_S = 10.0


class LoopbackServer:
    """`app` under uvicorn on `host`; `config` adds to uvicorn.Config's quiet defaults."""

    def __init__(self, app: Any, *, name: str, host: str = "127.0.0.1", **config: Any) -> None:
        self.host = host
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((host, 0))
        self.port: int = sock.getsockname()[1]
        quiet = {"lifespan": "off", "log_config": None, "access_log": False}
        self.server = uvicorn.Server(uvicorn.Config(app, **{**quiet, **config}))
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name=name, daemon=True
        )

    def start(self) -> LoopbackServer:
        """Returns once the server accepts requests; RuntimeError if it does not start."""
        self._thread.start()
        deadline = time.monotonic() + STARTS_WITHIN_S
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{self._thread.name} did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
