"""Usergroup members, read from Slack and kept a few minutes: for SLACK_RESPONDERS, and
for on-call rotations that are usergroups."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient


class Usergroups:
    """Usergroup members, read through usergroups.users.list (Tier 2: about 20 a minute)
    and kept for `ttl` seconds, so that a busy incident's clicks do not exhaust it."""

    def __init__(self, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def members(self, client: WebClient, group: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._members.get(group)
        if cached is not None and cached[0] > now:
            return cached[1]
        users: frozenset[str] = frozenset(
            client.usergroups_users_list(usergroup=group).get("users", [])
        )
        with self._lock:
            self._members[group] = (now + self._ttl, users)
        return users
