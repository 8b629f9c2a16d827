"""The health check: stores, Slack auth (cached), and the pending-notification backlog."""

from __future__ import annotations

import logging

import pytest

from adapters.memory import MemoryAgentStore, MemoryAlertStore, MemoryEventStore
from bot.config import Settings
from bot.errors import ChatRejectedError, ChatUnavailableError, UnprocessedError
from bot.health import (
    AUTH_TTL_S,
    BACKLOG_CAP,
    BACKLOG_LATE_S,
    BACKLOG_WARN,
    AuthCache,
    Backlog,
    backlog_line,
    check_health,
)
from bot.models import Alert, Outbox
from bot.services import Services
from handlers.bootstrap import bootstrap
from tests.fakes import FakeChat, FakeClock

TOKEN = "xoxb-1234-secret-token"


def services(clock: FakeClock, *, token: str | None = TOKEN) -> Services:
    return bootstrap(
        settings=Settings(_env_file=None, slack_alerts_channel="C1", slack_bot_token=token),
        events=MemoryEventStore(),
        agents=MemoryAgentStore(),
        alerts=MemoryAlertStore(),
        chat=FakeChat(),
        clock=clock,
    )


def health(svc: Services, auth: AuthCache | None = None):
    return check_health(svc, svc.clock.now(), auth or AuthCache())


def pending(svc: Services, n: int, *, due_at: int, prefix: str = "a") -> None:
    for i in range(n):
        svc.alerts.create_alert(
            Alert(
                id=f"{prefix}{i:05d}",
                fingerprint=f"fp-{prefix}{i}",
                first_seen=due_at,
                last_seen=due_at,
                outbox=Outbox(pending=True, next_attempt_at=due_at),
            )
        )


def broken(message: str):
    def fail(*args: object, **kwargs: object) -> object:
        raise UnprocessedError(message)

    return fail


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


def test_all_well_is_ok_200_with_each_check_timed(clock):
    result = health(services(clock))
    assert result.status == "ok"
    assert result.http_status == 200
    assert {name: c.status for name, c in result.checks.items()} == {
        "alert_store": "ok",
        "event_store": "ok",
        "slack": "ok",
        "backlog": "ok",
    }
    assert all(c.ms is not None and c.ms >= 0 for c in result.checks.values())
    assert (result.backlog, result.backlog_capped, result.backlog_oldest_s) == (0, False, None)


def test_a_failing_alert_store_is_503_saying_why(clock, monkeypatch):
    svc = services(clock)
    monkeypatch.setattr(svc.alerts, "probe_write", broken("alert store: table is gone"))
    result = health(svc)
    assert (result.status, result.http_status) == ("failing", 503)
    assert result.checks["alert_store"].status == "failing"
    assert result.checks["alert_store"].detail == "write: alert store: table is gone"
    assert result.checks["backlog"].status == "failing"
    assert result.backlog is None  # unknown, not zero
    assert result.checks["slack"].status == "ok"


def test_a_failing_event_store_is_503_naming_it(clock, monkeypatch):
    svc = services(clock)
    monkeypatch.setattr(svc.events, "list", broken("events: throttled"))
    result = health(svc)
    assert result.http_status == 503
    assert result.checks["event_store"].detail == "events: throttled"
    assert result.checks["alert_store"].status == "ok"


def test_an_unexpected_exception_is_named_by_its_type(clock, monkeypatch):
    svc = services(clock)

    def locked(*args: object, **kwargs: object) -> None:
        raise OSError("database is locked")

    monkeypatch.setattr(svc.alerts, "list_pending", locked)
    result = health(svc)
    assert result.http_status == 503
    assert result.checks["backlog"].detail == "OSError: database is locked"


def test_a_refused_slack_token_is_503_saying_slack_refused_it(clock):
    svc = services(clock)
    svc.chat.fail_auth(ChatRejectedError("Slack auth_test: invalid_auth"))
    result = health(svc)
    assert (result.status, result.http_status) == ("failing", 503)
    assert result.checks["slack"].status == "failing"
    assert result.checks["slack"].detail == "Slack auth_test: invalid_auth"
    assert result.checks["alert_store"].status == "ok"


def test_secrets_never_reach_the_details(clock, monkeypatch):
    svc = services(clock)
    svc.chat.fail_auth(ChatUnavailableError(f"no answer for token {TOKEN}, xapp-1-A0-99-abc"))
    monkeypatch.setattr(svc.alerts, "probe_write", broken(f"bad credentials {TOKEN}"))
    body = health(svc).model_dump_json()
    assert TOKEN not in body
    assert "xapp-1-A0" not in body
    assert "***" in body


