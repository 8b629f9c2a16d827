"""Fixtures for calling Slack listeners directly: fresh services and recording doubles."""

from __future__ import annotations

import pytest

from bot.services import Services
from handlers.slack.authorization import Responders
from handlers.slack.wiring import Core
from tests.unit.slack import doubles
from tests.unit.slack.doubles import FakeWebClient, Recorder


@pytest.fixture
def svc() -> Services:
    return doubles.services()


@pytest.fixture
def ack() -> Recorder:
    return Recorder()


@pytest.fixture
def respond() -> Recorder:
    return Recorder()


@pytest.fixture
def client() -> FakeWebClient:
    return FakeWebClient()


@pytest.fixture
def core(svc: Services) -> Core:
    """The listeners' core, with SLACK_RESPONDERS empty: everyone may act."""
    return Core(svc, Responders([]))
