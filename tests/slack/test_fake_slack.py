"""The fake Slack Web API, driven through a real slack_sdk WebClient over loopback HTTP.

These pin the behaviour the bot's Slack adapter tests will rely on: what Slack stores and
returns, how it refuses (blocks, rate limits) and how it fails (5xx, dropped connections).
"""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers, handler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from tests.fakes import FakeClock
from tests.slack.fake_slack import FakeSlack, validate_blocks

CHANNEL = "C0ALERTS"
METADATA = {"event_type": "alert_posted", "event_payload": {"alert_id": "a-1"}}


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Form"}, "blocks": []}


def api_error(exc: pytest.ExceptionInfo[SlackApiError]) -> str:
    return exc.value.response["error"]


def patch_retry_sleep(monkeypatch: pytest.MonkeyPatch, module: object, clock: FakeClock) -> list:
    """Replace slack_sdk's retry sleep: record it and move the fake's clock instead."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    monkeypatch.setattr(module, "time", SimpleNamespace(sleep=sleep))
    return slept


# --- basics -------------------------------------------------------------------------------


def test_auth_test_identifies_the_bot(slack_client: WebClient) -> None:
    response = slack_client.auth_test()

    assert response["ok"] is True
    assert response["team_id"].startswith("T")
    assert response["user_id"].startswith("U")
    assert response["bot_id"].startswith("B")
    assert response["url"].startswith("https://")


def test_url_ends_with_api_slash(fake_slack: FakeSlack) -> None:
    assert fake_slack.url.startswith("http://127.0.0.1:")
    assert fake_slack.url.endswith("/api/")


@pytest.mark.parametrize(
    ("headers", "error"),
    [({}, "not_authed"), ({"Authorization": "Bearer nope"}, "invalid_auth")],
)
def test_requests_need_a_bot_token(fake_slack: FakeSlack, headers: dict, error: str) -> None:
    response = httpx.post(fake_slack.url + "auth.test", headers=headers)

    assert response.status_code == 200
    assert response.json() == {"ok": False, "error": error}


def test_unknown_method_is_refused(slack_client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        slack_client.api_call("chat.scheduleMessage", params={"channel": CHANNEL})

    assert api_error(exc) == "unknown_method"


# --- messages -----------------------------------------------------------------------------


def test_posted_message_comes_back_in_history_with_metadata(slack_client: WebClient) -> None:
    posted = slack_client.chat_postMessage(
        channel=CHANNEL, text="CPU high", blocks=[section("CPU high")], metadata=METADATA
    )
    history = slack_client.conversations_history(channel=CHANNEL, include_all_metadata=True)

    assert posted["channel"] == CHANNEL
    assert posted["message"]["metadata"] == METADATA
    [message] = history["messages"]
    assert message["ts"] == posted["ts"]
    assert message["text"] == "CPU high"
    assert message["blocks"] == [section("CPU high")]
    assert message["metadata"] == METADATA


def test_history_hides_metadata_unless_asked(slack_client: WebClient) -> None:
    slack_client.chat_postMessage(channel=CHANNEL, text="x", metadata=METADATA)

    [message] = slack_client.conversations_history(channel=CHANNEL)["messages"]

    assert "metadata" not in message


def test_ts_values_are_unique_and_increasing(slack_client: WebClient) -> None:
    stamps = [slack_client.chat_postMessage(channel=f"C{i}", text="x")["ts"] for i in range(5)]

    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 5
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


def test_history_is_newest_first_and_honours_limit_oldest_latest(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    fake_slack.rate_limits = False  # five posts in a burst to one channel
    ts = [slack_client.chat_postMessage(channel=CHANNEL, text=f"m{i}")["ts"] for i in range(5)]

    def texts(**kwargs: object) -> list[str]:
        response = slack_client.conversations_history(channel=CHANNEL, **kwargs)
        return [m["text"] for m in response["messages"]]

    assert texts() == ["m4", "m3", "m2", "m1", "m0"]
    assert texts(limit=2) == ["m4", "m3"]
    assert texts(oldest=ts[2]) == ["m4", "m3"]
    assert texts(latest=ts[2]) == ["m1", "m0"]
    assert texts(oldest=ts[1], latest=ts[3], inclusive=True) == ["m3", "m2", "m1"]


def test_history_pages_with_a_cursor(slack_client: WebClient) -> None:
    for i in range(3):
        slack_client.chat_postMessage(channel=CHANNEL, text=f"m{i}")

    first = slack_client.conversations_history(channel=CHANNEL, limit=2)
    cursor = first["response_metadata"]["next_cursor"]
    second = slack_client.conversations_history(channel=CHANNEL, limit=2, cursor=cursor)

    assert first["has_more"] is True
    assert [m["text"] for m in second["messages"]] == ["m0"]
    assert second["has_more"] is False


def test_thread_replies_are_stored_but_kept_out_of_history(slack_client: WebClient) -> None:
    parent = slack_client.chat_postMessage(channel=CHANNEL, text="alert")["ts"]
    slack_client.chat_postMessage(channel=CHANNEL, text="ack by @ana", thread_ts=parent)

    history = slack_client.conversations_history(channel=CHANNEL)["messages"]
    replies = slack_client.conversations_replies(channel=CHANNEL, ts=parent)["messages"]

    assert [m["text"] for m in history] == ["alert"]
    assert history[0]["reply_count"] == 1
    assert [m["text"] for m in replies] == ["alert", "ack by @ana"]
    assert replies[1]["thread_ts"] == parent


def test_update_edits_the_stored_message(slack_client: WebClient) -> None:
    ts = slack_client.chat_postMessage(channel=CHANNEL, text="open", metadata=METADATA)["ts"]

    updated = slack_client.chat_update(channel=CHANNEL, ts=ts, text="resolved", blocks=[])
    [message] = slack_client.conversations_history(channel=CHANNEL, include_all_metadata=True)[
        "messages"
    ]

    assert updated["ts"] == ts
    assert message["text"] == "resolved"
    assert message["metadata"] == METADATA  # not resent, so kept


def test_update_of_an_unknown_message_fails(slack_client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        slack_client.chat_update(channel=CHANNEL, ts="1.000001", text="x")

    assert api_error(exc) == "message_not_found"


def test_ephemeral_permalink_usergroup_and_views(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    fake_slack.set_usergroup("S0ONCALL", ["U1", "U2"])
    ts = slack_client.chat_postMessage(channel=CHANNEL, text="x")["ts"]

    ephemeral = slack_client.chat_postEphemeral(channel=CHANNEL, user="U1", text="only you")
    permalink = slack_client.chat_getPermalink(channel=CHANNEL, message_ts=ts)["permalink"]
    users = slack_client.usergroups_users_list(usergroup="S0ONCALL")["users"]
    view = slack_client.views_open(trigger_id="t.1", view=MODAL)["view"]
    updated = slack_client.views_update(view_id=view["id"], view=MODAL)

    assert ephemeral["message_ts"]
    assert fake_slack.ephemerals()[0]["to"] == "U1"
    assert permalink.endswith(f"/archives/{CHANNEL}/p{ts.replace('.', '')}")
    assert users == ["U1", "U2"]
    assert updated["view"]["id"] == view["id"]


def test_unknown_usergroup_and_view_are_refused(slack_client: WebClient) -> None:
    with pytest.raises(SlackApiError) as group:
        slack_client.usergroups_users_list(usergroup="S0NONE")
    with pytest.raises(SlackApiError) as view:
        slack_client.views_update(view_id="V0NONE", view=MODAL)

    assert api_error(group) == "no_such_subteam"
    assert api_error(view) == "not_found"


# --- request encodings --------------------------------------------------------------------


def test_form_encoded_body_is_parsed(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    slack_client.api_call(
        "chat.postMessage",
        params={
            "channel": CHANNEL,
            "text": "form",
            "blocks": json.dumps([section("form")]),
            "metadata": json.dumps(METADATA),
        },
    )

    [call] = fake_slack.calls("chat.postMessage")
    assert call.params["blocks"] == [section("form")]
    assert call.params["metadata"] == METADATA
    assert fake_slack.messages(CHANNEL)[0]["metadata"] == METADATA


def test_json_body_is_parsed(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    slack_client.chat_postMessage(channel=CHANNEL, text="json", blocks=[section("json")])

    [call] = fake_slack.calls("chat.postMessage")
    assert call.params == {"channel": CHANNEL, "text": "json", "blocks": [section("json")]}


def test_get_with_query_params_is_served(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    slack_client.chat_postMessage(channel=CHANNEL, text="a")
    slack_client.chat_postMessage(channel=CHANNEL, text="b")

    response = httpx.get(
        fake_slack.url + "conversations.history",
        params={"channel": CHANNEL, "limit": 1},
        headers={"Authorization": "Bearer xoxb-test"},
    )

    assert [m["text"] for m in response.json()["messages"]] == ["b"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_every_call_is_recorded(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    slack_client.auth_test()
    slack_client.chat_postMessage(channel=CHANNEL, text="x")
    with pytest.raises(SlackApiError):
        slack_client.chat_postMessage(channel=CHANNEL)

    calls = fake_slack.calls()
    assert [c.method for c in calls] == ["auth.test", "chat.postMessage", "chat.postMessage"]
    assert [c.response["ok"] for c in calls] == [True, True, False]
    assert calls[2].response["error"] == "no_text"
    assert all(c.status == 200 for c in calls)
    assert len(fake_slack.calls("auth.test")) == 1
    fake_slack.clear_calls()
    assert fake_slack.calls() == []


# --- rate limits --------------------------------------------------------------------------


def test_post_message_is_rate_limited_per_channel(
    fake_slack: FakeSlack, slack_clock: FakeClock, slack_client: WebClient
) -> None:
    for i in range(3):  # the burst allowance
        slack_client.chat_postMessage(channel=CHANNEL, text=f"m{i}")

    with pytest.raises(SlackApiError) as exc:
        slack_client.chat_postMessage(channel=CHANNEL, text="one too many")

    assert exc.value.response.status_code == 429
    assert api_error(exc) == "ratelimited"
    assert exc.value.response.headers["Retry-After"] == "1"
    assert len(fake_slack.messages(CHANNEL)) == 3
    slack_clock.advance(1)
    assert slack_client.chat_postMessage(channel=CHANNEL, text="after a second")["ok"]


def test_channels_have_independent_budgets(slack_clock: FakeClock, slack_client: WebClient) -> None:
    for i in range(3):
        slack_client.chat_postMessage(channel=CHANNEL, text=f"m{i}")
    with pytest.raises(SlackApiError):
        slack_client.chat_postMessage(channel=CHANNEL, text="limited")

    assert slack_client.chat_postMessage(channel="C0OTHER", text="fine")["ok"]


def test_chat_update_has_a_workspace_budget(
    slack_clock: FakeClock, slack_client: WebClient
) -> None:
    stamps = [
        (f"C{i}", slack_client.chat_postMessage(channel=f"C{i}", text="x")["ts"]) for i in range(11)
    ]
    for channel, ts in stamps[:10]:  # spread over channels: the budget is the workspace's
        slack_client.chat_update(channel=channel, ts=ts, text="edited")

    with pytest.raises(SlackApiError) as exc:
        slack_client.chat_update(channel=stamps[10][0], ts=stamps[10][1], text="edited")

    assert exc.value.response.status_code == 429
    assert int(exc.value.response.headers["Retry-After"]) >= 1
    slack_clock.advance(60 / 50)
    assert slack_client.chat_update(channel=stamps[10][0], ts=stamps[10][1], text="edited")["ok"]


def test_rate_limits_can_be_switched_off(
    fake_slack: FakeSlack, slack_clock: FakeClock, slack_client: WebClient
) -> None:
    fake_slack.rate_limits = False

    for i in range(10):
        slack_client.chat_postMessage(channel=CHANNEL, text=f"m{i}")

    assert len(fake_slack.messages(CHANNEL)) == 10


def test_rate_limit_retry_handler_retries_transparently(
    fake_slack: FakeSlack, slack_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept = patch_retry_sleep(monkeypatch, builtin_handlers, slack_clock)
    client = WebClient(
        token="xoxb-test",
        base_url=fake_slack.url,
        timeout=5,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )

    for i in range(4):
        assert client.chat_postMessage(channel=CHANNEL, text=f"m{i}")["ok"]

    assert [c.status for c in fake_slack.calls()] == [200, 200, 200, 429, 200]
    assert len(slept) == 1 and slept[0] >= 1
    assert len(fake_slack.messages(CHANNEL)) == 4


# --- block validation ---------------------------------------------------------------------


def test_more_than_50_blocks_is_invalid(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        slack_client.chat_postMessage(channel=CHANNEL, text="x", blocks=[section("b")] * 51)

    assert exc.value.response.status_code == 200
    assert api_error(exc) == "invalid_blocks"
    assert exc.value.response["errors"] == ["no more than 50 items allowed [json-pointer:/blocks]"]
    assert fake_slack.messages(CHANNEL) == []


def test_a_151_character_header_is_invalid(slack_client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        slack_client.chat_postMessage(channel=CHANNEL, text="x", blocks=[header("h" * 151)])

    assert api_error(exc) == "invalid_blocks"
    assert exc.value.response["errors"] == [
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]"
    ]


def test_update_and_ephemeral_validate_blocks_too(slack_client: WebClient) -> None:
    ts = slack_client.chat_postMessage(channel=CHANNEL, text="x", blocks=[header("h" * 150)])["ts"]

    with pytest.raises(SlackApiError) as update:
        slack_client.chat_update(channel=CHANNEL, ts=ts, text="x", blocks=[header("h" * 151)])
    with pytest.raises(SlackApiError) as ephemeral:
        slack_client.chat_postEphemeral(
            channel=CHANNEL, user="U1", text="x", blocks=[{"type": "table"}]
        )

    assert api_error(update) == "invalid_blocks"
    assert api_error(ephemeral) == "invalid_blocks"


def button(text: str = "Ack", action_id: str = "ack") -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id}


def actions(*elements: dict) -> dict:
    return {"type": "actions", "elements": list(elements)}


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([section("s" * 3001)], "/blocks/0/text/text"),
        ([{"type": "section", "fields": [section("f")["text"]] * 11}], "/blocks/0/fields"),
        ([{"type": "section", "fields": [section("f" * 2001)["text"]]}], "/blocks/0/fields/0/text"),
        ([actions(button(text="b" * 76))], "/blocks/0/elements/0/text/text"),
        ([actions(button(action_id="a" * 256))], "/blocks/0/elements/0/action_id"),
        ([actions(*[button()] * 26)], "/blocks/0/elements"),
        ([{**section("s"), "block_id": "b" * 256}], "/blocks/0/block_id"),
        ([{**section("s"), "accessory": button(text="b" * 76)}], "/blocks/0/accessory/text/text"),
        (["not a block"], "/blocks/0"),
        ([{"text": "no type"}], "/blocks/0/type"),
        ([{"type": "table"}], "/blocks/0/type"),
    ],
)  # fmt: skip
def test_block_limits(blocks: list, pointer: str) -> None:
    errors = validate_blocks(blocks)

    assert len(errors) == 1
    assert errors[0].endswith(f"[json-pointer:{pointer}]")


def test_blocks_at_the_limits_are_valid() -> None:
    blocks = [
        header("h" * 150),
        section("s" * 3000),
        {"type": "section", "fields": [section("f" * 2000)["text"]] * 10},
        actions(*[button(text="b" * 75, action_id="a" * 255)] * 25),
        {"type": "divider", "block_id": "d" * 255},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}]},
    ]

    assert validate_blocks(blocks + [{"type": "divider"}] * (50 - len(blocks))) == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"text": "x" * 40_001}, "msg_too_long"), ({}, "no_text"), ({"text": ""}, "no_text")],
)
def test_text_limits(slack_client: WebClient, kwargs: dict, error: str) -> None:
    with pytest.raises(SlackApiError) as exc:
        slack_client.chat_postMessage(channel=CHANNEL, **kwargs)

    assert api_error(exc) == error


# --- failure injection --------------------------------------------------------------------


def test_fail_next_answers_500_without_applying_then_recovers(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    fake_slack.fail_next("chat.postMessage")

    with pytest.raises(SlackApiError) as exc:
        slack_client.chat_postMessage(channel=CHANNEL, text="lost")
    assert exc.value.response.status_code == 500
    assert api_error(exc) == "internal_error"
    assert fake_slack.messages(CHANNEL) == []

    assert slack_client.chat_postMessage(channel=CHANNEL, text="kept")["ok"]
    assert [m["text"] for m in fake_slack.messages(CHANNEL)] == ["kept"]


def test_fail_next_counts_calls_of_that_method_only(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    fake_slack.fail_next("chat.update", times=2, status=503)
    ts = slack_client.chat_postMessage(channel=CHANNEL, text="x")["ts"]

    statuses = []
    for _ in range(3):
        try:
            statuses.append(slack_client.chat_update(channel=CHANNEL, ts=ts, text="y").status_code)
        except SlackApiError as exc:
            statuses.append(exc.response.status_code)

    assert statuses == [503, 503, 200]


def test_fail_with_answers_an_api_error(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    fake_slack.fail_with("chat.postMessage", "channel_not_found")

    with pytest.raises(SlackApiError) as exc:
        slack_client.chat_postMessage(channel=CHANNEL, text="x")

    assert exc.value.response.status_code == 200
    assert api_error(exc) == "channel_not_found"
    assert fake_slack.messages(CHANNEL) == []


def test_dropped_response_is_a_connection_error_but_the_post_is_stored(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    fake_slack.drop_response_next("chat.postMessage")

    with pytest.raises(ConnectionError):
        slack_client.chat_postMessage(channel=CHANNEL, text="did it land?")

    history = slack_client.conversations_history(channel=CHANNEL)["messages"]
    assert [m["text"] for m in history] == ["did it land?"]
    [call] = fake_slack.calls("chat.postMessage")
    assert call.dropped is True
    assert call.response["ok"] is True


def test_default_client_retries_a_dropped_post_into_a_duplicate(
    fake_slack: FakeSlack, slack_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WebClient's default ConnectionErrorRetryHandler resends: posts are not idempotent."""
    patch_retry_sleep(monkeypatch, handler, slack_clock)
    client = WebClient(token="xoxb-test", base_url=fake_slack.url, timeout=5)
    assert any(isinstance(h, ConnectionErrorRetryHandler) for h in client.retry_handlers)
    fake_slack.drop_response_next("chat.postMessage")

    assert client.chat_postMessage(channel=CHANNEL, text="twice")["ok"]

    assert [m["text"] for m in fake_slack.messages(CHANNEL)] == ["twice", "twice"]


