"""Socket Mode in `python app.py serve`: with SLACK_APP_TOKEN set, Slack's commands and
events come over a WebSocket that the bot opens (to the fake Slack's, for real:
apps.connections.open, `hello`, envelopes, acks), while HTTP goes on serving /ingest on
HOST:PORT. Without it,
nothing changes; a token that cannot open a socket stops the start with exit 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.corpus import load
from tests.e2e.conftest import free_port, run_cli
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.test_slack_e2e import CHANNEL, SECRET, signed, wait_for

APP_TOKEN = "xapp-1-A0FAKEAPP-1-0123456789"


@pytest.fixture(scope="module")
def socket_slack() -> Iterator[FakeSlack]:
    """A fake Slack of its own, serving WebSockets (the session one does not)."""
    with FakeSlack(socket_mode=True) as fake:
        yield fake


@pytest.fixture
def fake(socket_slack: FakeSlack) -> FakeSlack:
    socket_slack.reset()
    return socket_slack


def slack_env(fake: FakeSlack, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.url,
        "SLACK_ALERTS_CHANNEL": CHANNEL,
        "SLACK_APP_TOKEN": "",
        "LOG_LEVEL": "INFO",
        "PORT": str(free_port()),
        **extra,
    }


def slash_command(fake: FakeSlack, command: str, text: str) -> dict[str, Any]:
    """The payload Slack puts in a slash_commands envelope: the HTTP request's form fields."""
    return {
        "token": "legacy-verification-token",
        "team_id": "T0FAKETEAM",
        "team_domain": "fake-workspace",
        "channel_id": CHANNEL,
        "channel_name": "alerts",
        "user_id": "U0ALICE",
        "user_name": "alice",
        "command": command,
        "text": text,
        "api_app_id": "A0FAKEAPP",
        "is_enterprise_install": "false",
        "response_url": fake.response_url("socket"),
        "trigger_id": "t-socket",
    }


def home_opened(user: str) -> dict[str, Any]:
    """The payload Slack puts in an events_api envelope when `user` opens the Home tab."""
    return {
        "token": "legacy-verification-token",
        "team_id": "T0FAKETEAM",
        "api_app_id": "A0FAKEAPP",
        "type": "event_callback",
        "event_id": "Ev0SOCKET01",
        "event_time": 1_700_000_000,
        "event": {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": "1700000000.000100",
        },
    }


def the_answer(fake: FakeSlack, before: int = 0) -> Call:
    (answer,) = wait_for(lambda: fake.calls("response_url")[before:], "the response_url answer")
    assert answer.response["ok"], answer.response  # its blocks passed Block Kit's rules
    return answer


def test_socket_mode_answers_a_command_and_http_still_ingests(tmp_path, fake, serve):
    served = serve(slack_env(fake, SLACK_APP_TOKEN=APP_TOKEN))
    wait_for(lambda: fake.socket_mode_connections() == 1, "the bot's socket")
    (opened,) = fake.calls("apps.connections.open")  # with the app token, at SLACK_API_URL
    assert opened.status == 200 and opened.response["url"].startswith("ws://127.0.0.1:")
    assert "Slack mode: Socket Mode" in served.log()

    envelope_id = fake.send_envelope(
        "slash_commands", slash_command(fake, "/events", "help"), accepts_response_payload=True
    )
    acks = wait_for(
        lambda: [
            c for c in fake.calls("socket_mode.ack") if c.params["envelope_id"] == envelope_id
        ],
        "the envelope's ack",
    )
    assert [a.params for a in acks] == [{"envelope_id": envelope_id}]  # once, and empty
    answer = the_answer(fake)
    assert "Usage" in json.dumps(answer.params["blocks"])
    assert acks[0].at <= answer.at  # the ack first, the answer after it

    event = {**load("cloudwatch_alarm_state_change_single_metric.json"), "id": "evt-socket"}
    ingested = served.http.post("/ingest", json=event)
    assert ingested.status_code == 202 and ingested.json()["ids"] == ["evt-socket"]
    assert served.http.get("/events/evt-socket").status_code == 200

    # The Events API comes over the socket too: opening the Home tab publishes it.
    fake.send_envelope("events_api", home_opened("U0ALICE"))
    (published,) = wait_for(lambda: fake.calls("views.publish"), "the home's views.publish")
    assert published.params["user_id"] == "U0ALICE" and published.response["ok"]
    assert "Open alerts" in json.dumps(published.params["view"])  # the alert just ingested

    assert served.stop() == 0  # a clean shutdown, which closes the socket too
    wait_for(lambda: fake.socket_mode_connections() == 0, "the socket to close")
    assert "The connection has been closed" in served.log()


def test_without_an_app_token_slack_comes_over_http(tmp_path, fake, serve):
    served = serve(slack_env(fake))
    assert "Slack mode: HTTP" in served.log()
    body = urlencode(slash_command(fake, "/events", "help"))
    assert served.http.post("/slack/events", content=body, headers=signed(body)).status_code == 200
    assert "Usage" in json.dumps(the_answer(fake).params["blocks"])
    assert not fake.calls("apps.connections.open") and fake.socket_mode_connections() == 0
    assert served.stop() == 0


def test_a_token_that_is_not_an_app_token_stops_the_start(tmp_path, fake):
    env = slack_env(fake, SLACK_APP_TOKEN="xoxb-the-bot-token-by-mistake")
    proc = run_cli("serve", data_dir=tmp_path / "var", env=env)
    assert proc.returncode == 2
    assert "configuration error" in proc.stderr and "app-level token (xapp-" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not fake.calls("apps.connections.open")
    assert not (tmp_path / "var").exists()  # refused before the store was opened


def test_an_app_token_slack_refuses_stops_the_start(tmp_path, fake):
    fake.fail_with("apps.connections.open", "invalid_auth")
    proc = run_cli(
        "serve", data_dir=tmp_path / "var", env=slack_env(fake, SLACK_APP_TOKEN=APP_TOKEN)
    )
    assert proc.returncode == 2
    assert "Slack refused SLACK_APP_TOKEN for Socket Mode: invalid_auth" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(fake.calls("apps.connections.open")) == 1


def test_the_fake_refuses_a_socket_without_a_ticket_it_issued(fake):
    """The URL must come from apps.connections.open, which takes only an app token."""
    client = WebClient(token=APP_TOKEN, base_url=fake.url)
    url = client.apps_connections_open(app_token=APP_TOKEN)["url"]
    forged = url.split("?")[0].replace("ws://", "http://") + "?ticket=forged"
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    assert httpx.get(forged, headers=upgrade).status_code == 403
    bot = WebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[])
    with pytest.raises(SlackApiError) as refused:
        bot.api_call("apps.connections.open")
    assert refused.value.response["error"] == "not_allowed_token_type"
