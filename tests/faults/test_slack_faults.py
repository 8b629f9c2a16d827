"""Slack misbehaving under a burst of alerts: 429s with Retry-After, a run of 500s, and
posts whose answer is lost after Slack applied them.

The service runs under uvicorn on SQLite; the fake Slack keeps its rate limits; both
share one injected clock, and the test plays the flush job. Whatever Slack does, every
acknowledged event must be stored, every alert must end with exactly one root whose
thread tells each repeat once, and nothing may be left pending.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.e2e.conftest import RunningService
from tests.fakes import FakeClock
from tests.faults.support import audit, in_store, ingest_all, post_counts, settle, storm_of
from tests.figures import Figures
from tests.slack.fake_slack import FakeSlack


def _finish(service: RunningService, fake_slack: FakeSlack, clock: FakeClock, accepted: list[str]):
    """The flush job until nothing is due, then the audit of store against Slack."""
    settle(lambda: service.services.delivery, clock)
    services = service.services
    return audit(
        fake_slack,
        services.alerts.list_alerts(limit=1000),
        accepted,
        in_store(services.events, clock.now),
    )


def _statuses(fake_slack: FakeSlack, method: str) -> Counter[int]:
    return Counter(call.status for call in fake_slack.calls(method))


def test_slack_429_with_retry_after_on_posts_and_edits(
    http, service, fake_slack: FakeSlack, clock: FakeClock, figures: Figures
) -> None:
    """429s the client's own retries wait out (on the clock), then 429s that outlast them
    and must hold the budget until Retry-After: no post is lost or made twice."""
    events = storm_of(12, 5, prefix="r429", resolve_alarms=True)
    half = len(events) // 2
    delivery = lambda: service.services.delivery  # noqa: E731
    fake_slack.fail_next("chat.postMessage", times=6, status=429, retry_after=2)
    fake_slack.fail_next("chat.update", times=6, status=429, retry_after=3)
    accepted = ingest_all(http, delivery, clock, events[:half])
    # Past the client's three retries: the work goes back, held until Retry-After.
    fake_slack.fail_next("chat.postMessage", times=5, status=429, retry_after=7)
    fake_slack.fail_next("chat.update", times=5, status=429, retry_after=7)
    accepted += ingest_all(http, delivery, clock, events[half:])
    result = _finish(service, fake_slack, clock, accepted)

    posts, edits = _statuses(fake_slack, "chat.postMessage"), _statuses(fake_slack, "chat.update")
    assert posts[429] >= 11 and edits[429] >= 11  # every injected 429 was met
    result.assert_clean()
    assert (result.events, result.alerts, result.roots) == (len(events), 12, 12)
    figures.add(
        "faults",
        "Slack 429 with Retry-After on chat.postMessage and chat.update",
        f"{result.line()}, {posts[429] + edits[429]} answers 429",
    )


@pytest.mark.parametrize("method", ["chat.postMessage", "chat.update"])
def test_slack_500_twenty_times_in_a_row(
    http, service, fake_slack: FakeSlack, clock: FakeClock, figures: Figures, method: str
) -> None:
    """Twenty 500s in a row: posts (outcome unknown, so looked for before each retry)
    and edits (retried by the client, then put back) all end done, once."""
    events = storm_of(8, 4, prefix=f"e500-{method}")
    fake_slack.fail_next(method, times=20, status=500)
    accepted = ingest_all(http, lambda: service.services.delivery, clock, events)
    result = _finish(service, fake_slack, clock, accepted)

    assert _statuses(fake_slack, method)[500] == 20  # the whole run of 500s was served
    result.assert_clean()
    assert (result.events, result.alerts, result.roots) == (len(events), 8, 8)
    figures.add("faults", f"Slack 500 x20 in a row on {method}", result.line())


def test_lost_answers_to_root_posts_do_not_double_roots(
    http, service, fake_slack: FakeSlack, clock: FakeClock, figures: Figures
) -> None:
    """Slack takes each alert's first post, then the connection drops before the answer:
    the retry must find the message by its metadata instead of posting it again."""
    alerts = 8
    events = storm_of(alerts, 3, prefix="lost-root")
    fake_slack.drop_response_next("chat.postMessage", times=alerts)
    accepted = ingest_all(http, lambda: service.services.delivery, clock, events[:alerts])
    assert post_counts(fake_slack)["dropped"] == alerts  # each root's answer was lost
    accepted += ingest_all(http, lambda: service.services.delivery, clock, events[alerts:])
    result = _finish(service, fake_slack, clock, accepted)

    result.assert_clean()
    assert (result.alerts, result.roots) == (alerts, alerts)
    figures.add("faults", "lost answers to root posts (applied, connection dropped)", result.line())


@pytest.mark.parametrize(
    "method", ["chat.postMessage", "chat.update"], ids=["thread replies", "root edits"]
)
def test_lost_answers_after_the_roots_are_in(
    http, service, fake_slack: FakeSlack, clock: FakeClock, figures: Figures, method: str
) -> None:
    """Roots posted cleanly; then the answers to the next replies (or edits) are lost
    after Slack applied them. An edit is safe to repeat; a reply told twice is a double."""
    alerts = 6
    events = storm_of(alerts, 4, prefix=f"lost-{method}")
    delivery = lambda: service.services.delivery  # noqa: E731
    accepted = ingest_all(http, delivery, clock, events[:alerts])
    settle(delivery, clock)
    fake_slack.drop_response_next(method, times=4)
    accepted += ingest_all(http, delivery, clock, events[alerts:], every=3)
    result = _finish(service, fake_slack, clock, accepted)

    dropped = sum(call.dropped for call in fake_slack.calls(method))
    assert dropped == 4  # every injected loss happened
    what = "thread replies" if method == "chat.postMessage" else "root edits"
    figures.add("faults", f"lost answers to {what} (applied, connection dropped)", result.line())
    result.assert_clean()
    assert (result.alerts, result.roots) == (alerts, alerts)
