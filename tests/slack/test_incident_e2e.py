"""Incident channels end to end: signed clicks and commands to the running service, and
what the fake Slack (holding Slack's rules for channels, invites, pins and archives) did."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.delivery import flush
from tests.e2e.conftest import client_for, service_factory  # noqa: F401
from tests.slack.fake_slack import FakeSlack, message_blocks
from tests.slack.test_commands_e2e import click, command, http  # noqa: F401
from tests.slack.test_lifecycle_e2e import clock, service  # noqa: F401
from tests.slack.test_slack_e2e import (
    CHANNEL,
    action_body,
    buttons,
    post_alarm,
    signed,
    the_alert,
    wait_for,
)


def press(http, message: dict, action_id: str, user: str = "U0ALICE") -> None:  # noqa: F811
    element = buttons(message)[action_id]
    body = action_body(
        {"action_id": action_id, "value": element["value"], "type": "button", "block_id": "b"},
        user=user,
    )
    assert http.post("/slack/events", content=body, headers=signed(body)).status_code == 200


def root(fake_slack: FakeSlack) -> dict:
    """The alert's root as it is drawn now (chat.update changes it in place)."""
    return next(
        m for m in fake_slack.messages(CHANNEL) if "thread_ts" not in m or m["thread_ts"] == m["ts"]
    )


def declare(http, service, fake_slack: FakeSlack, user: str = "U0ALICE"):  # noqa: F811
    press(http, root(fake_slack), "alert_incident", user)
    alert = wait_for(
        lambda: (a := the_alert(service)).incident and a.incident.channel and a, "the channel"
    )
    wait_for(lambda: fake_slack.channel(alert.incident.channel)["pins"], "the pin")
    return alert


def test_declaring_makes_fills_pins_and_links_the_channel(
    http,  # noqa: F811
    service,  # noqa: F811
    fake_slack,
    clock,  # noqa: F811
    slack_client,
):
    post_alarm(http)
    press(http, root(fake_slack), "alert_ack", user="U0BOB")
    wait_for(lambda: the_alert(service).acked_by == "U0BOB", "the ack")
    day = datetime.fromtimestamp(clock.now(), UTC).strftime("%Y%m%d")
    taken = f"inc-{day}-servercputoohigh"
    fake_slack.set_users(["U0ALICE", "U0BOB"])
    wait_for(lambda: "alert_incident" in buttons(root(fake_slack)), "the redrawn root")
    # Someone made a channel of that name by hand: the bot takes the next.
    slack_client.conversations_create(name=taken)

    alert = declare(http, service, fake_slack)
    made = fake_slack.channel_named(f"{taken}-2")
    assert made["id"] == alert.incident.channel and alert.incident.name == made["name"]
    assert set(made["members"]) == {"U0FAKEBOT", "U0ALICE", "U0BOB"}
    intro, copy = fake_slack.messages(made["id"])[:2]
    permalink = fake_slack.calls("chat.getPermalink")[-1].response["permalink"]
    assert permalink in intro["text"] or permalink in json.dumps(intro["blocks"])
    assert made["pins"] == [copy["ts"]]
    assert "alert_ack" not in json.dumps(message_blocks(copy))  # a copy: no buttons
    wait_for(  # the alert's thread is told after the pin
        lambda: any(
            f"<#{made['id']}>" in json.dumps(m)
            for m in fake_slack.messages(CHANNEL)
            if m.get("thread_ts") == alert.message.ts
        ),
        "the thread reply naming the channel",
    )
    wait_for(lambda: f"Incident: <#{made['id']}>" in json.dumps(message_blocks(root(fake_slack))),
             "the root naming the channel")  # fmt: skip
    assert "alert_incident" not in buttons(root(fake_slack))

    # A second click (an old drawing of the root) makes no other channel.
    press_old = action_body({"action_id": "alert_incident", "type": "button", "block_id": "b",
                             "value": f"{alert.id}:{alert.version}"})  # fmt: skip
    assert (
        http.post("/slack/events", content=press_old, headers=signed(press_old)).status_code == 200
    )
    wait_for(lambda: any("already declared" in e["text"] for e in fake_slack.ephemerals()),
             "the note")  # fmt: skip
    assert len(fake_slack.calls("conversations.create")) == 3  # by hand, taken, made


def test_news_timeline_and_close_in_the_incident_channel(http, service, fake_slack, clock):  # noqa: F811
    post_alarm(http)
    alert = declare(http, service, fake_slack)
    channel = alert.incident.channel

    press(http, root(fake_slack), "alert_ack", user="U0BOB")
    told = lambda: [m["text"] for m in fake_slack.messages(channel)]  # noqa: E731
    wait_for(lambda: any("<@U0BOB> acknowledged" in t for t in told()), "the ack told there")
    post_alarm(http, event_id="evt-2")  # a repeat: told in the thread and the channel
    clock.advance(60)  # past the coalescing window; the budgets refilled
    flush(service.services.delivery)
    assert any(t.startswith("On the alert:") and "once more" in t for t in told())

    timeline = command(http, fake_slack, "/incident", "timeline", channel=channel)
    assert timeline["response_type"] == "in_channel"
    assert "incident declared by <@U0ALICE>" in timeline["text"]
    assert "acknowledged by <@U0BOB>" in timeline["text"]
    outside = command(http, fake_slack, "/incident", "close")
    assert outside["response_type"] == "ephemeral" and "not an incident channel" in outside["text"]

    request = command(http, fake_slack, "/incident", "close", channel=channel)
    assert "<@U0BOB>: acknowledged" in json.dumps(request["blocks"])
    (confirm,) = request["blocks"][-1]["elements"]
    answer = click(http, fake_slack, {"action_id": confirm["action_id"], "type": "button",
                                      "value": confirm["value"], "block_id": "b"})  # fmt: skip
    assert answer["replace_original"] is True
    assert fake_slack.channel(channel)["is_archived"] is True
    assert the_alert(service).incident.closed_at is not None
