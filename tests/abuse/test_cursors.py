"""Malformed, tampered and foreign cursors, on the REST API and in the /events buttons.

The rule (docs/commands.md): the cursor is opaque and signed with CURSOR_SECRET, so that
a tampered cursor is a 400; the REST API answers 400 `{"error": ...}` for any invalid
cursor, never 422 or 500. In Slack, the `events_page` button's value is a cursor that
comes back as untrusted input: a bad one gets a polite answer through response_url, not
a crash."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from blocks.lists import EVENTS_PAGE
from bot.config import DEFAULT_CURSOR_SECRET
from bot.cursors import CursorCodec
from handlers.slack.answers import FAILED
from handlers.slack.listeners.events_page import STALE_PAGE
from tests.abuse.conftest import (
    CURSOR_SECRET,
    Tally,
    Target,
    button,
    click_body,
    post_slack,
    slack_calls,
    snapshot,
)
from tests.slack.test_commands_e2e import command, store_events
from tests.slack.test_slack_e2e import signed, wait_for


@dataclass(frozen=True)
class Issued:
    """Cursors the running service really handed out."""

    events: str  # GET /events?limit=3 → next
    events_asc: str  # GET /events?limit=3&direction=asc → next
    agents: str  # GET /agents?limit=1 → next
    search: str  # the Next button of /events in Slack


@pytest.fixture(scope="module")
def issued(shared_target: Target) -> Iterator[Issued]:
    """Events, agents and a Slack search, each with a next page, and their cursors."""
    from bot.models import Agent

    store_events(shared_target.svc, 12)  # more than one page of /events in Slack (10)
    shared_target.svc.services.agents.create(Agent(id="111122223333", region="us-east-1"))
    api = shared_target.api

    def next_of(path: str, **params: Any) -> str:
        page = api.get(path, params=params)
        assert page.status_code == 200, page.text
        cursor = page.json()["next"]
        assert cursor
        return cursor

    answer = command(shared_target.http, shared_target.fake, "/events")
    (search,) = [
        e["value"]
        for b in answer["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == EVENTS_PAGE
    ]
    yield Issued(
        next_of("/events", limit=3),
        next_of("/events", limit=3, direction="asc"),
        next_of("/agents", limit=1),
        search,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def _tampered_payload(cursor: str) -> str:
    """The position edited (another key), re-encoded, the old tag kept."""
    body, tag = cursor.split(".")
    position = json.loads(_unb64(body))
    position["k"] = [0, "zzz"]
    return f"{_b64(json.dumps(position, separators=(',', ':')).encode())}.{tag}"


def _resigned(cursor: str, secret: str, **change: Any) -> str:
    """The cursor's position, changed as given, signed with `secret`."""
    position = json.loads(_unb64(cursor.split(".")[0]))
    return CursorCodec(secret).encode({**position, **change})


REST = "bad cursor on GET /events, /agents"
BUTTON = "bad cursor in the events_page button"
NOISE = hashlib.sha256(b"abuse").digest() * 2  # deterministic "random" bytes

# case → the cursor sent, from the cursors the service issued
MALFORMED: dict[str, Callable[[Issued], str]] = {
    "random base64url": lambda c: _b64(NOISE),
    "random body.tag": lambda c: f"{_b64(NOISE[:40])}.{_b64(NOISE[:16])}",
    "truncated": lambda c: c.events[:-3],
    "payload only": lambda c: c.events.split(".")[0],
    "tampered tag": lambda c: _flip(c.events, len(c.events) - 8),
    "tampered payload": lambda c: _flip(c.events, 5),
    "edited position, old tag": lambda c: _tampered_payload(c.events),
    "signed with the default secret": lambda c: _resigned(c.events, DEFAULT_CURSOR_SECRET),
    "padded": lambda c: c.events + "==",
    "extra part": lambda c: c.events + ".AAAA",
    "non-ASCII": lambda c: c.events[:10] + "é" + c.events[10:],
    "emoji": lambda c: "🔥" + c.events,
    "NUL byte": lambda c: c.events[:10] + "\x00" + c.events[10:],
    "spaces": lambda c: f" {c.events} ",
    "3000 characters": lambda c: c.events + "A" * 3000,
    "signed, wrong key types": lambda c: _resigned(c.events, CURSOR_SECRET, k=["x", 1]),
    "signed, unknown listing": lambda c: _resigned(c.events, CURSOR_SECRET, s="silences"),
}


