"""Who may act on alerts and silences. SLACK_RESPONDERS names users and usergroups (ids
starting with S); left empty, it lets everyone. Slack rate-limits reading a usergroup's
members, so they are kept a few minutes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection

from slack_sdk import WebClient

log = logging.getLogger(__name__)

NOT_ALLOWED = "You are not one of the responders (SLACK_RESPONDERS); nothing was done."


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


class Responders:
    """SLACK_RESPONDERS: its users, and its usergroups' members, may act; everyone may
    when it is empty. One instance serves the whole app, so the groups' cache is shared."""

    def __init__(self, allowed: Collection[str], groups: Usergroups | None = None) -> None:
        self._allowed = tuple(allowed)
        self._groups = groups or Usergroups()

    def allow(self, client: WebClient, user: str) -> bool:
        if not self._allowed or user in self._allowed:
            return True
        for group in (g for g in self._allowed if g.startswith("S")):
            try:
                if user in self._groups.members(client, group):
                    return True
            except Exception as err:  # a lookup that fails refuses, never allows
                log.warning("could not read usergroup %s: %s", group, err)
        return False
