"""Who may act on alerts and silences. SLACK_RESPONDERS names users and usergroups (ids
starting with S); left empty, it lets everyone. Slack rate-limits reading a usergroup's
members, so they are kept a few minutes."""

from __future__ import annotations

import logging
from collections.abc import Collection

from slack_sdk import WebClient

from adapters.slack_usergroups import Usergroups

log = logging.getLogger(__name__)

__all__ = ["NOT_ALLOWED", "Responders", "Usergroups"]

NOT_ALLOWED = "You are not one of the responders (SLACK_RESPONDERS); nothing was done."


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
