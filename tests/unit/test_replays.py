"""The replay guard's memory and the signature headers it lets Slack's verifier see."""

from __future__ import annotations

import pytest

from handlers.slack.replays import REPLAY_WINDOW_S, SeenRequests, signature_readable
from tests.fakes import FakeClock


def test_a_signature_is_first_once_within_the_window_and_again_after_it():
    clock = FakeClock()
    seen = SeenRequests(clock=clock.now)
    assert seen.first("v0=abc")
    assert not seen.first("v0=abc")
    assert seen.first("v0=def")  # another request
    clock.advance(REPLAY_WINDOW_S - 1)
    assert not seen.first("v0=abc")
    clock.advance(2)  # Slack's verifier refuses its timestamp by now anyway
    assert seen.first("v0=abc")


def test_memory_is_swept_of_expired_signatures(monkeypatch):
    monkeypatch.setattr("handlers.slack.replays.MAX_REMEMBERED", 3)
    clock = FakeClock()
    seen = SeenRequests(window_s=10, clock=clock.now)
    for n in range(3):
        assert seen.first(f"old-{n}")
    clock.advance(11)
    assert seen.first("new")  # the sweep dropped the three expired ones
    assert len(seen._until) == 1


@pytest.mark.parametrize(
    ("timestamp", "signature", "readable"),
    [
        ("1700000000", "v0=" + "a" * 64, True),
        ("", "v0=abc", False),  # missing: unsigned
        ("soon", "v0=abc", False),  # int() would raise in Slack's verifier
        ("１７００", "v0=abc", False),  # full-width digits: isdigit() but not ASCII
        ("1700000000", "v0=é", False),  # compare_digest raises on non-ASCII str
    ],
)
def test_signature_headers_slack_s_verifier_can_check(timestamp, signature, readable):
    headers = {"x-slack-request-timestamp": timestamp, "x-slack-signature": signature}
    assert signature_readable(headers) is readable
