"""Forged, stale and mistyped Slack requests against the running service.

The rule (docs/commands.md): a bad or missing signature, or a timestamp over 5 minutes old,
is 401; the wrong content type is 400. Each forged body here is a real command, click or
submission aimed at a live alert or silence, so that one wrongly accepted would show as
a changed store or a call to the fake Slack.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from tests.abuse.conftest import (
    SECRET,
    Tally,
    Target,
    post_slack,
    slack_requests,
)
from tests.slack.test_slack_e2e import signed

FORM = "application/x-www-form-urlencoded"
SIGNATURE = "Slack signature and timestamp"
MISTYPED = "Slack content type"
MALFORMED = "Slack interaction payload"
Headers = dict[str, str | bytes]
STALE_S = 6 * 60  # over Slack's 5 minutes, with room for a slow run


def _sig(body: str, at: str, secret: str = SECRET) -> str:
    return SignatureVerifier(secret).generate_signature(timestamp=at, body=body) or ""


def _now() -> str:
    return str(int(time.time()))


def wrong_secret(body: str) -> tuple[str, Headers]:
    return body, signed(body, secret="not-the-signing-secret")


def tampered_body(body: str) -> tuple[str, Headers]:
    """Signed as sent, then the body changed (another user) in transit."""
    return body.replace("U0ALICE", "U0MALLORY"), signed(body)


def missing_signature(body: str) -> tuple[str, Headers]:
    headers = signed(body)
    del headers["X-Slack-Signature"]
    return body, headers


def empty_signature(body: str) -> tuple[str, Headers]:
    return body, {**signed(body), "X-Slack-Signature": ""}


def missing_timestamp(body: str) -> tuple[str, Headers]:
    headers = signed(body)
    del headers["X-Slack-Request-Timestamp"]
    return body, headers


def stale_timestamp(body: str) -> tuple[str, Headers]:
    """Correctly signed, with a timestamp six minutes old: a captured request replayed late."""
    return body, signed(body, at=int(time.time()) - STALE_S)


def future_timestamp(body: str) -> tuple[str, Headers]:
    return body, signed(body, at=int(time.time()) + STALE_S)


def other_timestamp(body: str) -> tuple[str, Headers]:
    """A valid signature of another second: the timestamp is part of what is signed."""
    headers = signed(body, at=int(time.time()) - 1)
    return body, {**headers, "X-Slack-Request-Timestamp": _now()}


def other_version(body: str) -> tuple[str, Headers]:
    headers = signed(body)
    return body, {**headers, "X-Slack-Signature": "v1=" + headers["X-Slack-Signature"][3:]}


def unsigned_bare(body: str) -> tuple[str, Headers]:
    return body, {"Content-Type": FORM}


def non_numeric_timestamp(body: str) -> tuple[str, Headers]:
    """A timestamp that is not a number, signed over as given."""
    at = "yesterday"
    return body, {
        **signed(body),
        "X-Slack-Request-Timestamp": at,
        "X-Slack-Signature": _sig(body, at),
    }


def non_ascii_signature(body: str) -> tuple[str, Headers]:
    """A signature header holding a non-ASCII byte (headers are latin-1 on the wire)."""
    return body, {**signed(body), "X-Slack-Signature": ("v0=\xe9" + "0" * 63).encode("latin-1")}


def huge_timestamp(body: str) -> tuple[str, Headers]:
    """A timestamp of 5,000 digits, past what Python reads as an integer, signed as given."""
    at = "1" * 5000
    return body, {
        **signed(body),
        "X-Slack-Request-Timestamp": at,
        "X-Slack-Signature": _sig(body, at),
    }


FORGERIES: dict[str, Callable[[str], tuple[str, Headers]]] = {
    "wrong secret": wrong_secret,
    "tampered body": tampered_body,
    "missing signature": missing_signature,
    "empty signature": empty_signature,
    "missing timestamp": missing_timestamp,
    "stale timestamp": stale_timestamp,
    "future timestamp": future_timestamp,
    "timestamp not the signed one": other_timestamp,
    "signature scheme v1": other_version,
    "no Slack headers": unsigned_bare,
    "non-numeric timestamp": non_numeric_timestamp,
    "non-ASCII signature": non_ascii_signature,
    "timestamp of 5,000 digits": huge_timestamp,
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_forged_slack_requests_are_401_and_change_nothing(
    shared_target: Target, unchanged: Any, tally: Tally, forgery: str
) -> None:
    """Only Slack, holding the signing secret, within 5 minutes, can make the bot act: one
    forged body of every kind (commands, clicks, the modal), each answered 401."""
    requests = slack_requests(shared_target)
    tally.trying(SIGNATURE, "answered 401, state unchanged", len(requests))
    with unchanged(shared_target):
        answers = {
            kind: outcome(shared_target.http, *FORGERIES[forgery](body))
            for kind, body in requests.items()
        }
    tally.holding(SIGNATURE, list(answers.values()).count(401))
    assert answers == dict.fromkeys(requests, 401)


def outcome(client: httpx.Client, body: str, headers: Headers) -> int | str:
    """The status of a JSON error answer, or what went wrong instead (a 500 is followed by
    uvicorn dropping the connection)."""
    try:
        answer = post_slack(client, body, headers)
    except httpx.TransportError as err:
        return f"{type(err).__name__}: {err}"
    try:
        message = answer.json().get("error")
    except ValueError:
        message = None
    return answer.status_code if message else f"{answer.status_code}: {answer.text[:60]}"


WRONG_TYPES = {
    "text/plain": "text/plain",
    "application/json": "application/json",
    "application/json; charset=utf-8": "application/json; charset=utf-8",
    "multipart/form-data": "multipart/form-data; boundary=x",
    "application/xml": "application/xml",
    "none": None,
    "form lookalike": "application/x-www-form-urlencoded-but-not",
}


@pytest.mark.parametrize("signature", ["signed over its bytes", "signed over other text"])
def test_a_body_that_is_not_utf8_is_401_whatever_its_signature(
    shared_target: Target, unchanged: Any, tally: Tally, signature: str
) -> None:
    """Slack sends UTF-8 only, and its verifier checks text: a body that is not UTF-8
    cannot be verified, so it is unsigned (401), never a crash."""
    body = b"command=%2Fevents&text=\xff"
    at = _now()
    signed_text = body.decode("latin-1") if signature == "signed over its bytes" else "other"
    headers: Headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": at,
        "X-Slack-Signature": _sig(signed_text, at),
    }
    tally.trying(SIGNATURE, "answered 401, state unchanged")
    with unchanged(shared_target):
        assert outcome(shared_target.http, body, headers) == 401
    tally.holding(SIGNATURE)


MALFORMED_PAYLOADS = {
    "a list": [1, 2, 3],
    "a string": "block_actions",
    "no type": {"user": {"id": "U0ALICE"}},
    "user not an object": {"type": "block_actions", "user": "U0ALICE", "actions": []},
    "actions not objects": {"type": "block_actions", "user": {"id": "U0ALICE"}, "actions": [1]},
    "view without a type": {
        "type": "view_submission",
        "user": {"id": "U0ALICE"},
        "view": {"id": "V0", "callback_id": "alert_silence_modal", "state": {"values": {}}},
    },
    "a submission without its view": {"type": "view_submission", "user": {"id": "U0ALICE"}},
}


@pytest.mark.parametrize("shape", [*MALFORMED_PAYLOADS, "payload not JSON", "two payloads"])
def test_a_signed_but_malformed_interaction_is_400(
    shared_target: Target, unchanged: Any, tally: Tally, shape: str
) -> None:
    """A correctly signed form whose payload is not an interaction Bolt can read is bad
    input (400), checked before Bolt's middleware sees it; never a 500."""
    if shape == "payload not JSON":
        body = "payload=%7Bnot+json"
    elif shape == "two payloads":
        body = "payload=%7B%7D&payload=%7B%7D"
    else:
        body = urlencode({"payload": json.dumps(MALFORMED_PAYLOADS[shape])})
    tally.trying(MALFORMED, "signed but malformed, 400, state unchanged")
    with unchanged(shared_target):
        assert outcome(shared_target.http, body, signed(body)) == 400
    tally.holding(MALFORMED)