def test_without_a_token_slack_is_console_and_never_asked(clock):
    svc = services(clock, token=None)
    svc.chat.fail_auth(ChatRejectedError("would fail"))
    result = health(svc)
    assert result.checks["slack"].status == "console"
    assert result.status == "ok"
    assert svc.chat.auth_checks == 0


def test_slack_auth_is_asked_once_a_minute(clock):
    svc, auth = services(clock), AuthCache()
    health(svc, auth)
    clock.advance(AUTH_TTL_S - 1)
    second = health(svc, auth)
    assert svc.chat.auth_checks == 1
    assert second.checks["slack"].checked_s_ago == int(AUTH_TTL_S - 1)
    clock.advance(1)
    third = health(svc, auth)
    assert svc.chat.auth_checks == 2
    assert third.checks["slack"].checked_s_ago is None  # a fresh answer


def test_a_cached_failure_heals_after_the_ttl(clock):
    svc, auth = services(clock), AuthCache()
    svc.chat.fail_auth(ChatRejectedError("Slack auth_test: token_revoked"))
    assert health(svc, auth).http_status == 503
    svc.chat.fail_auth(None)
    clock.advance(10)
    assert health(svc, auth).http_status == 503  # still the cached answer
    clock.advance(AUTH_TTL_S)
    assert health(svc, auth).http_status == 200
    assert svc.chat.auth_checks == 2


def test_a_clock_that_went_back_asks_again(clock):
    svc, auth = services(clock), AuthCache()
    health(svc, auth)
    clock.advance(-5)
    health(svc, auth)
    assert svc.chat.auth_checks == 2


def test_the_backlog_counts_only_what_is_due(clock):
    svc = services(clock)
    now = int(clock.now())
    pending(svc, 3, due_at=now - 20)
    pending(svc, 2, due_at=now + 30, prefix="later")  # backing off: not due yet
    result = health(svc)
    assert (result.backlog, result.backlog_capped, result.backlog_oldest_s) == (3, False, 20)
    assert result.checks["backlog"].detail == "3 due, the oldest waiting 20 s"
    assert result.status == "ok"


def test_the_backlog_count_is_capped(clock):
    svc = services(clock)
    pending(svc, BACKLOG_CAP + 5, due_at=int(clock.now()) - 1)
    result = health(svc)
    assert (result.backlog, result.backlog_capped) == (BACKLOG_CAP, True)
    assert result.checks["backlog"].detail.startswith(f"{BACKLOG_CAP}+ due")


def test_an_old_backlog_is_degraded_but_200(clock):
    svc = services(clock)
    pending(svc, 1, due_at=int(clock.now()) - BACKLOG_LATE_S - 1)
    result = health(svc)
    assert (result.status, result.http_status) == ("degraded", 200)
    assert result.checks["backlog"].status == "late"
    assert result.backlog_oldest_s == BACKLOG_LATE_S + 1


def test_a_backlog_just_at_the_limit_is_not_late(clock):
    svc = services(clock)
    pending(svc, 1, due_at=int(clock.now()) - BACKLOG_LATE_S)
    assert health(svc).status == "ok"


def test_failing_beats_degraded(clock):
    svc = services(clock)
    pending(svc, 1, due_at=int(clock.now()) - BACKLOG_LATE_S - 60)
    svc.chat.fail_auth(ChatRejectedError("Slack auth_test: invalid_auth"))
    result = health(svc)
    assert (result.status, result.http_status) == ("failing", 503)


def test_a_big_or_late_backlog_is_logged_once_per_call(clock, caplog):
    svc = services(clock)
    pending(svc, BACKLOG_WARN, due_at=int(clock.now()) - 3)
    with caplog.at_level(logging.WARNING, logger="bot.health"):
        health(svc)
    lines = [r for r in caplog.records if "notification backlog" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelno == logging.WARNING
    assert f"{BACKLOG_WARN} due, the oldest waiting 3 s" in lines[0].getMessage()


def test_a_small_fresh_backlog_says_nothing(clock, caplog):
    svc = services(clock)
    pending(svc, BACKLOG_WARN - 1, due_at=int(clock.now()) - 3)
    with caplog.at_level(logging.WARNING, logger="bot.health"):
        result = health(svc)
    assert backlog_line(result) is None
    assert caplog.records == []


@pytest.mark.parametrize(
    ("backlog", "expected"),
    [
        (Backlog(count=0, capped=False, oldest_s=None), None),
        (Backlog(count=2, capped=False, oldest_s=BACKLOG_LATE_S + 1), "2 due"),
        (Backlog(count=BACKLOG_CAP, capped=True, oldest_s=9), f"{BACKLOG_CAP}+ due"),
    ],
)
def test_the_backlog_line_for_the_flush_job(backlog, expected):
    line = backlog_line(backlog)
    if expected is None:
        assert line is None
    else:
        assert line is not None and expected in line
