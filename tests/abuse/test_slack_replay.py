"""A correctly signed Slack request replayed inside Slack's 5 minutes.

The rule (docs/commands.md): such a body passes the signature, as Slack's scheme allows,
but is idempotent: one action_ts or trigger_id never applies twice. Each case sends a
real request, waits for it to apply, then sends the very same bytes and headers again
(same action_ts, trigger_id, timestamp and signature) and holds the replay to changing
nothing at all: no record, no Slack call (no second ack, post, note or modal).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from bot.models import AlertStatus
from tests.abuse.conftest import (
    SETTLE_S,
    Params,
    Tally,
    Target,
    button,
    changes,
    click_body,
    command_body,
    post_slack,
    silence_select,
    snapshot,
    view_body,
)
from tests.slack.test_slack_e2e import signed, wait_for


def settled(target: Target, timeout: float = 10.0) -> Params:
    """The snapshot once two readings `SETTLE_S` apart agree: the listeners are done."""
    deadline = time.monotonic() + timeout
    last = snapshot(target)
    while time.monotonic() < deadline:
        time.sleep(SETTLE_S)
        now = snapshot(target)
        if changes(last, now) == {}:
            return now
        last = now
    raise AssertionError("the service kept changing state")


def _ref(target: Target) -> str:
    alert = target.alert()
    return f"{alert.id}:{alert.version}"


def _silence_id(target: Target) -> str:
    (silence,) = target.svc.services.alerts.list_silences(int(time.time()))
    return silence.id


REPLAY = "Slack request replayed within 5 min"

# kind → (the request's body, what shows it applied)
REPLAYS: dict[str, tuple[Callable[[Target], str], Callable[[Target], bool]]] = {
    "alert_ack": (
        lambda t: click_body(button("alert_ack", _ref(t)), trigger="t-ack"),
        lambda t: t.alert().status is AlertStatus.ACKED,
    ),
    "alert_unsilence": (
        lambda t: click_body(button("alert_unsilence", _ref(t)), trigger="t-unsilence"),
        lambda t: t.alert().silenced_until is None,
    ),
    "alert_silence 1h": (
        lambda t: click_body(silence_select(t.alert(), "1h"), trigger="t-select"),
        lambda t: len(t.svc.services.alerts.list_silences(int(time.time()))) == 2,
    ),
    "alert_silence custom": (
        lambda t: click_body(silence_select(t.alert(), "custom"), trigger="t-custom"),
        lambda t: len(t.fake.calls("views.open")) == 1,
    ),
    "view_submission": (
        lambda t: view_body(t.alert(), trigger="t-view"),
        lambda t: any(
            s.reason == "forged" for s in t.svc.services.alerts.list_silences(int(time.time()))
        ),
    ),
    "silence_remove": (
        lambda t: click_body(
            button("silence_remove", _silence_id(t)),
            trigger="t-remove",
            reply=t.fake.response_url("remove"),
        ),
        lambda t: t.svc.services.alerts.list_silences(int(time.time())) == [],
    ),
    "/events": (
        lambda t: command_body("/events", trigger="t-events", reply=t.fake.response_url("ev")),
        lambda t: len(t.fake.calls("response_url")) == 1,
    ),
    "/silences": (
        lambda t: command_body("/silences", trigger="t-sil", reply=t.fake.response_url("sil")),
        lambda t: len(t.fake.calls("response_url")) == 1,
    ),
}


def applied_once(target: Target, kind: str) -> tuple[str, dict[str, str], Params]:
    """Send a kind of request once and wait for it to apply: its body, its signed
    headers, and the state once settled."""
    build, applied = REPLAYS[kind]
    body = build(target)
    headers = signed(body)
    assert post_slack(target.http, body, headers).status_code == 200
    wait_for(lambda: applied(target), f"{kind} to apply")
    return body, headers, settled(target)


@pytest.mark.parametrize("kind", list(REPLAYS))
def test_a_replayed_request_applies_once(target: Target, tally: Tally, kind: str) -> None:
    """A captured request sent again within 5 minutes must not act a second time."""
    tally.trying(REPLAY, "applied once, the replay changed nothing")
    body, headers, before = applied_once(target, kind)
    again = post_slack(target.http, body, headers)
    assert again.status_code in (200, 401), again.text  # ack it, or refuse it: never act
    time.sleep(SETTLE_S)
    after = settled(target)
    new_calls = [method for method, _ in after["slack"][len(before["slack"]) :]]
    assert new_calls == [], f"the replay made Slack calls: {new_calls}"
    assert changes(before, after) == {}
    tally.holding(REPLAY)


def test_a_replayed_ack_never_acks_or_posts_twice(target: Target, figures: Any) -> None:
    """The heart of it, held apart from the stricter table above: whatever the replay
    answers, the alert keeps its first acknowledgement and the channel gets no second
    post (the figure counts the redraws and notes the replays still cost)."""
    body = click_body(button("alert_ack", _ref(target)), trigger="t-ack-twice")
    headers = signed(body)
    post_slack(target.http, body, headers)
    wait_for(lambda: target.alert().status is AlertStatus.ACKED, "the ack")
    before = settled(target)
    acked = target.alert()
    replays = 3
    for _ in range(replays):
        assert post_slack(target.http, body, headers).status_code in (200, 401)
    after = settled(target)
    assert target.alert().model_dump() == acked.model_dump()
    extra = Counter(method for method, _ in after["slack"][len(before["slack"]) :])
    assert extra["chat.postMessage"] == extra["views.open"] == 0, extra
    figures.add(
        "abuse",
        "Acknowledge replayed",
        f"{replays} replays: acked once by {acked.acked_by}, {extra['chat.postMessage']} extra "
        f"posts; {extra['chat.update']} redraws and {extra['chat.postEphemeral']} stale notes",
    )


# kind → the lazy listener that does its work (Bolt runs it alone for a lazy invocation)
LAZY_LISTENERS = {
    "silence_remove": "answer_remove",
    "/silences": "answer_silences",
    "/events": "answer_events",
    "alert_silence 1h": "silence_chosen",
    "view_submission": "silence_submitted",
}


@pytest.mark.parametrize("kind", list(LAZY_LISTENERS))
def test_a_replay_dressed_as_a_lazy_invocation_runs_nothing(
    target: Target, figures: Any, kind: str
) -> None:
    """Bolt runs a lazy listener alone when a request carries its lazy marks, and Slack's
    signature does not cover headers: a captured request sent again with those marks
    must still run nothing (only the slack Lambda's invocation of itself may carry them)."""
    body, headers, before = applied_once(target, kind)
    marked = {
        **headers,
        "X-Slack-Bolt-Lazy-Only": "1",
        "X-Slack-Bolt-Lazy-Function-Name": LAZY_LISTENERS[kind],
    }
    assert post_slack(target.http, body, marked).status_code == 200
    time.sleep(SETTLE_S)
    after = settled(target)
    new_calls = [method for method, _ in after["slack"][len(before["slack"]) :]]
    assert new_calls == [], f"the marked replay made Slack calls: {new_calls}"
    assert changes(before, after) == {}
    figures.add("abuse", f"replay with Bolt's lazy marks ({kind})", "acked, ran nothing")
