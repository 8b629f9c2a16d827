"""The fake Slack's incident-channel methods hold Slack's rules: conversations.create's
names, conversations.invite's users, conversations.archive, pins.add, and the scopes
each needs."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.slack.fake_slack import BOT_USER_ID, FakeSlack

CHANNEL = "C0ALERTS"


def refused(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as exc:
        call()
    return exc.value


def test_a_channel_is_made_with_the_bot_in_it(fake_slack: FakeSlack, slack_client: WebClient):
    made = slack_client.conversations_create(name="inc-20261204-cpu_high")["channel"]
    assert (made["name"], made["is_private"], made["is_archived"]) == (
        "inc-20261204-cpu_high", False, False,
    )  # fmt: skip
    assert fake_slack.channel(made["id"])["members"] == [BOT_USER_ID]
    private = slack_client.conversations_create(name="secret", is_private=True)["channel"]
    assert private["is_private"] is True


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("x" * 81, "invalid_name_maxlength"),
        ("Inc-Upper", "invalid_name_specials"),
        ("inc two", "invalid_name_specials"),
        ("inc.two", "invalid_name_specials"),
        ("inc#two", "invalid_name_specials"),
        ("--", "invalid_name_punctuation"),
    ],
)
def test_channel_names_follow_slacks_rules(slack_client: WebClient, name: str, error: str):
    assert api_error_of(refused(lambda: slack_client.conversations_create(name=name))) == error


def api_error_of(err: SlackApiError) -> str:
    return str(err.response["error"])


def test_a_name_is_taken_even_by_an_archived_channel(slack_client: WebClient):
    assert slack_client.conversations_create(name="x" * 80)["ok"]  # 80 is the most
    made = slack_client.conversations_create(name="inc-a")["channel"]["id"]
    slack_client.conversations_archive(channel=made)
    err = refused(lambda: slack_client.conversations_create(name="inc-a"))
    assert api_error_of(err) == "name_taken"


def test_invites_are_all_or_nothing_and_name_each_refusal(
    fake_slack: FakeSlack, slack_client: WebClient
):
    channel = slack_client.conversations_create(name="inc-b")["channel"]["id"]
    slack_client.conversations_invite(channel=channel, users="U0ALICE")
    fake_slack.set_users(["U0ALICE", "U0BOB"])

    err = refused(lambda: slack_client.conversations_invite(channel=channel, users="U0BOB,U0ALICE"))
    assert api_error_of(err) == "already_in_channel"
    assert err.response["errors"] == [
        {"user": "U0ALICE", "ok": False, "error": "already_in_channel"}
    ]
    assert fake_slack.channel(channel)["members"] == [BOT_USER_ID, "U0ALICE"]  # nothing done

    for users, error in [
        ("U0NOBODY", "user_not_found"),
        (BOT_USER_ID, "cant_invite_self"),
        ("", "no_user"),
    ]:
        call = lambda users=users: slack_client.conversations_invite(channel=channel, users=users)  # noqa: E731
        assert api_error_of(refused(call)) == error
    slack_client.conversations_invite(channel=channel, users=["U0BOB"])
    assert fake_slack.channel(channel)["members"] == [BOT_USER_ID, "U0ALICE", "U0BOB"]
    err = refused(lambda: slack_client.conversations_invite(channel="C0NOWHERE", users="U0BOB"))
    assert api_error_of(err) == "channel_not_found"


def test_an_archived_channel_takes_no_posts_and_is_archived_once(
    fake_slack: FakeSlack, slack_client: WebClient
):
    channel = slack_client.conversations_create(name="inc-c")["channel"]["id"]
    slack_client.chat_postMessage(channel=channel, text="before")
    slack_client.conversations_archive(channel=channel)
    assert fake_slack.channel(channel)["is_archived"] is True
    for call, error in [
        (lambda: slack_client.conversations_archive(channel=channel), "already_archived"),
        (lambda: slack_client.chat_postMessage(channel=channel, text="after"), "is_archived"),
        (lambda: slack_client.conversations_invite(channel=channel, users="U0BOB"), "is_archived"),
        (lambda: slack_client.conversations_archive(channel="C0NOWHERE"), "channel_not_found"),
    ]:
        assert api_error_of(refused(call)) == error
    assert [m["text"] for m in fake_slack.messages(channel)] == ["before"]


def test_a_message_is_pinned_once(fake_slack: FakeSlack, slack_client: WebClient):
    ts = slack_client.chat_postMessage(channel=CHANNEL, text="alert")["ts"]
    slack_client.pins_add(channel=CHANNEL, timestamp=ts)
    assert fake_slack.channel(CHANNEL)["pins"] == [ts]
    for call, error in [
        (lambda: slack_client.pins_add(channel=CHANNEL, timestamp=ts), "already_pinned"),
        (lambda: slack_client.pins_add(channel=CHANNEL, timestamp="1.000100"), "message_not_found"),
        (lambda: slack_client.pins_add(channel="C0NOWHERE", timestamp=ts), "channel_not_found"),
    ]:
        assert api_error_of(refused(call)) == error


@pytest.mark.parametrize(
    ("scope", "call"),
    [
        ("channels:manage", lambda c, _: c.conversations_create(name="inc-d")),
        ("groups:write", lambda c, _: c.conversations_create(name="inc-d", is_private=True)),
        ("channels:manage", lambda c, ch: c.conversations_invite(channel=ch, users="U0BOB")),
        ("channels:manage", lambda c, ch: c.conversations_archive(channel=ch)),
        ("pins:write", lambda c, ch: c.pins_add(channel=ch, timestamp="1.0")),
    ],
)
def test_each_method_needs_its_scope(fake_slack: FakeSlack, slack_client: WebClient, scope, call):
    channel = slack_client.conversations_create(name="inc-scoped")["channel"]["id"]
    fake_slack.revoke_scope(scope)
    err = refused(lambda: call(slack_client, channel))
    assert (api_error_of(err), err.response["needed"]) == ("missing_scope", scope)
