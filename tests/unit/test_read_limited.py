"""read_limited: the deadline covers the whole body, however it trickles in.

A client that keeps sending a byte just often enough to beat a per-read timeout must
still be answered 408 once the whole body is late (docs/configuration.md,
REQUEST_READ_TIMEOUT); a body over the limit is cut off without reading the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from starlette.requests import Request

from handlers.rest import ApiError, read_limited


def request_streaming(chunks: AsyncIterator[bytes], content_length: int | None = None) -> Request:
    headers = [] if content_length is None else [(b"content-length", str(content_length).encode())]
    scope = {"type": "http", "method": "POST", "path": "/ingest", "headers": headers}
    request = Request(scope)

    async def stream() -> AsyncIterator[bytes]:
        async for chunk in chunks:
            yield chunk

    request.stream = stream  # type: ignore[method-assign]
    return request


async def never_ending_trickle(sent: list[bytes]) -> AsyncIterator[bytes]:
    """A byte every 10 ms, forever: no single read ever waits long."""
    while True:
        await asyncio.sleep(0.01)
        sent.append(b"x")
        yield b"x"


def test_a_body_that_never_ends_is_refused_408_although_every_read_is_quick() -> None:
    sent: list[bytes] = []
    request = request_streaming(never_ending_trickle(sent))
    with pytest.raises(ApiError) as refused:
        asyncio.run(read_limited(request, limit=1_000_000, timeout=0.2))
    assert refused.value.status == 408
    assert "did not arrive within 0.2 s" in str(refused.value)
    assert len(sent) >= 2  # it was trickling when the deadline came, not stalled


async def chunks_of(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def test_a_body_that_arrives_in_time_in_pieces_is_joined() -> None:
    request = request_streaming(chunks_of(b'{"a"', b": 1", b"}"))
    assert asyncio.run(read_limited(request, limit=100, timeout=5)) == b'{"a": 1}'


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    read: list[bytes] = []
    request = request_streaming(never_ending_trickle(read), content_length=101)
    assert asyncio.run(read_limited(request, limit=100, timeout=5)) is None
    assert read == []


def test_a_body_that_grows_past_the_limit_is_cut_off_without_reading_the_rest() -> None:
    read: list[bytes] = []
    request = request_streaming(never_ending_trickle(read))
    assert asyncio.run(read_limited(request, limit=3, timeout=5)) is None
    assert len(read) == 4