@pytest.mark.parametrize("content_type", list(WRONG_TYPES))
def test_validly_signed_but_wrong_content_type_is_400(
    shared_target: Target, unchanged: Any, tally: Tally, content_type: str
) -> None:
    """Slack posts commands, clicks and submissions form-encoded, and JSON only for the
    Events API: a correctly signed command or click of another type is 400, never acted on."""
    requests = slack_requests(shared_target)
    tally.trying(MISTYPED, "signed but mistyped, 400, state unchanged", len(requests))
    answers: dict[str, int | str] = {}
    with unchanged(shared_target):
        for kind, body in requests.items():
            headers: Headers = {**signed(body)}
            del headers["Content-Type"]
            if WRONG_TYPES[content_type] is not None:
                headers["Content-Type"] = WRONG_TYPES[content_type]
            answers[kind] = outcome(shared_target.http, body, headers)
    tally.holding(MISTYPED, list(answers.values()).count(400))
    assert answers == dict.fromkeys(requests, 400)


@pytest.mark.parametrize(
    "payload",
    [
        '{"command": "/events", "text": "", "user_id": "U0ALICE", "channel_id": "C0ALERTS",'
        ' "team_id": "T0TEAM", "trigger_id": "t-json", "response_url": "%s"}',
        '{"type": "block_actions", "user": {"id": "U0ALICE"}, "trigger_id": "t-json",'
        ' "actions": [{"action_id": "alert_ack", "value": "%s"}]}',
    ],
    ids=["command as JSON", "click as JSON"],
)
def test_a_signed_json_body_shaped_like_a_command_is_not_run(
    shared_target: Target, unchanged: Any, tally: Tally, payload: str
) -> None:
    """Slack never posts commands or clicks as JSON: a signed JSON body that looks like one
    (a body signed for some other use of the secret) must not run the command."""
    tally.trying(MISTYPED, "signed but mistyped, 400, state unchanged")
    alert = shared_target.alert()
    fill = (
        shared_target.fake.response_url("json")
        if "command" in payload
        else f"{alert.id}:{alert.version}"
    )
    body = payload % fill
    with unchanged(shared_target):
        answer = post_slack(
            shared_target.http, body, {**signed(body), "Content-Type": "application/json"}
        )
        assert answer.status_code == 400, answer.text
    tally.holding(MISTYPED)


@pytest.mark.parametrize("declared", ["honest", "chunked"])
def test_an_oversized_slack_request_is_413(
    shared_target: Target, unchanged: Any, figures: Any, declared: str
) -> None:
    """The app caps Slack bodies at 256 KB (handlers/http.py MAX_BODY_BYTES), like /ingest:
    Slack's own payloads are far smaller, so a bigger one is refused unread, signed or not."""
    body = slack_requests(shared_target)["/events"] + "&pad=" + "x" * (300 * 1024)
    content: Any = body.encode() if declared == "honest" else iter([body.encode()])
    with unchanged(shared_target):
        answer = shared_target.http.post("/slack/events", content=content, headers=signed(body))
        assert answer.status_code == 413, answer.text
        assert answer.json()["error"]
    figures.add("abuse", f"Slack body over 256 KB ({declared})", "413, state unchanged")
