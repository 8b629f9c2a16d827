"""The dead man's switch, from outside: `python app.py serve` GETs HEARTBEAT_URL while it
lives; killed with SIGKILL, the pings stop (which is what the URL's monitor pages on);
started again, they come back. Its log lines are JSON all along."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.conftest import free_port
from tests.slack.test_slack_e2e import wait_for

EVERY_S = 1


class Pings:
    """A monitor's check-in URL: it counts the GETs it is sent."""

    def __init__(self) -> None:
        self.times: list[float] = []
        pings = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                pings.times.append(time.monotonic())
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ping/bot"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self) -> int:
        return len(self.times)


@pytest.fixture
def pings() -> Iterator[Pings]:
    monitor = Pings()
    yield monitor
    monitor.server.shutdown()
    monitor.server.server_close()


def test_killed_service_stops_pinging_and_a_restart_resumes(serve, pings, figures):
    env = {
        "HEARTBEAT_URL": pings.url,
        "HEARTBEAT_EVERY": f"{EVERY_S}s",
        "PORT": str(free_port()),
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "SLACK_BOT_TOKEN": "",
        "SLACK_SIGNING_SECRET": "",
        "SLACK_APP_TOKEN": "",
    }
    served = serve(env)
    wait_for(lambda: pings.count() >= 3, "three heartbeats", timeout=15)
    served.kill()
    at_kill = pings.count()
    # A monitor waits a few intervals before paging; so do we, and nothing may come.
    time.sleep(4 * EVERY_S)
    assert pings.count() == at_kill, "a killed service went on beating"

    lines = [json.loads(line) for line in served.log().splitlines() if line.strip()]
    assert lines and all(line["service"] == "aws-monitoring-bot" for line in lines)
    assert any("serving on" in line["message"] for line in lines)

    env["PORT"] = str(free_port())
    serve(env)
    wait_for(lambda: pings.count() >= at_kill + 2, "heartbeats after the restart", timeout=15)
    figures.add(
        "operating",
        "dead man's switch (HEARTBEAT_EVERY=1s, SIGKILL)",
        f"{at_kill} pings before the kill, 0 in the {4 * EVERY_S} s after it, "
        f"{pings.count() - at_kill} after the restart",
    )
