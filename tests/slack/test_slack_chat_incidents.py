"""SlackChat's incident-channel calls against the fake Slack: a taken name is its own
error, invites pass over whom Slack cannot invite, a pin and an archive are done once,
and a file with no thread is shared in the channel itself."""

from __future__ import annotations

import pytest

from adapters.slack import SlackChat
from bot.errors import ChatRejectedError, NameTakenError
from bot.models import MessageRef
from tests.slack.fake_slack import BOT_USER_ID, FakeSlack


@pytest.fixture
def chat(fake_slack: FakeSlack) -> SlackChat:
    return SlackChat("xoxb-test", fake_slack.url, timeout=5, max_retries=2)


def test_a_taken_name_is_name_taken_and_a_bad_one_a_refusal(chat: SlackChat):
    chat.create_channel("inc-20261204-cpu")
    with pytest.raises(NameTakenError):
        chat.create_channel("inc-20261204-cpu")
    with pytest.raises(ChatRejectedError, match="invalid_name_specials") as exc:
        chat.create_channel("Inc With Spaces")
    assert not isinstance(exc.value, NameTakenError)


def test_invites_pass_over_who_cannot_be_invited(chat: SlackChat, fake_slack: FakeSlack):
    channel = chat.create_channel("inc-a")
    fake_slack.set_users(["U0ALICE", "U0BOB", "U0CAROL"])
    chat.invite(channel, ["U0ALICE"])
    chat.invite(channel, ["U0ALICE", "U0NOBODY", "U0BOB", BOT_USER_ID])
    assert fake_slack.channel(channel)["members"] == [BOT_USER_ID, "U0ALICE", "U0BOB"]
    chat.invite(channel, ["U0CAROL"])  # all in one call when Slack takes them all
    invites = fake_slack.calls("conversations.invite")
    assert [c.params["users"] for c in invites][-1] == "U0CAROL"
    with pytest.raises(ChatRejectedError, match="channel_not_found"):
        chat.invite("C0NOWHERE", ["U0ALICE"])


def test_a_pin_and_an_archive_are_done_once(chat: SlackChat, fake_slack: FakeSlack):
    channel = chat.create_channel("inc-b")
    ref = chat.post_text(channel, "the alert")
    chat.pin(ref)
    chat.pin(ref)  # already_pinned is done
    assert fake_slack.channel(channel)["pins"] == [ref.ts]
    assert chat.permalink(ref).endswith(ref.ts.replace(".", ""))
    chat.archive(channel)
    chat.archive(channel)  # already_archived is done
    assert fake_slack.channel(channel)["is_archived"] is True
    with pytest.raises(ChatRejectedError, match="is_archived"):
        chat.post_text(channel, "too late")


def test_a_file_with_no_thread_is_shared_in_the_channel(chat: SlackChat, fake_slack: FakeSlack):
    channel = chat.create_channel("inc-c")
    chat.upload_file(MessageRef(channel=channel, ts=""), "timeline.txt", b"14:02 fired\n",
                     title="Timeline", alt_text="the timeline")  # fmt: skip
    (shared,) = fake_slack.files(channel)
    assert shared["thread_ts"] is None and shared["bytes"] == b"14:02 fired\n"


def test_without_the_scope_slack_says_so(chat: SlackChat, fake_slack: FakeSlack):
    fake_slack.revoke_scope("channels:manage")
    with pytest.raises(ChatRejectedError, match="missing_scope"):
        chat.create_channel("inc-d")
