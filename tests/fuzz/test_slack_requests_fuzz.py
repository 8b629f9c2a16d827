"""Signed Slack requests of any shape: none may answer 5xx, or make a listener fail.

Hypothesis draws what a sender holding the signing secret could send to
`/slack/events`: forms with commands and interaction payloads of every kind Bolt routes
(to the action ids, views and commands the app registers, read from the listeners), JSON
for the Events API, arbitrary JSON where an object is expected, bytes that are not
UTF-8, and the wrong content type. Each body is correctly signed, so it reaches the
checks past the signature (docs/commands.md): 400 for what is malformed, 200 for what
Slack could send. The bodies run against the real service and the fake Slack.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.slack.listeners import LISTENERS
from tests.abuse.conftest import SECRET, Target, abuse_settings, close_target, open_target
from tests.e2e.conftest import RunningService
from tests.figures import Figures
from tests.fuzz.strategies import fuzz_settings
from tests.slack.conftest import fake_slack_server  # noqa: F401
from tests.slack.fake_slack import FakeSlack

EXAMPLES = 400
FRESH_S = 280  # signatures within Slack's 5 minutes
FORM = "application/x-www-form-urlencoded"
INTERACTIONS = (
    "block_actions",
    "view_submission",
    "view_closed",
    "block_suggestion",
    "shortcut",
    "message_action",
    "interactive_message",
)
HUGE = "<a number of 5,000 digits>"  # drawn as a marker, written as the digits by dumps()
statuses: Counter[int] = Counter()


def dumps(value: Any) -> str:
    """JSON text, with each HUGE marker written as an integer past Python's digit limit
    (json.dumps cannot write one)."""
    return json.dumps(value).replace(json.dumps(HUGE), "1" * 5000)


def registered() -> dict[str, list[str]]:
    """The action ids, views, commands and events the listeners register, by kind."""
    seen: dict[str, list[str]] = {}

    class Recorder:
        def __getattr__(self, kind: str) -> Any:
            def register(key: str, *args: Any, **kwargs: Any) -> Any:
                seen.setdefault(kind, []).append(key)
                return lambda *a, **k: None

            return register

    for listener in LISTENERS:
        listener.register(Recorder(), None)
    return seen


KEYS = registered()
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.just(HUGE)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field as Slack sends it, or anything else in its place."""
    return st.one_of(value, json_values)


user = maybe(st.fixed_dictionaries({"id": st.sampled_from(["U0ALICE", "U0BOB", ""])}))
action = maybe(
    st.fixed_dictionaries(
        {"action_id": maybe(st.sampled_from(KEYS["action"])), "type": maybe(st.just("button"))},
        optional={
            "value": maybe(st.text(max_size=60)),
            "selected_option": maybe(st.fixed_dictionaries({"value": st.text(max_size=20)})),
            "block_id": maybe(st.text(max_size=10)),
        },
    )
)
view = maybe(
    st.fixed_dictionaries(
        {"type": maybe(st.sampled_from(["modal", "home"]))},
        optional={
            "callback_id": maybe(st.sampled_from(KEYS["view"])),
            "private_metadata": maybe(st.text(max_size=60)),
            "state": maybe(st.fixed_dictionaries({"values": json_values})),
            "id": maybe(st.text(max_size=12)),
        },
    )
)
interaction = st.fixed_dictionaries(
    {"type": maybe(st.sampled_from(INTERACTIONS))},
    optional={
        "user": user,
        "team": maybe(st.fixed_dictionaries({"id": st.just("T0TEAM")})),
        "actions": maybe(st.lists(action, max_size=3)),
        "view": view,
        "callback_id": maybe(st.text(max_size=20)),
        "trigger_id": maybe(st.text(max_size=10)),
        "channel": maybe(st.fixed_dictionaries({"id": st.text(max_size=11)})),
        "container": json_values,
        "message": json_values,
        "api_app_id": maybe(st.just("A0APP")),
    },
)
payload_form = st.one_of(interaction, json_values).map(
    lambda payload: urlencode({"payload": dumps(payload)})
)
command_form = st.fixed_dictionaries(
    {"command": st.one_of(st.sampled_from(KEYS["command"]), st.text(max_size=12))},
    optional={
        "text": st.text(max_size=200),
        "user_id": st.sampled_from(["U0ALICE", "U0BOB", ""]),
        "channel_id": st.text(max_size=11),
        "trigger_id": st.text(max_size=10),
        "team_id": st.just("T0TEAM"),
    },
).map(urlencode)
events_json = st.one_of(
    st.fixed_dictionaries({"type": st.just("url_verification"), "challenge": json_values}),
    st.fixed_dictionaries(
        {"type": st.just("event_callback")},
        optional={
            "event": maybe(
                st.fixed_dictionaries(
                    {"type": maybe(st.sampled_from([*KEYS["event"], "message"]))},
                    optional={"user": json_values, "tab": maybe(st.just("home"))},
                )
            ),
            "event_id": maybe(st.text(max_size=12)),
            "team_id": maybe(st.just("T0TEAM")),
        },
    ),
    json_values,
).map(dumps)


