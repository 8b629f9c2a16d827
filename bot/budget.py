"""Slack's rate budgets, kept in the store so that every instance spends from one.

Slack allows chat.postMessage at about 1 per second per channel (short bursts aside) and
chat.update at Tier 3 (about 50 per minute per workspace); past that it answers 429. A
token bucket per budget lives in the store as a `State`, spent through conditional
writes, so that two processes or fifty Lambda instances together stay under Slack's
limits. A call the budget cannot pay for now is not made: its work stays pending, due
when the bucket refills, which is how coalescing windows stretch when the budget is short.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from bot.errors import StaleVersionError
from bot.models import State
from bot.optimistic import update_state
from bot.ports import StateStore

SPEND_ATTEMPTS = 5
TOKEN_EPSILON = 1e-6


@dataclass(frozen=True)
class Rate:
    """A token bucket: `burst` calls at once, refilled at `per_s` calls a second."""

    burst: float
    per_s: float


# A little under Slack's own, so that our pacing never provokes a 429 even when calls
# reach Slack a few milliseconds apart from when they were paid for.
POST = Rate(burst=2, per_s=0.9)  # chat.postMessage, per channel
UPDATE = Rate(burst=8, per_s=45 / 60)  # chat.update, per workspace
UPDATE_KEY = "budget:chat.update"


def post_key(channel: str) -> str:
    """Every route to one channel shares its chat.postMessage budget."""
    return f"budget:chat.postMessage:{channel}"


def _wait(data: dict[str, Any], rate: Rate, now: float) -> tuple[float, float]:
    """The seconds until the bucket pays for one call (0.0: now), and its tokens now."""
    blocked = float(data.get("blocked_until", 0.0))
    if now < blocked:  # Slack said Retry-After
        return blocked - now, 0.0
    at = float(data.get("at", now))
    tokens = min(rate.burst, float(data.get("tokens", rate.burst)) + max(now - at, 0) * rate.per_s)
    if tokens < 1 - TOKEN_EPSILON:  # else float rounding would ask for a wait of ~0
        return (1 - tokens) / rate.per_s, tokens
    return 0.0, tokens


def affordable(states: StateStore, key: str, rate: Rate, now: float) -> int:
    """How many calls the budget could pay for now, read without spending: work beyond
    them is left as it is, not claimed and put back."""
    state = states.get_state(key)
    if state is None:
        return int(rate.burst)
    waiting, tokens = _wait(state.data, rate, now)
    return 0 if waiting else int(tokens + TOKEN_EPSILON)


def spend(states: StateStore, key: str, rate: Rate, now: float) -> float:
    """Spend one call from the budget. 0.0 when paid; else the seconds until one can be,
    and nothing is spent."""

    def take(state: State) -> tuple[State, float]:
        data = state.data
        waiting, tokens = _wait(data, rate, now)
        if waiting:
            return state, waiting
        at = float(data.get("at", now))
        blocked = float(data.get("blocked_until", 0.0))
        spent = {"tokens": max(tokens - 1, 0.0), "at": max(now, at), "blocked_until": blocked}
        return state.model_copy(update={"data": spent}), 0.0

    try:
        return update_state(states, key, take, attempts=SPEND_ATTEMPTS)[1]
    except StaleVersionError:  # heavy contention: come back in about one call's time
        return 1 / rate.per_s


def hold(states: StateStore, key: str, until: float) -> None:
    """Slack answered 429 with Retry-After: spend nothing from this budget until `until`."""

    def block(state: State) -> tuple[State, None]:
        if float(state.data.get("blocked_until", 0.0)) >= until:
            return state, None
        return state.model_copy(update={"data": {**state.data, "blocked_until": until}}), None

    with suppress(StaleVersionError):  # contended: the next 429 holds it again
        update_state(states, key, block, attempts=SPEND_ATTEMPTS)