# --- concurrency ----------------------------------------------------------------------------


def test_concurrent_posts_are_all_stored_with_distinct_ts(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    fake_slack.rate_limits = False
    stamps: list[str] = []

    def post(i: int) -> None:
        for j in range(5):
            stamps.append(slack_client.chat_postMessage(channel=CHANNEL, text=f"{i}.{j}")["ts"])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(stamps)) == 40
    assert len(fake_slack.messages(CHANNEL)) == 40
    assert len(fake_slack.calls("chat.postMessage")) == 40


def test_views_are_held_to_block_kit_rules(slack_client):
    radio = {
        "type": "input",
        "block_id": "scope",
        "label": {"type": "plain_text", "text": "Scope"},
        "element": {
            "type": "radio_buttons",
            "action_id": "value",
            "options": [
                {"text": {"type": "plain_text", "text": "x" * 76}, "value": "a"},
            ],
        },
    }
    long_title = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": []}
    for view in (
        {"type": "modal", "title": {"type": "plain_text", "text": "ok"}, "blocks": [radio]},
        long_title,
    ):
        with pytest.raises(SlackApiError) as exc:
            slack_client.views_open(trigger_id="t.1", view=view)
        assert api_error(exc) == "invalid_arguments"


# --- external file upload -------------------------------------------------------------------