def _rest(target: Target, path: str, cursor: str) -> tuple[int, str]:
    answer = target.api.get(path, params={"cursor": cursor})
    try:
        message = str(answer.json().get("error", ""))
    except ValueError:
        message = answer.text[:80]
    return answer.status_code, message


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_bad_cursor_is_400_on_rest_and_a_polite_note_in_slack(
    shared_target: Target, issued: Issued, unchanged: Any, tally: Tally, case: str
) -> None:
    """The same bad cursor on GET /events, GET /agents and the Next button of /events:
    400 with an error that names the cursor, and in Slack the "ask again" note."""
    cursor = MALFORMED[case](issued)
    tally.trying(REST, "400 naming the cursor, state unchanged", 2)
    tally.trying(BUTTON, "the polite note, state unchanged")
    with unchanged(shared_target):
        answers = {path: _rest(shared_target, path, cursor) for path in ("/events", "/agents")}
        assert {p: s for p, (s, _) in answers.items()} == {"/events": 400, "/agents": 400}
        assert all("cursor" in message for _, message in answers.values()), answers
    tally.holding(REST, 2)
    note = _page_click(shared_target, cursor)
    assert note["response_type"] == "ephemeral"
    assert STALE_PAGE in json.dumps(note) and FAILED not in json.dumps(note)
    tally.holding(BUTTON)


def _page_click(target: Target, cursor: str) -> dict[str, Any]:
    """Click Next with `cursor` as its value; what the bot answered on the response_url.
    Nothing else may change: the answer is the only call to Slack."""
    before = snapshot(target)
    reply = target.fake.response_url("page")
    body = click_body(button(EVENTS_PAGE, cursor), reply=reply)
    assert post_slack(target.http, body, signed(body)).status_code == 200
    calls = wait_for(lambda: slack_calls(target)[len(before["slack"]) :], "the page answer")
    after = snapshot(target)
    assert [c.method for c in calls] == ["response_url"]
    assert {k: v for k, v in after.items() if k != "slack"} == {
        k: v for k, v in before.items() if k != "slack"
    }
    return calls[0].params


FOREIGN: dict[str, tuple[str, Callable[[Issued], str]]] = {
    "agents cursor on /events": ("/events", lambda c: c.agents),
    "events cursor on /agents": ("/agents", lambda c: c.events),
    "Slack search cursor on /events": ("/events", lambda c: c.search),
    "Slack search cursor on /agents": ("/agents", lambda c: c.search),
}


@pytest.mark.parametrize("case", list(FOREIGN))
def test_a_cursor_of_another_listing_is_400(
    shared_target: Target, issued: Issued, unchanged: Any, tally: Tally, case: str
) -> None:
    """A genuine cursor, signed by this service, is a position in one listing only."""
    tally.trying(REST, "400 naming the cursor, state unchanged")
    path, pick = FOREIGN[case]
    with unchanged(shared_target):
        status, message = _rest(shared_target, path, pick(issued))
        assert (status, "cursor" in message) == (400, True), message
    tally.holding(REST)


@pytest.mark.parametrize("cursor", ["events", "events_asc"])
def test_a_rest_cursor_in_the_slack_button_is_a_polite_note(
    shared_target: Target, issued: Issued, tally: Tally, cursor: str
) -> None:
    """A REST cursor (validly signed, another listing) in the Next button is refused."""
    tally.trying(BUTTON, "the polite note, state unchanged")
    note = _page_click(shared_target, getattr(issued, cursor))
    assert STALE_PAGE in json.dumps(note)
    tally.holding(BUTTON)


@pytest.mark.parametrize(
    ("cursor", "params"),
    [
        ("events", {"direction": "asc"}),
        ("events_asc", {"direction": "desc"}),
        ("events", {"limit": 5}),
    ],
    ids=["desc cursor, asc asked", "asc cursor, desc asked", "another limit"],
)
def test_a_cursor_with_other_parameters_keeps_its_own_listing(
    shared_target: Target, issued: Issued, figures: Any, cursor: str, params: dict[str, Any]
) -> None:
    """A cursor is a position in the listing that issued it; bot/paging.py documents that
    its order wins over `direction` (a Slack button carries only the cursor). So a mixed
    request is not a 400: it pages on the cursor's own listing, never 422 or 500."""
    token = getattr(issued, cursor)
    alone = shared_target.api.get("/events", params={"cursor": token, "limit": 3})
    mixed = shared_target.api.get("/events", params={"cursor": token, "limit": 3, **params})
    assert (alone.status_code, mixed.status_code) == (200, 200), mixed.text
    ids = [e["id"] for e in alone.json()["items"]]
    mixed_ids = [e["id"] for e in mixed.json()["items"]]
    assert len(ids) == 3 and len(mixed_ids) == params.get("limit", 3)
    assert mixed_ids[:3] == ids  # the same position, in the cursor's own order
    shown = ", ".join(f"{k}={v}" for k, v in params.items())
    figures.add("abuse", f"{cursor} cursor with {shown}", "200, paged on the cursor's listing")
