"""Bodies over the limit, however their size is (mis)declared.

The rule (docs/commands.md): POST /ingest answers 413 when the body is over 256 KB. The
limit must hold when the client tells the truth, sends chunks without a Content-Length,
or lies in its Content-Length; and a body that would only be big once decompressed is
not decompressed. REST bodies have no documented limit: they are held to "bad input gets
a clear 4xx", nothing stored, and to the same 256 KB."""

from __future__ import annotations

import gzip
import json
import socket
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

import pytest

from bot.envelopes import MAX_EVENT_BYTES
from tests.abuse.conftest import AGENT_ID, API_TOKEN, INGEST_TOKEN, Tally, Target
from tests.corpus import load

OVER = MAX_EVENT_BYTES + 1
INGEST = "/ingest over 256 KB"
REST = "REST body over 256 KB"
DEEP = "REST body nested 1,000 deep"


def big_event(size: int) -> bytes:
    """A real event padded in its detail to exactly `size` bytes of JSON."""
    event = load("health_ec2_issue_minimal.json")
    event["id"] = f"oversized-{size}"
    event["detail"]["pad"] = ""
    bare = len(json.dumps(event).encode())
    event["detail"]["pad"] = "x" * (size - bare)
    body = json.dumps(event).encode()
    assert len(body) == size
    return body