GRAPH = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # every byte value, CR LF and NUL too


def upload_url(slack_client: WebClient, data: bytes = GRAPH, **kwargs) -> tuple[str, str]:
    """Step 1 for `data`: its file id and upload URL."""
    got = slack_client.files_getUploadURLExternal(filename="cpu.png", length=len(data), **kwargs)
    return got["file_id"], got["upload_url"]


def complete(slack_client: WebClient, file_id: str, **kwargs):
    return slack_client.files_completeUploadExternal(
        files=[{"id": file_id, "title": "CPU"}], **kwargs
    )


def test_the_upload_flow_followed_shares_the_file_in_its_thread(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    parent = slack_client.chat_postMessage(channel=CHANNEL, text="alert")["ts"]
    file_id, url = upload_url(slack_client, alt_txt="the CPU graph")
    assert file_id.startswith("F") and url.startswith(fake_slack.url.removesuffix("api/"))

    assert httpx.post(url, content=GRAPH).status_code == 200
    done = complete(slack_client, file_id, channel_id=CHANNEL, thread_ts=parent)

    assert [f["id"] for f in done["files"]] == [file_id]
    (share,) = fake_slack.files(CHANNEL)
    assert share["bytes"] == GRAPH and share["length"] == len(GRAPH)
    assert (share["filename"], share["title"], share["alt_txt"]) == (
        "cpu.png",
        "CPU",
        "the CPU graph",
    )
    assert (share["channel"], share["thread_ts"]) == (CHANNEL, parent)
    thread = slack_client.conversations_replies(channel=CHANNEL, ts=parent)["messages"]
    assert [m["ts"] for m in thread] == [parent, share["ts"]]
    assert thread[1]["files"][0]["id"] == file_id and thread[0]["reply_count"] == 1
    assert fake_slack.files("C0OTHER") == []
    methods = [c.method for c in fake_slack.calls()]
    assert methods[1:4] == [
        "files.getUploadURLExternal",
        "upload_url",
        "files.completeUploadExternal",
    ]
    assert fake_slack.calls("upload_url")[0].params["length"] == len(GRAPH)


def test_a_multipart_upload_is_taken_as_its_file_field(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    file_id, url = upload_url(slack_client)
    assert httpx.post(url, files={"file": ("cpu.png", GRAPH, "image/png")}).status_code == 200
    complete(slack_client, file_id, channel_id=CHANNEL)
    assert [f["bytes"] for f in fake_slack.files(CHANNEL)] == [GRAPH]


def test_an_upload_of_another_length_is_refused_and_stays_pending(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    file_id, url = upload_url(slack_client)

    for wrong in (GRAPH[:-1], GRAPH + b"\0"):
        refused = httpx.post(url, content=wrong)
        assert refused.status_code == 400 and "length mismatch" in refused.text
    with pytest.raises(SlackApiError) as exc:
        complete(slack_client, file_id, channel_id=CHANNEL)
    assert api_error(exc) == "file_not_found"

    assert httpx.post(url, content=GRAPH).status_code == 200  # the right bytes still go
    assert complete(slack_client, file_id, channel_id=CHANNEL)["ok"]
    assert [c.status for c in fake_slack.calls("upload_url")] == [400, 400, 200]


def test_completing_what_was_not_uploaded_or_twice_is_refused(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    file_id, url = upload_url(slack_client)
    for unknown in (file_id, "F0NOSUCH"):  # asked for but never uploaded; never asked for
        with pytest.raises(SlackApiError) as exc:
            complete(slack_client, unknown, channel_id=CHANNEL)
        assert api_error(exc) == "file_not_found"
    httpx.post(url, content=GRAPH)
    complete(slack_client, file_id, channel_id=CHANNEL)

    with pytest.raises(SlackApiError) as exc:
        complete(slack_client, file_id, channel_id=CHANNEL)  # "can only be called once"
    assert api_error(exc) == "file_not_found"
    assert httpx.post(url, content=GRAPH).status_code == 404  # the ticket is spent
    assert len(fake_slack.files(CHANNEL)) == 1


def test_completing_in_a_thread_that_is_not_there_is_refused(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    parent = slack_client.chat_postMessage(channel=CHANNEL, text="alert")["ts"]
    reply = slack_client.chat_postMessage(channel=CHANNEL, text="r", thread_ts=parent)["ts"]
    file_id, url = upload_url(slack_client)
    httpx.post(url, content=GRAPH)

    for channel, thread_ts in [
        (CHANNEL, "1700000000.000100"),
        ("C0OTHER", parent),
        (CHANNEL, reply),
    ]:
        with pytest.raises(SlackApiError) as exc:
            complete(slack_client, file_id, channel_id=channel, thread_ts=thread_ts)
        assert api_error(exc) == "invalid_arguments"
    assert fake_slack.files() == []
    assert complete(slack_client, file_id, channel_id=CHANNEL, thread_ts=parent)["ok"]


def test_uploads_need_files_write(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    file_id, url = upload_url(slack_client)
    httpx.post(url, content=GRAPH)
    fake_slack.revoke_scope("files:write")

    for call in (lambda: upload_url(slack_client), lambda: complete(slack_client, file_id)):
        with pytest.raises(SlackApiError) as exc:
            call()
        assert api_error(exc) == "missing_scope"
        assert exc.value.response["needed"] == "files:write"
        assert "chat:write" in exc.value.response["provided"].split(",")
        assert "files:write" not in exc.value.response["provided"].split(",")
    assert fake_slack.files() == []


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"length": 3}, "invalid_arguments"),
        ({"filename": "a.png"}, "invalid_arguments"),
        ({"filename": "a.png", "length": "three"}, "invalid_arguments"),
        ({"filename": "a.png", "length": -1}, "invalid_arguments"),
        ({"filename": "a.png", "length": 0}, "missing_argument"),
        ({"filename": "a.png", "length": 3, "alt_txt": "x" * 1001}, "alt_txt_too_large"),
    ],
)
def test_an_upload_url_needs_a_filename_and_a_length(
    slack_client: WebClient, params: dict, error: str
) -> None:
    with pytest.raises(SlackApiError) as exc:
        slack_client.api_call("files.getUploadURLExternal", params=params)
    assert api_error(exc) == error


@pytest.mark.parametrize("files", [[], [{"title": "no id"}], "not json"])
def test_completing_needs_files_with_ids(slack_client: WebClient, files) -> None:
    with pytest.raises(SlackApiError) as exc:
        slack_client.api_call(
            "files.completeUploadExternal",
            params={"files": files if isinstance(files, str) else json.dumps(files)},
        )
    assert api_error(exc) == "invalid_arguments"


def test_upload_faults_and_budget(
    fake_slack: FakeSlack, slack_clock: FakeClock, slack_client: WebClient
) -> None:
    fake_slack.fail_with("files.getUploadURLExternal", "file_uploads_disabled")
    with pytest.raises(SlackApiError) as exc:
        upload_url(slack_client)
    assert api_error(exc) == "file_uploads_disabled"
    _, url = upload_url(slack_client)  # the refused call spent no budget; this one did
    fake_slack.fail_next("upload_url", status=503)
    assert httpx.post(url, content=GRAPH).status_code == 503
    assert httpx.post(url, content=GRAPH).status_code == 200

    for _ in range(19):  # the rest of a burst of 20
        upload_url(slack_client)
    with pytest.raises(SlackApiError) as exc:
        upload_url(slack_client)
    assert exc.value.response.status_code == 429
    slack_clock.advance(1)  # 100 a minute: one more in a second
    assert upload_url(slack_client)[0].startswith("F")


# --- direct messages --------------------------------------------------------------------


def test_a_dm_is_opened_once_per_user_then_takes_posts(fake_slack, slack_client) -> None:
    with pytest.raises(SlackApiError) as exc:
        slack_client.chat_postMessage(channel="D0000000001", text="hi")
    assert api_error(exc) == "channel_not_found"  # a DM the bot never opened
    first = slack_client.conversations_open(users="U0ALICE")
    again = slack_client.conversations_open(users=["U0ALICE"])
    channel = first["channel"]["id"]
    assert channel.startswith("D") and again["channel"]["id"] == channel
    assert "already_open" not in first.data and again["already_open"] is True
    assert slack_client.conversations_open(users="U0BOB")["channel"]["id"] != channel
    assert slack_client.chat_postMessage(channel=channel, text="hi")["ok"]
    assert [m["text"] for m in fake_slack.messages(channel)] == ["hi"]
    assert fake_slack.dm_channel("U0ALICE") == channel


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({}, "users_list_not_supplied"),
        ({"users": "alice"}, "user_not_found"),
        ({"users": "U0FAKEBOT"}, "cannot_dm_bot"),
        ({"users": ",".join(f"U0P{n}" for n in range(9))}, "too_many_users"),
        ({"users": "U0ALICE,U0BOB"}, "missing_scope"),  # a group DM needs mpim:write
        ({"channel": "D0NOPE"}, "channel_not_found"),
    ],
)
def test_conversations_open_refuses_as_slack_does(fake_slack, slack_client, params, error):
    with pytest.raises(SlackApiError) as exc:
        slack_client.api_call("conversations.open", params=params)
    assert api_error(exc) == error


