"""Clients that send their body slowly, to hold the service's sockets open.

The rule (docs/configuration.md, REQUEST_READ_TIMEOUT): a request's whole body must
arrive within that time, or it is answered 408 `{"error": ...}`, on every route that
reads a body. Here the setting is 1 s. Each client trickles a byte every 0.2 s while the
deadline is still ahead (0.6 s), then stalls with its body incomplete, so only the
deadline can answer it. It stops sending before the answer can come: a byte that reaches
a socket the server has closed makes the kernel reset the connection, and the reset can
take the unread answer with it.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.abuse.conftest import AGENT_ID, API_TOKEN, INGEST_TOKEN, abuse_settings
from tests.e2e.conftest import RunningService
from tests.slack.conftest import fake_slack_server  # noqa: F401
from tests.slack.fake_slack import FakeSlack

READ_TIMEOUT_S = 1
TRICKLE_EVERY_S = 0.2
TRICKLE_FOR_S = 0.6  # well before the deadline; then the client stalls
BODY = json.dumps({"status": "x" * 190}).encode()  # 204 bytes; 3 are ever sent

ROUTES = {
    "/ingest": ("POST", "/ingest", INGEST_TOKEN),
    "/slack/events": ("POST", "/slack/events", None),
    "POST /agents": ("POST", "/agents", API_TOKEN),
    "PATCH /agents/{id}": ("PATCH", f"/agents/{AGENT_ID}", API_TOKEN),
}


@pytest.fixture(scope="module")
def slow_read_service(
    tmp_path_factory: pytest.TempPathFactory,
    fake_slack_server: FakeSlack,  # noqa: F811
) -> Iterator[RunningService]:
    settings = abuse_settings(
        tmp_path_factory.mktemp("slow"), fake_slack_server, request_read_timeout=READ_TIMEOUT_S
    )
    assert settings.request_read_timeout == READ_TIMEOUT_S
    with RunningService(settings) as svc:
        yield svc


def trickle(port: int, method: str, path: str, token: str | None) -> tuple[int, Any, float]:
    """Send the headers, then BODY a byte at a time for TRICKLE_FOR_S, then wait for the
    answer; the status, the answer's JSON, and the seconds from the headers to it."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        started = time.monotonic()
        for byte in BODY[: round(TRICKLE_FOR_S / TRICKLE_EVERY_S)]:
            answered, _, _ = select.select([sock], [], [], TRICKLE_EVERY_S)
            assert not answered, "answered before the deadline"
            sock.sendall(bytes([byte]))
        received = b""
        while data := sock.recv(65536):
            received += data
        elapsed = time.monotonic() - started
    head_part, _, body_part = received.partition(b"\r\n\r\n")
    status = int(head_part.split()[1])
    return status, json.loads(body_part), elapsed


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_body_still_arriving_after_the_read_timeout_is_408(
    slow_read_service: RunningService, figures: Any, route: str
) -> None:
    method, path, token = ROUTES[route]
    status, answer, elapsed = trickle(slow_read_service.port, method, path, token)
    assert status == 408, answer
    assert "did not arrive within 1 s" in answer["error"]
    figures.add(
        "abuse",
        f"slow client on {route}",
        f"408 after {elapsed:.1f} s (REQUEST_READ_TIMEOUT {READ_TIMEOUT_S} s; a byte every "
        f"{TRICKLE_EVERY_S} s for {TRICKLE_FOR_S} s, then a stall)",
    )


def test_a_body_within_the_read_timeout_is_read(slow_read_service: RunningService) -> None:
    """The deadline is on the whole body, not on each byte: a body that arrives in time
    in several pieces is read as usual (here: refused for its content, not its pace)."""
    with socket.create_connection(("127.0.0.1", slow_read_service.port), timeout=30) as sock:
        head = (
            f"POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {INGEST_TOKEN}"
            f"\r\nContent-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(head.encode())
        for start in range(0, len(BODY), 50):
            sock.sendall(BODY[start : start + 50])
            time.sleep(0.05)
        received = b""
        while data := sock.recv(65536):
            received += data
    assert received.startswith(b"HTTP/1.1 400"), received[:200]
    assert b"unrecognised event shape" in received
