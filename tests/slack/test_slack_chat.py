"""The Slack Chat adapter against the fake Slack Web API, over real HTTP."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from adapters.console import BUILDER_URL, ConsoleChat
from adapters.slack import METADATA_EVENT_TYPE, SlackChat
from bot.errors import ChatRejectedError, ChatUnavailableError
from bot.models import Alert, AlertStatus
from bot.sources import interpret
from tests.corpus import corpus_events, corpus_files
from tests.factories import corpus
from tests.slack.fake_slack import FakeSlack, message_blocks

CHANNEL = "C0ALERTS"


@pytest.fixture
def chat(fake_slack: FakeSlack) -> SlackChat:
    return SlackChat("xoxb-test", fake_slack.url, timeout=5, max_retries=2)


def signal_of(name: str):
    return interpret(corpus(name))[0]


def an_alert(signal, **changes) -> Alert:
    return Alert(
        id="al-1",
        fingerprint=signal.fingerprint,
        title=signal.title,
        severity=signal.severity,
        first_seen=1_700_000_000,
        last_seen=1_700_000_000,
        **changes,
    )


def test_post_carries_the_alert_id_in_metadata_and_can_be_found(chat, fake_slack):
    signal = signal_of("cloudwatch_alarm_state_change_single_metric.json")
    ref = chat.post_alert(CHANNEL, signal, an_alert(signal), message_id="al-1", controls=True)
    (message,) = fake_slack.messages(CHANNEL)
    assert message["ts"] == ref.ts
    assert message["metadata"]["event_type"] == METADATA_EVENT_TYPE
    assert message["metadata"]["event_payload"]["alert_id"] == "al-1"
    actions = [b for b in message_blocks(message) if b["type"] == "actions"]
    assert {e["action_id"] for e in actions[0]["elements"] if "action_id" in e} >= {
        "alert_ack",
        "alert_silence",
    }
    assert chat.find_alert_message(CHANNEL, "al-1", oldest=0) == ref
    assert chat.find_alert_message(CHANNEL, "other", oldest=0) is None


def test_update_redraws_in_place(chat, fake_slack):
    signal = signal_of("cloudwatch_alarm_state_change_single_metric.json")
    alert = an_alert(signal)
    ref = chat.post_alert(CHANNEL, signal, alert, message_id=alert.id, controls=True)
    acked = alert.model_copy(update={"status": AlertStatus.ACKED, "acked_by": "U123ABC"})
    chat.update_alert(ref, signal, acked)
    (message,) = fake_slack.messages(CHANNEL)
    assert "U123ABC" in str(message_blocks(message))
    assert [c.method for c in fake_slack.calls()] == ["chat.postMessage", "chat.update"]


def test_a_dropped_response_is_unavailable_and_never_reposted(chat, fake_slack):
    signal = signal_of("ecs_deployment_state_change_failed.json")
    fake_slack.drop_response_next("chat.postMessage")
    with pytest.raises(ChatUnavailableError):
        chat.post_alert(CHANNEL, signal, None, message_id="gd-1", controls=False)
    assert len(fake_slack.messages(CHANNEL)) == 1  # Slack took it; we did not retry it
    assert chat.find_alert_message(CHANNEL, "gd-1", oldest=0) is not None


def test_a_500_on_post_is_unavailable_without_a_retry(chat, fake_slack):
    signal = signal_of("health_ec2_issue_minimal.json")
    fake_slack.fail_next("chat.postMessage", status=500)
    with pytest.raises(ChatUnavailableError):
        chat.post_alert(CHANNEL, signal, None, message_id="h-1", controls=False)
    assert len(fake_slack.calls("chat.postMessage")) == 1
    assert fake_slack.messages(CHANNEL) == []


def test_a_500_on_update_is_retried(chat, fake_slack):
    signal = signal_of("health_ec2_issue_minimal.json")
    alert = an_alert(signal)
    ref = chat.post_alert(CHANNEL, signal, alert, message_id=alert.id, controls=True)
    fake_slack.fail_next("chat.update", status=500)
    chat.update_alert(ref, signal, alert.model_copy(update={"status": AlertStatus.RESOLVED}))
    assert [c.status for c in fake_slack.calls("chat.update")] == [500, 200]


def test_a_429_is_retried_after_retry_after(chat, fake_slack, slack_clock, monkeypatch):
    from slack_sdk.http_retry import builtin_handlers

    # The handler sleeps Retry-After: move the fake's clock instead of waiting.
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=slack_clock.advance))
    signal = signal_of("health_ec2_issue_minimal.json")
    for n in range(5):  # past the burst of 3 in one channel
        chat.post_alert(CHANNEL, signal, None, message_id=f"n-{n}", controls=False)
    assert len(fake_slack.messages(CHANNEL)) == 5
    assert 429 in [c.status for c in fake_slack.calls("chat.postMessage")]


def test_slack_refusals_are_rejected_errors(chat, fake_slack):
    signal = signal_of("health_ec2_issue_minimal.json")
    fake_slack.fail_with("chat.postMessage", "channel_not_found")
    with pytest.raises(ChatRejectedError, match="channel_not_found"):
        chat.post_alert("CNOPE", signal, None, message_id="x", controls=False)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_every_corpus_signal_posts_within_slack_limits(path, chat, fake_slack):
    fake_slack.rate_limits = False
    for _, event, signals in corpus_events([path]):
        for n, signal in enumerate(signals):
            firing = signal.state.value == "firing"
            alert = an_alert(signal) if firing else None
            chat.post_alert(CHANNEL, signal, alert, message_id=f"{event.id}/{n}", controls=firing)
    assert all(c.response.get("ok") for c in fake_slack.calls("chat.postMessage"))


def test_console_chat_prints_readably_with_a_preview_link():
    out = io.StringIO()
    chat = ConsoleChat(out)
    signal = signal_of("cloudwatch_alarm_state_change_single_metric.json")
    ref = chat.post_alert("console", signal, an_alert(signal), message_id="al-9", controls=True)
    text = out.getvalue()
    assert "ServerCpuTooHigh" in text
    assert BUILDER_URL in text
    assert chat.find_alert_message("console", "al-9", oldest=0) == ref


def test_a_threaded_post_whose_answer_was_lost_is_found_in_its_thread(chat, fake_slack):
    signal = signal_of("cloudwatch_alarm_state_change_single_metric.json")
    root = chat.post_alert(CHANNEL, signal, an_alert(signal), message_id="al-1", controls=True)
    fake_slack.drop_response_next("chat.postMessage")
    with pytest.raises(ChatUnavailableError):
        chat.post_alert(CHANNEL, signal, None, message_id="n-1", controls=False, thread_ts=root.ts)
    # History leaves thread replies out; the thread has it.
    assert chat.find_alert_message(CHANNEL, "n-1", oldest=0) is None
    found = chat.find_alert_message(CHANNEL, "n-1", oldest=0, thread_ts=root.ts)
    assert found is not None and found.ts != root.ts
