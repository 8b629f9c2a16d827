"""Fixtures of the fault suite: the running service (uvicorn, SQLite under tmp_path) on
the fake Slack, both on one injected clock, with Slack's retry waits moved onto it.

The fake Slack and the service factories are the Slack and e2e suites' own, imported so
that every suite drives the bot the same way.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401
from tests.fakes import FakeClock
from tests.faults.support import fast_chat
from tests.slack.conftest import fake_slack, fake_slack_server  # noqa: F401
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack_e2e import CHANNEL


@pytest.fixture
def clock(fake_slack: FakeSlack) -> FakeClock:  # noqa: F811
    """One clock for the service and the fake's rate limits: Slack's budgets hold, and
    windows, backoffs and Retry-After pass without sleeping."""
    shared = FakeClock(start=float(int(time.time())))
    fake_slack.clock = shared.now
    return shared


@pytest.fixture
def service(service_factory, fake_slack: FakeSlack, clock: FakeClock) -> RunningService:  # noqa: F811
    """The service on the fake Slack, its rate limits on, its flush driven by the test."""
    fake_slack.rate_limits = True
    return service_factory(
        ports={"clock": clock, "chat": fast_chat(fake_slack.url, clock)},
        slack_bot_token="xoxb-test",
        slack_api_url=fake_slack.url,
        slack_alerts_channel=CHANNEL,
    )


@pytest.fixture
def http(service: RunningService, client_for) -> httpx.Client:  # noqa: F811
    return client_for(service)