def chunks(body: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    """The body as a stream: httpx sends it chunked, with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def raw_exchange(port: int, head: str, body: bytes) -> list[int]:
    """Send one hand-written HTTP/1.1 request (headers as given, lies included) and return
    the status of every response the server sends before it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with suppress(OSError):  # the server may answer and close before reading it all
            sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        received = b""
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            received += data
    return [int(line.split()[1]) for line in received.split(b"\r\n") if line.startswith(b"HTTP/")]


def _head(path: str, token: str, extra: str) -> str:
    return (
        f"POST {path} HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer {token}\n"
        f"Content-Type: application/json\nConnection: close\n{extra}"
    )


INGEST_CASES = ["honest length", "chunked", "length claims 10 MB", "length claims less"]


@pytest.mark.parametrize("case", INGEST_CASES)
def test_ingest_over_256_kb_is_refused_however_its_size_is_declared(
    shared_target: Target, unchanged: Any, tally: Tally, case: str
) -> None:
    """The limit is on the bytes that arrive, not on what the client says: a lie never
    smuggles more than 256 KB into one body, nor gets anything stored."""
    tally.trying(INGEST, "refused (413, or 400 for the cut body), nothing stored")
    body = big_event(OVER)
    port = shared_target.svc.port
    with unchanged(shared_target):
        if case == "honest length":
            statuses = [shared_target.ingest.post("/ingest", content=body).status_code]
        elif case == "chunked":
            statuses = [shared_target.ingest.post("/ingest", content=chunks(body)).status_code]
        elif case == "length claims 10 MB":  # refused on the declaration, body unread
            head = _head("/ingest", INGEST_TOKEN, "Content-Length: 10485760\n")
            statuses = raw_exchange(port, head, body[:1024])
        else:  # the server reads the declared 1 KB, a cut JSON; the rest is no request
            head = _head("/ingest", INGEST_TOKEN, "Content-Length: 1024\n")
            statuses = raw_exchange(port, head, body)
        expected = 400 if case == "length claims less" else 413
        assert statuses and statuses[0] == expected, statuses
        assert all(400 <= s < 500 for s in statuses), statuses
    tally.holding(INGEST)


def test_ingest_limit_is_exactly_256_kb(shared_target: Target, figures: Any) -> None:
    """One byte over is 413; a body of exactly 256 KB is read (and stored): the limit is
    where the documented rule puts it, not somewhere short of it."""
    assert shared_target.ingest.post("/ingest", content=big_event(OVER)).status_code == 413
    at_limit = shared_target.ingest.post("/ingest", content=big_event(MAX_EVENT_BYTES))
    assert at_limit.status_code == 202, at_limit.text
    figures.add("abuse", "/ingest limit", f"{MAX_EVENT_BYTES} B → 202, {OVER} B → 413")


def test_a_compressed_bomb_is_not_inflated(shared_target: Target, unchanged: Any) -> None:
    """Content-Encoding is not honoured on requests: 300 KB that gzip to under 1 KB arrive
    as the gzip bytes, which are not JSON: 400, nothing stored, nothing inflated."""
    bomb = gzip.compress(big_event(300 * 1024))
    assert len(bomb) < 2048
    with unchanged(shared_target):
        answer = shared_target.ingest.post(
            "/ingest", content=bomb, headers={"Content-Encoding": "gzip"}
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]


def test_a_small_length_beside_an_oversized_chunked_body_is_413(
    shared_target: Target, unchanged: Any, figures: Any
) -> None:
    """Content-Length and Transfer-Encoding together (the request-smuggling shape): the
    chunked framing wins (RFC 9112 §6.3), so the limit is held against the chunks, not
    against the 5 bytes the Content-Length claims."""
    body = big_event(OVER)
    chunked = b"".join(f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in chunks(body))
    head = _head("/ingest", INGEST_TOKEN, "Content-Length: 5\nTransfer-Encoding: chunked\n")
    with unchanged(shared_target):
        statuses = raw_exchange(shared_target.svc.port, head, chunked + b"0\r\n\r\n")
        assert statuses == [413], statuses
    figures.add("abuse", "/ingest CL 5 + chunked 256 KB+1", f"statuses {statuses}, nothing stored")


def _agent_body(size: int, agent_id: str) -> bytes:
    """A valid new agent whose status pads the JSON to `size` bytes."""
    agent = {"id": agent_id, "region": "us-east-1", "status": "", "deployed_at": 1}
    agent["status"] = "x" * (size - len(json.dumps(agent).encode()))
    return json.dumps(agent).encode()


REST_CASES = {
    "POST /agents": ("POST", "/agents"),
    "PATCH /agents/{id}": ("PATCH", f"/agents/{AGENT_ID}"),
    "POST /agents/{id}/deployments": ("POST", f"/agents/{AGENT_ID}/deployments"),
}


@pytest.mark.parametrize("stream", [False, True], ids=["honest length", "chunked"])
@pytest.mark.parametrize("route", list(REST_CASES))
def test_rest_bodies_over_256_kb_are_refused(
    shared_target: Target, unchanged: Any, tally: Tally, route: str, stream: bool
) -> None:
    """An authorised REST body over the ingest limit (an agent's status of 300 KB) is bad
    input: a 4xx with the error shape (400, or 413 as /ingest), and nothing is stored."""
    tally.trying(REST, "refused (400 or 413), nothing stored")
    method, path = REST_CASES[route]
    body = _agent_body(300 * 1024, str(210987654300 + stream))  # one new agent per case
    if route != "POST /agents":
        fields = json.loads(body)
        fields.pop("id")
        if "deployments" not in path:
            fields.pop("deployed_at")
        body = json.dumps(fields).encode()
    with unchanged(shared_target):
        answer = shared_target.api.request(
            method,
            path,
            content=chunks(body) if stream else body,
            headers={"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"},
        )
        assert answer.status_code in (400, 413), answer.text[:200]
        assert answer.json()["error"]
    tally.holding(REST)


@pytest.mark.parametrize("route", list(REST_CASES))
def test_rest_bodies_nested_1000_deep_are_400(
    shared_target: Target, unchanged: Any, tally: Tally, route: str
) -> None:
    """A small body nested past the JSON parser's depth (RecursionError) is bad input, a
    400 with the error shape, never a 500; nothing is stored."""
    tally.trying(DEEP, "answered 400, nothing stored")
    method, path = REST_CASES[route]
    for body in ("[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000):
        with unchanged(shared_target):
            answer = shared_target.api.request(
                method,
                path,
                content=body,
                headers={
                    "Authorization": f"Bearer {API_TOKEN}",
                    "Content-Type": "application/json",
                },
            )
            assert answer.status_code == 400, answer.text[:200]
            assert "nested too deeply" in answer.json()["error"]
    tally.holding(DEEP)
