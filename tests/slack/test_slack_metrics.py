"""Slack's Web API calls counted by method and result, and its 429s, against the fake
Slack over real HTTP."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from adapters.prometheus import PrometheusMetrics
from adapters.slack import SlackChat
from bot.errors import ChatRejectedError, ChatUnavailableError
from bot.sources import interpret
from tests.factories import corpus
from tests.prometheus_samples import samples
from tests.slack.fake_slack import FakeSlack

CHANNEL = "C0ALERTS"


@pytest.fixture
def exported() -> PrometheusMetrics:
    return PrometheusMetrics()


@pytest.fixture
def chat(fake_slack: FakeSlack, exported: PrometheusMetrics) -> SlackChat:
    return SlackChat("xoxb-test", fake_slack.url, timeout=5, max_retries=2, metrics=exported)


@pytest.fixture
def no_wait(slack_clock, monkeypatch):
    """The rate-limit handler sleeps Retry-After: move the fake's clock instead."""
    from slack_sdk.http_retry import builtin_handlers

    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=slack_clock.advance))


def calls(exported: PrometheusMetrics, method: str, result: str) -> float:
    key = ("awsbot_slack_calls_total", (("method", method), ("result", result)))
    return samples(exported).get(key, 0)


def test_calls_are_counted_by_method_and_result(chat, fake_slack, exported):
    signal = interpret(corpus("health_ec2_issue_minimal.json"))[0]
    chat.post_alert(CHANNEL, signal, None, message_id="n-1", controls=False)
    fake_slack.fail_with("chat.postMessage", "channel_not_found")
    with pytest.raises(ChatRejectedError):
        chat.post_alert("CNOPE", signal, None, message_id="n-2", controls=False)
    chat.check_auth()
    assert calls(exported, "chat.postMessage", "ok") == 1
    assert calls(exported, "chat.postMessage", "channel_not_found") == 1
    assert calls(exported, "auth.test", "ok") == 1


def test_a_429_is_counted_though_it_was_retried(chat, fake_slack, exported, no_wait):
    signal = interpret(corpus("health_ec2_issue_minimal.json"))[0]
    fake_slack.fail_next("chat.postMessage", status=429)
    chat.post_alert(CHANNEL, signal, None, message_id="n-1", controls=False)
    seen = samples(exported)
    assert seen[("awsbot_slack_rate_limited_total", (("method", "chat.postMessage"),))] == 1
    assert calls(exported, "chat.postMessage", "ok") == 1  # one call, answered on its retry


def test_a_429_past_the_retries_is_counted_as_ratelimited(chat, fake_slack, exported, no_wait):
    signal = interpret(corpus("health_ec2_issue_minimal.json"))[0]
    fake_slack.fail_next("chat.postMessage", times=3, status=429)
    with pytest.raises(ChatUnavailableError):
        chat.post_alert(CHANNEL, signal, None, message_id="n-1", controls=False)
    seen = samples(exported)
    assert seen[("awsbot_slack_rate_limited_total", (("method", "chat.postMessage"),))] == 3
    assert calls(exported, "chat.postMessage", "ratelimited") == 1