def test_opening_a_dm_needs_im_write(fake_slack, slack_client) -> None:
    fake_slack.revoke_scope("im:write")
    with pytest.raises(SlackApiError) as exc:
        slack_client.conversations_open(users="U0ALICE")
    assert api_error(exc) == "missing_scope" and exc.value.response["needed"] == "im:write"
    assert fake_slack.dm_channel("U0ALICE") is None


@pytest.mark.parametrize(
    ("kind", "scope"),
    [("dm", "im:history"), ("public", "channels:history"), ("private", "groups:history")],
)
def test_reading_a_conversation_needs_the_history_scope_of_its_kind(
    fake_slack, slack_client, kind, scope
) -> None:
    if kind == "dm":
        channel = slack_client.conversations_open(users="U0ALICE")["channel"]["id"]
    else:
        made = slack_client.conversations_create(name=kind, is_private=kind == "private")
        channel = made["channel"]["id"]
    meta = {"event_type": "alert", "event_payload": {"alert_id": "al-1"}}
    sent = slack_client.chat_postMessage(channel=channel, text="hi", metadata=meta)
    (bare,) = slack_client.conversations_history(channel=channel)["messages"]
    (full,) = slack_client.conversations_history(channel=channel, include_all_metadata=True)[
        "messages"
    ]
    assert "metadata" not in bare and full["metadata"] == meta
    fake_slack.revoke_scope(scope)
    for read in (slack_client.conversations_history, slack_client.conversations_replies):
        with pytest.raises(SlackApiError) as exc:
            read(channel=channel, ts=sent["ts"])
        assert api_error(exc) == "missing_scope" and exc.value.response["needed"] == scope


