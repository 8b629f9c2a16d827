"""The Slack Chat adapter against the fake Slack Web API, over real HTTP."""

from __future__ import annotations

import io
from dataclasses import replace
from types import SimpleNamespace

import pytest

from adapters.console import BUILDER_URL, ConsoleChat
from adapters.slack import METADATA_EVENT_TYPE, SlackChat
from bot.errors import AccessDeniedError, ChatRejectedError, ChatUnavailableError
from bot.models import Alert, AlertStatus, MessageRef
from bot.models.home import Home, ReportLink
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


GRAPH = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40  # every byte value, CR LF and NUL too


def a_root(chat: SlackChat) -> MessageRef:
    signal = signal_of("cloudwatch_alarm_state_change_single_metric.json")
    return chat.post_alert(CHANNEL, signal, an_alert(signal), message_id="al-1", controls=True)


def share_graph(chat: SlackChat, ref: MessageRef) -> None:
    chat.upload_file(ref, "cpu.png", GRAPH, title="CPU: ALARM", alt_text="CPU around the change")


def test_a_graph_is_shared_whole_in_the_alerts_thread(chat, fake_slack):
    root = a_root(chat)
    share_graph(chat, root)

    (share,) = fake_slack.files(CHANNEL)
    assert share["bytes"] == GRAPH
    assert (share["channel"], share["thread_ts"]) == (CHANNEL, root.ts)
    assert (share["filename"], share["title"], share["alt_txt"]) == (
        "cpu.png",
        "CPU: ALARM",
        "CPU around the change",
    )
    reply = fake_slack.messages(CHANNEL)[-1]
    assert reply["thread_ts"] == root.ts and reply["files"][0]["id"] == share["file_id"]
    assert [c.method for c in fake_slack.calls()][1:] == [
        "files.getUploadURLExternal",
        "upload_url",
        "files.completeUploadExternal",
    ]


def test_an_app_without_files_write_is_access_denied(chat, fake_slack):
    root = a_root(chat)
    fake_slack.revoke_scope("files:write")
    with pytest.raises(AccessDeniedError, match=r"missing_scope.*files:write"):
        share_graph(chat, root)
    assert fake_slack.files() == []
    assert len(fake_slack.calls("files.getUploadURLExternal")) == 1  # no retry


@pytest.mark.parametrize("error", ["not_allowed_token_type", "no_permission"])
def test_other_refusals_of_the_app_are_access_denied(chat, fake_slack, error):
    fake_slack.fail_with("files.completeUploadExternal", error)
    with pytest.raises(AccessDeniedError, match=error):
        share_graph(chat, a_root(chat))


def test_a_429_on_complete_is_retried_after_retry_after(chat, fake_slack, slack_clock, monkeypatch):
    from slack_sdk.http_retry import builtin_handlers

    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=slack_clock.advance))
    fake_slack.fail_next("files.completeUploadExternal", status=429, retry_after=2)
    root = a_root(chat)
    share_graph(chat, root)
    assert [c.status for c in fake_slack.calls("files.completeUploadExternal")] == [429, 200]
    assert [f["thread_ts"] for f in fake_slack.files(CHANNEL)] == [root.ts]


def test_a_500_on_complete_is_unavailable_without_a_retry(chat, fake_slack):
    """The share is taken once only: a retry after an applied 5xx would be refused."""
    fake_slack.fail_next("files.completeUploadExternal", status=500)
    with pytest.raises(ChatUnavailableError):
        share_graph(chat, a_root(chat))
    assert len(fake_slack.calls("files.completeUploadExternal")) == 1
    assert fake_slack.files() == []


@pytest.mark.parametrize(
    ("status", "raised"), [(400, ChatRejectedError), (503, ChatUnavailableError)]
)
def test_a_refused_upload_of_the_bytes_is_never_completed(chat, fake_slack, status, raised):
    fake_slack.fail_next("upload_url", status=status)
    with pytest.raises(raised, match=str(status)):
        share_graph(chat, a_root(chat))
    assert fake_slack.calls("files.completeUploadExternal") == []


def test_a_429_from_the_upload_url_says_when_to_come_back(chat, fake_slack):
    fake_slack.fail_next("upload_url", status=429, retry_after=7)
    with pytest.raises(ChatUnavailableError) as exc:
        share_graph(chat, a_root(chat))
    assert exc.value.retry_after == 7
    assert fake_slack.files() == []


def test_sharing_in_a_thread_slack_does_not_have_is_rejected(chat, fake_slack):
    with pytest.raises(ChatRejectedError, match="invalid_arguments"):
        share_graph(chat, MessageRef(channel=CHANNEL, ts="1700000000.000100"))
    assert fake_slack.files() == []


def test_console_chat_says_which_file_it_would_share():
    out = io.StringIO()
    ConsoleChat(out).upload_file(
        MessageRef(channel="console", ts="1.000000"), "cpu.png", GRAPH, title="CPU", alt_text="x"
    )
    text = out.getvalue()
    assert "cpu.png" in text and f"{len(GRAPH):,} bytes" in text and "1.000000" in text
    assert "PNG" not in text


