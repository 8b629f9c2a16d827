"""The Previous/Next buttons of /events: the page their cursor names replaces the one
shown; a cursor the bot did not sign is refused with a note."""

from __future__ import annotations

import re

from handlers.slack.answers import FAILED
from handlers.slack.listeners.events_command import events_command
from handlers.slack.listeners.events_page import STALE_PAGE, events_page
from tests.unit.slack.doubles import FakeWebClient, Recorder, fire


def ids(answer: dict) -> list[str]:
    return re.findall(r"`(evt-\d+)`", str(answer["blocks"]))


def buttons(answer: dict) -> dict[str, dict]:
    return {
        e["text"]["text"]: e
        for b in answer["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }


def test_next_shows_the_following_page_in_place(svc, core, respond):
    for n in range(15):
        fire(svc, f"Alarm{n}", event_id=f"evt-{n:02d}")
    first = Recorder()
    events_command({"text": ""}, first, FakeWebClient(), core=core)
    (shown,) = first.bodies
    events_page(buttons(shown)["Next"], respond, core=core)
    (following,) = respond.bodies
    assert following["replace_original"] is True
    assert ids(following) and not set(ids(following)) & set(ids(shown))
    assert len(ids(shown) + ids(following)) == 15


def test_a_cursor_the_bot_did_not_sign_is_refused(core, respond):
    events_page({"action_id": "events_page", "value": "forged.cursor"}, respond, core=core)
    shown = respond.text()
    assert STALE_PAGE in shown and FAILED not in shown
