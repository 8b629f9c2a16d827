"""What a signed form must hold before Bolt reads it: a command's flat fields, or one
interaction payload that is a JSON object with a type and object parts."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from handlers.slack.forms import form_problem


def form(payload: object) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


CLICK = {"type": "block_actions", "user": {"id": "U0ALICE"}, "actions": [{"action_id": "a"}]}


def test_commands_and_slacks_interactions_pass():
    reply = "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1"
    assert form_problem(b"command=%2Fevents&text=help" + reply.encode()) is None
    assert form_problem(b"token=x&challenge=y") is None  # no command: Bolt leaves it unhandled
    assert form_problem(form(CLICK)) is None
    submission = {"type": "view_submission", "user": {"id": "U0"}, "view": {"type": "modal"}}
    assert form_problem(form(submission)) is None
    assert form_problem(form({**CLICK, "team": None, "channel": None})) is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"command=%2Fevents&text=\xff", "not UTF-8"),
        (b"command=%2Fevents&text=help", "one response_url"),
        (b"command=%2Fevents&response_url=", "one response_url"),
        (b"command=%2Fevents&response_url=javascript%3Ax", "one response_url"),
        (b"command=%2Fevents&response_url=http%3A%2F%2Fa&response_url=http%3A%2F%2Fb", "one"),
        (b"payload=%7Bnot", "not JSON"),
        (b"payload=%7B%7D&payload=%7B%7D", "one payload"),
        (form([1, 2, 3]), "not an interaction"),
        (form({"user": {"id": "U0"}}), "not an interaction"),
        (form({**CLICK, "user": "U0ALICE"}), "user is not an object"),
        (form({**CLICK, "actions": [1]}), "actions is not a list of objects"),
        (form({"type": "view_submission", "view": {"id": "V0"}}), "view has no type"),
        (form({"type": "view_closed"}), "without its view"),
        (urlencode({"payload": "[" * 5000 + "]" * 5000}).encode(), "not JSON"),
    ],
)
def test_what_bolt_could_not_read_is_named(body: bytes, words: str):
    problem = form_problem(body)
    assert problem is not None and words in problem
