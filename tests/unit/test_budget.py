"""Slack's rate budgets kept in the store (bot/budget.py)."""

from __future__ import annotations

from adapters.memory import MemoryAlertStore
from bot.budget import POST, affordable, hold, spend

NOW = 1_795_741_202.2222223  # a realistic epoch: float rounding at this size matters


def test_a_burst_then_the_rate():
    alerts = MemoryAlertStore()
    assert spend(alerts, "k", POST, NOW) == 0.0
    assert spend(alerts, "k", POST, NOW) == 0.0
    wait = spend(alerts, "k", POST, NOW)
    assert wait == 1 / POST.per_s


def test_waiting_exactly_the_answer_is_enough_despite_rounding():
    alerts = MemoryAlertStore()
    now = NOW
    for _ in range(200):
        while (wait := spend(alerts, "k", POST, now)) > 0:
            assert wait > 1e-3, "a wait too small to move the clock would never end"
            now += wait
    assert now - NOW < 200 / POST.per_s


def test_a_hold_blocks_until_retry_after():
    alerts = MemoryAlertStore()
    hold(alerts, "k", NOW + 30)
    assert spend(alerts, "k", POST, NOW + 10) == 20
    assert spend(alerts, "k", POST, NOW + 30) == 0.0


def test_affordable_counts_what_spend_would_pay_and_spends_nothing():
    alerts = MemoryAlertStore()
    assert affordable(alerts, "k", POST, NOW) == POST.burst  # never spent: a full bucket
    spend(alerts, "k", POST, NOW)
    version = alerts.get_state("k").version
    assert affordable(alerts, "k", POST, NOW) == 1
    assert alerts.get_state("k").version == version  # read, not written
    spend(alerts, "k", POST, NOW)
    assert affordable(alerts, "k", POST, NOW) == 0
    assert spend(alerts, "k", POST, NOW) > 0  # spend agrees
    assert affordable(alerts, "k", POST, NOW + 1 / POST.per_s) == 1
    hold(alerts, "k", NOW + 30)
    assert affordable(alerts, "k", POST, NOW + 10) == 0