# --- views.publish (the Home tab) -----------------------------------------------------------

HOME = {"type": "home", "blocks": [section("hello")]}


def test_a_home_is_published_and_replaced_for_its_user(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    first = slack_client.views_publish(user_id="U0ALICE", view=HOME)["view"]
    again = slack_client.views_publish(
        user_id="U0ALICE", view={**HOME, "blocks": [section("again")]}, hash=first["hash"]
    )["view"]

    assert again["id"] == first["id"] and again["hash"] != first["hash"]
    assert fake_slack.home("U0ALICE")["blocks"] == [section("again")]
    assert fake_slack.home("U0BOB") is None
    with pytest.raises(SlackApiError) as stale:
        slack_client.views_publish(user_id="U0ALICE", view=HOME, hash=first["hash"])
    assert api_error(stale) == "hash_conflict"


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"view": HOME}, "invalid_arguments"),  # no user_id
        ({"user_id": "alice", "view": HOME}, "invalid_arguments"),  # not a user id
        ({"user_id": "U0ALICE", "view": {**HOME, "type": "modal"}}, "invalid_arguments"),
        ({"user_id": "U0ALICE", "view": {**HOME, "blocks": [section("x")] * 101}},
         "invalid_arguments"),
        ({"user_id": "U0ALICE", "view": {**HOME, "blocks": [header("h" * 151)]}},
         "invalid_arguments"),
        ({"user_id": "U0ALICE", "view": {**HOME, "private_metadata": "m" * 3001}},
         "invalid_arguments"),
        ({"user_id": "U0ALICE", "view": {**HOME, "blocks": [{**section("a"), "block_id": "b"},
                                                           {**section("b"), "block_id": "b"}]}},
         "invalid_arguments"),
        ({"user_id": "U0ALICE", "view": {**HOME, "blocks": [section("x" * 2900)] * 90}},
         "view_too_large"),
    ],
    ids=["no user", "bad user", "not home", "101 blocks", "long header", "long metadata",
         "duplicate block_id", "over 250 kB"],
)  # fmt: skip
def test_a_home_is_held_to_slack_s_rules(
    fake_slack: FakeSlack, slack_client: WebClient, arguments: dict, error: str
) -> None:
    with pytest.raises(SlackApiError) as exc:
        slack_client.api_call("views.publish", json=arguments)
    assert api_error(exc) == error
    assert fake_slack.home("U0ALICE") is None


def test_a_home_of_100_blocks_is_taken(slack_client: WebClient) -> None:
    view = {**HOME, "blocks": [section("x")] * 100, "private_metadata": "m" * 3000}
    assert slack_client.views_publish(user_id="U0ALICE", view=view)["ok"]


def test_a_home_needs_the_home_tab_enabled(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    fake_slack.disable_home_tab()
    with pytest.raises(SlackApiError) as exc:
        slack_client.views_publish(user_id="U0ALICE", view=HOME)
    assert api_error(exc) == "not_enabled"


def test_views_publish_is_rate_limited_per_user(
    slack_clock: FakeClock, slack_client: WebClient
) -> None:
    for _ in range(10):  # the burst allowance
        slack_client.views_publish(user_id="U0ALICE", view=HOME)

    with pytest.raises(SlackApiError) as exc:
        slack_client.views_publish(user_id="U0ALICE", view=HOME)

    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "1"
    assert slack_client.views_publish(user_id="U0BOB", view=HOME)["ok"]  # a budget of its own
    slack_clock.advance(1)
    assert slack_client.views_publish(user_id="U0ALICE", view=HOME)["ok"]