def test_a_dm_opens_the_conversation_and_links_the_alert(chat, fake_slack):
    signal = signal_of("cloudwatch_alarm_state_change_single_metric.json")
    root = chat.post_alert(CHANNEL, signal, an_alert(signal), message_id="al-1", controls=True)
    chat.post_direct("U0ALICE", root, an_alert(signal), 900, message_id="al-1:step2:0", since=0)
    (dm,) = fake_slack.messages(fake_slack.dm_channel("U0ALICE"))
    assert "You are on call" in dm["text"] and "unacknowledged for 15 min" in dm["text"]
    assert dm["metadata"]["event_payload"]["alert_id"] == "al-1:step2:0"
    assert f"archives/{CHANNEL}/p{root.ts.replace('.', '')}|Open the alert>" in dm["text"]
    line = chat.post_escalation(root, an_alert(signal), "dm", ["U0ALICE"], 900)
    reply = next(m for m in fake_slack.messages(CHANNEL) if m["ts"] == line.ts)
    assert reply["thread_ts"] == root.ts and "DMed <@U0ALICE>" in reply["text"]


def test_a_dm_without_im_write_is_refused(chat, fake_slack):
    fake_slack.revoke_scope("im:write")
    signal = signal_of("cloudwatch_alarm_state_change_single_metric.json")
    root = chat.post_alert(CHANNEL, signal, an_alert(signal), message_id="al-1", controls=True)
    with pytest.raises(ChatRejectedError, match="missing_scope"):
        chat.post_direct("U0ALICE", root, an_alert(signal), 900, message_id="al-1:step2:0", since=0)


def test_a_dm_whose_answer_was_lost_is_found_rather_than_sent_again(chat, fake_slack):
    signal = signal_of("cloudwatch_alarm_state_change_single_metric.json")
    root = chat.post_alert(CHANNEL, signal, an_alert(signal), message_id="al-1", controls=True)
    fake_slack.drop_response_next("chat.postMessage")  # Slack takes the DM; its answer is cut
    with pytest.raises(ChatUnavailableError):
        chat.post_direct("U0ALICE", root, an_alert(signal), 900, message_id="al-1:step2:0", since=0)
    again = chat.post_direct(
        "U0ALICE", root, an_alert(signal), 960, message_id="al-1:step2:0", since=0
    )
    (dm,) = fake_slack.messages(fake_slack.dm_channel("U0ALICE"))  # one DM, not two
    assert again == MessageRef(channel=fake_slack.dm_channel("U0ALICE"), ts=dm["ts"])
    other = chat.post_direct("U0ALICE", root, an_alert(signal), 1800, message_id="al-1:step3:0",
                             since=0)  # fmt: skip
    assert other.ts != dm["ts"] and len(fake_slack.messages(other.channel)) == 2


def test_a_dm_without_im_history_is_sent_without_looking(chat, fake_slack):
    fake_slack.revoke_scope("im:history")
    signal = signal_of("cloudwatch_alarm_state_change_single_metric.json")
    root = chat.post_alert(CHANNEL, signal, an_alert(signal), message_id="al-1", controls=True)
    chat.post_direct("U0ALICE", root, an_alert(signal), 900, message_id="al-1:step2:0", since=0)
    assert len(fake_slack.messages(fake_slack.dm_channel("U0ALICE"))) == 1


def test_usergroup_members_are_read_once_and_an_unknown_group_is_refused(chat, fake_slack):
    fake_slack.set_usergroup("S0OPS", ["U0ALICE", "U0BOB"])
    assert chat.usergroup_members("S0OPS") == {"U0ALICE", "U0BOB"}
    assert chat.usergroup_members("S0OPS") == {"U0ALICE", "U0BOB"}
    assert len(fake_slack.calls("usergroups.users.list")) == 1  # kept a few minutes
    with pytest.raises(ChatRejectedError, match="no_such_subteam"):
        chat.usergroup_members("S0NONE")


def test_a_home_links_the_last_report_asking_its_permalink_once(chat, fake_slack):
    ts = chat.post_text("C0REPORT", "the report").ts
    report = ReportLink("2026-12-03", "C0REPORT", ts)
    home = Home(user="U0ALICE", now=1_700_000_000, open_alerts=(), mine=(), acked_by_others=0,
                silences=(), stale_agents=(), on_call=None, last_report=report)  # fmt: skip
    chat.publish_home(home)
    chat.publish_home(home)
    assert len(fake_slack.calls("views.publish")) == 2
    assert len(fake_slack.calls("chat.getPermalink")) == 1  # once per process
    shown = str(fake_slack.home("U0ALICE")["blocks"])
    assert f"/archives/C0REPORT/p{ts.replace('.', '')}|The daily report of 2026-12-03>" in shown
    gone = ReportLink("2026-12-02", "C0REPORT", "1.000001")  # no such message: no link
    chat.publish_home(replace(home, last_report=gone))
    assert "The daily report of 2026-12-02 in <#C0REPORT>" in str(fake_slack.home("U0ALICE"))
