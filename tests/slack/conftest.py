"""Fixtures for tests that talk to Slack: a fake workspace over real HTTP on loopback.

One server serves the whole session (uvicorn takes ~0.2 s to stop); each test gets it
reset to a fresh workspace on the real monotonic clock. Tests that exercise rate limits
take `slack_clock` instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from tests.fakes import FakeClock
from tests.slack.fake_slack import FakeSlack


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def fake_slack(fake_slack_server: FakeSlack) -> Iterator[FakeSlack]:
    """The running fake, reset: no messages, calls or faults; rate limits on."""
    fake_slack_server.reset()
    fake_slack_server.clock = time.monotonic
    yield fake_slack_server
    fake_slack_server.reset()
    fake_slack_server.clock = time.monotonic


@pytest.fixture
def slack_clock(fake_slack: FakeSlack) -> FakeClock:
    """Freeze the fake's rate-limit clock; `advance` it to let buckets refill."""
    clock = FakeClock()
    fake_slack.clock = clock.now
    return clock


@pytest.fixture
def slack_client(fake_slack: FakeSlack) -> WebClient:
    """A real WebClient on the fake, without retries so every failure surfaces as is."""
    return WebClient(token="xoxb-test", base_url=fake_slack.url, timeout=5, retry_handlers=[])
