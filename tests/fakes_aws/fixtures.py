"""Fixtures of the AWS fakes. Each server starts once a session, on first use; each test
gets it reset, with botocore's per-service endpoint variable pointing at it and dummy
credentials, so that `adapters.aws_session.client` (and own_client) reach it.

    fake_cloudwatch  FakeCloudWatch, AWS_ENDPOINT_URL_CLOUDWATCH set
    fake_logs        FakeLogs, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS set (botocore names the
                     variable for the service id "CloudWatch Logs": _LOGS is not read)
    aws_credentials  the dummy credentials and AWS_DEFAULT_REGION alone

RecordingClientFor is a ClientFor on them that records where each client reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.aws_session import own_client
from tests.fakes_aws.cloudwatch import FakeCloudWatch
from tests.fakes_aws.logs import FakeLogs

REGION = "eu-west-1"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
CLOUDWATCH_ENDPOINT = "AWS_ENDPOINT_URL_CLOUDWATCH"
LOGS_ENDPOINT = "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials (never real ones), the default region, no profile nor endpoint."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture(scope="session")
def fake_cloudwatch_server() -> Iterator[FakeCloudWatch]:
    with FakeCloudWatch() as fake:
        yield fake


@pytest.fixture(scope="session")
def fake_logs_server() -> Iterator[FakeLogs]:
    with FakeLogs() as fake:
        yield fake


@pytest.fixture
def fake_cloudwatch(
    fake_cloudwatch_server: FakeCloudWatch, aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeCloudWatch]:
    fake_cloudwatch_server.reset()
    monkeypatch.setenv(CLOUDWATCH_ENDPOINT, fake_cloudwatch_server.url)
    yield fake_cloudwatch_server
    fake_cloudwatch_server.reset()


@pytest.fixture
def fake_logs(
    fake_logs_server: FakeLogs, aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeLogs]:
    fake_logs_server.reset()
    monkeypatch.setenv(LOGS_ENDPOINT, fake_logs_server.url)
    yield fake_logs_server
    fake_logs_server.reset()


class RecordingClientFor:
    """A ClientFor (adapters.aws_session) that makes the bot's own clients, and records
    each (service, account, region) it was asked for."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str | None, str | None]] = []

    def __call__(self, service: str, account: str | None, region: str | None) -> Any:
        self.asked.append((service, account, region))
        return own_client(service, account, region)