@st.composite
def slack_bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    """A body and its content type; one in eight has a byte that is not UTF-8."""
    kind = draw(st.sampled_from(["payload", "command", "events", "raw"]))
    text = draw(
        {
            "payload": payload_form,
            "command": command_form,
            "events": events_json,
            "raw": st.text(max_size=200),
        }[kind]
    )
    body = text.encode("utf-8")
    if draw(st.sampled_from([False] * 7 + [True])):
        cut = draw(st.integers(0, len(body)))
        body = body[:cut] + b"\xff" + body[cut:]
    usual = "application/json" if kind == "events" else FORM
    content_type = draw(st.sampled_from([usual, usual, FORM, "application/json", "text/plain"]))
    return body, content_type


def signed_headers(body: bytes, content_type: str, age_s: int) -> dict[str, str]:
    """Slack's v0 signature over the body's exact bytes, as a sender with the secret makes,
    `age_s` seconds ago: Hypothesis repeats bodies, and a repeated signature is a replay."""
    at = str(int(time.time()) - age_s)
    digest = hmac.new(SECRET.encode(), b"v0:" + at.encode() + b":" + body, hashlib.sha256)
    return {
        "X-Slack-Request-Timestamp": at,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
        "Content-Type": content_type,
    }


@pytest.fixture(scope="module")
def fuzz_target(
    tmp_path_factory: pytest.TempPathFactory,
    fake_slack_server: FakeSlack,  # noqa: F811
) -> Iterator[Target]:
    fake_slack_server.rate_limits = False
    settings = abuse_settings(Path(tmp_path_factory.mktemp("slack-fuzz")), fake_slack_server)
    with RunningService(settings) as svc:
        target = open_target(svc, fake_slack_server)
        yield target
        close_target(target)


class Failures(logging.Handler):
    """Every ERROR a request or its listeners log: a listener must never fail on input."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def failures() -> Iterator[Failures]:
    handler = Failures()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@fuzz_settings(EXAMPLES)
@given(drawn=slack_bodies())
def _send(target: Target, drawn: tuple[bytes, str]) -> None:
    body, content_type = drawn
    age_s = sum(statuses.values()) % FRESH_S
    headers = signed_headers(body, content_type, age_s)
    answer = target.http.post("/slack/events", content=body, headers=headers)
    statuses[answer.status_code] += 1
    assert answer.status_code < 500, (body[:300], answer.text[:300])


def test_signed_slack_requests_of_any_shape_never_answer_5xx(
    fuzz_target: Target, failures: Failures, figures: Figures
) -> None:
    statuses.clear()
    _send(fuzz_target)
    time.sleep(0.5)  # the last lazy listeners finish in Bolt's threads
    failed = [f"{r.name}: {r.getMessage()[:200]}" for r in failures.records]
    assert failed == []
    assert sum(statuses.values()) >= EXAMPLES
    assert statuses[200] > 0 and statuses[400] > 0  # both paths were reached
    shown = ", ".join(f"{count} × {code}" for code, count in sorted(statuses.items()))
    figures.add(
        "fuzz",
        "signed Slack requests of any shape (forms, payloads, Events API JSON, non-UTF-8)",
        f"{sum(statuses.values())} requests: {shown}, 0 answers ≥ 500, 0 listener errors",
    )
