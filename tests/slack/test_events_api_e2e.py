"""Slack's Events API on the running service's request URL: JSON `url_verification` and
`event_callback` bodies, signed, are taken (the challenge answered, each event acked and
handled once, retries included); any other JSON body is refused (400) unread by Bolt."""

from __future__ import annotations

import json
import logging
import time

import pytest

from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack_e2e import SECRET, http, service, signed  # noqa: F401 (fixtures)


def json_headers(body: str, at: int | None = None, **extra: str) -> dict[str, str]:
    return {**signed(body, at=at), "Content-Type": "application/json", **extra}


def event_callback(event_id: str, event_type: str = "app_mention") -> str:
    return json.dumps(
        {
            "type": "event_callback",
            "token": "unused",
            "team_id": "T0TEAM",
            "api_app_id": "A0APP",
            "event_id": event_id,
            "event_time": 1_700_000_000,
            "event": {"type": event_type, "user": "U0ALICE", "text": "hi", "channel": "C0X",
                      "ts": "1700000000.000100", "event_ts": "1700000000.000100"},
        }
    )  # fmt: skip


def test_the_request_url_is_verified_with_its_challenge(http, fake_slack: FakeSlack):  # noqa: F811
    body = json.dumps({"type": "url_verification", "token": "unused", "challenge": "c-42"})
    answer = http.post("/slack/events", content=body, headers=json_headers(body))
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "c-42"}
    unsigned = {"Content-Type": "application/json"}
    assert http.post("/slack/events", content=body, headers=unsigned).status_code == 401


def test_an_event_is_acked_once_and_its_retries_are_acked_without_handling(
    http,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.INFO, logger="handlers.slack.events_api")
    body = event_callback("Ev0001")
    first = http.post("/slack/events", content=body, headers=json_headers(body))
    assert first.status_code == 200  # no listener of its own: acked, never a 404
    # Slack's retry is signed anew (another timestamp): the replay guard lets it through.
    again = json_headers(body, at=int(time.time()) - 1, **{"X-Slack-Retry-Num": "1"})
    retried = http.post("/slack/events", content=body, headers=again)
    assert retried.status_code == 200
    said = [r.getMessage() for r in caplog.records if "retried" in r.getMessage()]
    assert said == ["Slack event Ev0001 retried (retry 1): already taken, acked"]
    other = event_callback("Ev0002", "reaction_added")
    assert http.post("/slack/events", content=other, headers=json_headers(other)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"type": "block_actions", "actions": []}),  # interactions are forms
        json.dumps({"type": "app_rate_limited"}),
        json.dumps(["url_verification"]),
        "not json at all",
        "[" * 5000,  # deeper than the parser goes
    ],
    ids=["interaction as JSON", "another type", "a list", "not JSON", "too deep"],
)
def test_other_signed_json_is_400(http, body: str):  # noqa: F811
    answer = http.post("/slack/events", content=body, headers=json_headers(body))
    assert answer.status_code == 400
    assert "Events API" in answer.json()["error"]
