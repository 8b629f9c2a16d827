"""A store outage between a record's claim and its follow-up write: in a running
process the claim is released within seconds of the store coming back, not at its
expiry (CLAIM_S, which stays for processes that die)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from adapters.memory import MemoryAlertStore, MemoryEventStore
from bot.delivery import Delivery, flush, notify
from bot.errors import UnprocessedError
from bot.ingest import ingest
from bot.lifecycle import CLAIM_S
from tests.corpus import load, untimed
from tests.fakes import FakeChat, FakeClock
from tests.figures import Figures

OUTAGE_S = 15
FLUSH_EVERY_S = 2  # the service's flush job


class StoreThatGoesDown(MemoryAlertStore):
    """Goes down for OUTAGE_S right after the next alert is created: the claim is
    written, and every write after it fails until the store is back."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.down_until = 0.0
        self.arm = True

    def _check(self) -> None:
        if self.clock.now() < self.down_until:
            raise UnprocessedError("store: connection refused")

    def create_alert(self, alert: Any, applied: str | None = None) -> None:
        self._check()
        super().create_alert(alert, applied)
        if self.arm:
            self.arm = False
            self.down_until = self.clock.now() + OUTAGE_S

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        guarded = {"get_alert", "find_alert", "was_applied", "update_alert", "list_pending",
                   "list_alerts", "list_silences", "get_state", "put_state"}  # fmt: skip
        if name in guarded:
            check = super().__getattribute__("_check")

            def call(*args: Any, **kwargs: Any) -> Any:
                check()
                return attribute(*args, **kwargs)

            return call
        return attribute


def alarm() -> dict[str, Any]:
    event = untimed(load("cloudwatch_alarm_state_change_single_metric.json"))
    event["id"] = "evt-outage"
    return event


def test_after_a_15_s_outage_the_first_post_waits_at_most_30_s(figures: Figures) -> None:
    clock = FakeClock()
    store = StoreThatGoesDown(clock)
    chat = FakeChat()
    delivery = Delivery(alerts=store, chat=chat, clock=clock, channel="C0ALERTS")
    start = clock.now()
    ingest(
        alarm(), MemoryEventStore(), clock, ttl=3600, on_new=lambda e, s, _: notify(e, s, delivery)
    )
    assert chat.posts == []  # the claim is written; paying for the post failed
    assert store.down_until == start + OUTAGE_S

    posted_at = None
    while clock.now() < start + CLAIM_S:
        clock.advance(FLUSH_EVERY_S)
        with suppress(UnprocessedError):  # the flush job logs it and runs again
            flush(delivery)
        if chat.posts:
            posted_at = clock.now()
            break
    assert posted_at is not None, "the alert was never posted before its claim expired"
    assert posted_at - store.down_until <= 30
    (alert,) = store.list_alerts()
    assert alert.message is not None and not alert.outbox.in_flight
    assert len(chat.posts) == 1
    figures.add(
        "faults",
        f"store down {OUTAGE_S} s between an alert's claim and its post (flush every "
        f"{FLUSH_EVERY_S} s)",
        f"posted {posted_at - store.down_until:.0f} s after the store came back "
        f"(the claim's expiry: {CLAIM_S} s), 1 root",
    )


def test_a_claim_whose_write_fails_is_kept_until_it_is_written() -> None:
    clock = FakeClock()
    store = StoreThatGoesDown(clock)
    delivery = Delivery(alerts=store, chat=FakeChat(), clock=clock, channel="C0ALERTS")
    ingest(
        alarm(), MemoryEventStore(), clock, ttl=3600, on_new=lambda e, s, _: notify(e, s, delivery)
    )
    assert len(delivery.unrecorded) == 1  # its release could not be written yet
    clock.advance(OUTAGE_S + 1)
    flush(delivery)
    assert delivery.unrecorded == []
