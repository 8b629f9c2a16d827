"""GET /healthz of the running service, with Slack auth checked against the fake Slack."""

from __future__ import annotations

import time

import pytest

from bot.errors import UnprocessedError
from bot.health import AUTH_TTL_S
from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401
from tests.fakes import FakeClock
from tests.slack.fake_slack import FakeSlack

TOKEN = "xoxb-healthz-token"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=float(int(time.time())))


@pytest.fixture
def service(service_factory, fake_slack: FakeSlack, clock: FakeClock) -> RunningService:  # noqa: F811
    running = service_factory(
        ports={"clock": clock},
        slack_bot_token=TOKEN,
        slack_signing_secret="test-signing-secret",
        slack_api_url=fake_slack.url,
        slack_alerts_channel="C0ALERTS",
    )
    return running


@pytest.fixture
def http(service, client_for):  # noqa: F811
    return client_for(service)


def test_healthy_is_200_and_auth_test_is_asked_once_a_minute(http, fake_slack, clock):
    first = http.get("/healthz")
    second = http.get("/healthz")
    assert first.status_code == second.status_code == 200
    body = second.json()
    assert body["status"] == "ok"
    assert {name: c["status"] for name, c in body["checks"].items()} == {
        "alert_store": "ok",
        "event_store": "ok",
        "slack": "ok",
        "backlog": "ok",
    }
    assert (body["backlog"], body["backlog_capped"]) == (0, False)
    assert first.headers["cache-control"] == "no-store"
    (call,) = fake_slack.calls("auth.test")
    assert call.response["ok"] is True
    clock.advance(AUTH_TTL_S)
    assert http.get("/healthz").status_code == 200
    assert len(fake_slack.calls("auth.test")) == 2


def test_a_token_slack_refuses_is_503_naming_slack(http, fake_slack):
    fake_slack.fail_with("auth.test", "invalid_auth")
    response = http.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["slack"]["status"] == "failing"
    assert "invalid_auth" in body["checks"]["slack"]["detail"]
    assert body["checks"]["alert_store"]["status"] == "ok"
    assert TOKEN not in response.text


def test_a_broken_store_is_503_naming_the_store(http, service, monkeypatch):
    def broken(now: float) -> None:
        raise UnprocessedError("sqlite: disk I/O error")

    monkeypatch.setattr(service.services.alerts, "probe_write", broken)
    response = http.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["alert_store"] == {
        "status": "failing",
        "detail": "write: sqlite: disk I/O error",
        "ms": body["checks"]["alert_store"]["ms"],
        "checked_s_ago": None,
    }
    assert body["checks"]["slack"]["status"] == "ok"
    assert body["backlog"] is None
    assert response.headers["retry-after"] == "5"


def test_healthz_needs_no_token_even_when_the_api_does(service_factory, client_for):  # noqa: F811
    running = service_factory(api_token="api-secret", ingest_token="ingest-secret")
    http = client_for(running)
    response = http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["slack"]["status"] == "console"
    assert "secret" not in response.text
