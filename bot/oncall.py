"""Who is on call for the routes file's rotations, now and next, with the hand-offs people
take with `/oncall take`.

A take is an override kept in the store's state (TAKES_KEY), written through a
conditional write, so that every process (each Lambda instance, the service, the
escalation job) sees it at once. It puts the taker on call for each rotation they are a
member of (of any layer, or of its usergroup), or for every rotation when they are a
member of none, until it ends.

A usergroup rotation is read through `members` (Slack's usergroups.users.list, cached by
the adapter); when it cannot be read, the group's own id stands for its members, so that
a mention still reaches them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass

from bot.models import State
from bot.optimistic import update_state
from bot.ports import StateStore
from bot.rotations import Cover, Rotation
from bot.routing import Routes

log = logging.getLogger(__name__)

TAKES_KEY = "oncall:takes"
DEFAULT_TAKE_S = 3600
MAX_TAKE_S = 7 * 86400
MAX_TAKES = 200  # kept in one state record; the oldest go first
_ATTEMPTS = 5

# A usergroup's id → its members' user ids.
Members = Callable[[str], Collection[str]]


@dataclass(frozen=True)
class OnCall:
    """A rotation at a moment: the routes that name it, who is on call, and who is next
    from when (None: no hand-off ahead)."""

    rotation: str
    routes: tuple[str, ...]
    users: tuple[str, ...]
    time_zone: str
    next_at: int | None = None
    next_users: tuple[str, ...] = ()


def taken(states: StateStore, now: int) -> dict[str, list[Cover]]:
    """The takes still in force at `now` (or ahead of it), by rotation, oldest first."""
    state = states.get_state(TAKES_KEY)
    found: dict[str, list[Cover]] = {}
    for item in state.data.get("takes", []) if state else []:
        if int(item["end"]) > now:
            cover = Cover(str(item["user"]), int(item["start"]), int(item["end"]))
            found.setdefault(str(item["rotation"]), []).append(cover)
    return found


def rotations_for(routes: Routes, user: str, members: Members | None = None) -> list[str]:
    """The rotations `user` takes: those they are a member of, else every one."""
    own = [r.name for r in routes.oncall if user in _members_of(r, members)]
    return own or [r.name for r in routes.oncall]


def take(
    states: StateStore,
    routes: Routes,
    user: str,
    seconds: int,
    now: int,
    members: Members | None = None,
) -> list[str]:
    """Put `user` on call from `now` for `seconds` (at most MAX_TAKE_S) for the rotations
    `rotations_for` picks; returns their names. ValueError for a duration out of bounds."""
    if not 0 < seconds <= MAX_TAKE_S:
        raise ValueError("take at most 7d")
    names = rotations_for(routes, user, members)
    added = [{"rotation": n, "user": user, "start": now, "end": now + seconds} for n in names]

    def add(state: State) -> tuple[State, bool]:
        kept = [t for t in state.data.get("takes", []) if int(t["end"]) > now]
        data = {**state.data, "takes": [*kept, *added][-MAX_TAKES:]}
        return state.model_copy(update={"data": data}), True

    if names:
        update_state(states, TAKES_KEY, add, attempts=_ATTEMPTS)
    return names


def _members_of(rotation: Rotation, members: Members | None) -> set[str]:
    found = rotation.members_of_any_layer()
    if rotation.usergroup:
        found |= set(_expand((rotation.usergroup,), members))
    return found


def _expand(who: tuple[str, ...], members: Members | None) -> tuple[str, ...]:
    """User ids, a usergroup's id read as its members (its id when they cannot be read)."""
    out: list[str] = []
    for item in who:
        group: Collection[str] = (item,)
        if item.startswith("S") and members is not None:
            try:
                group = sorted(members(item)) or (item,)
            except Exception as err:  # a listing or a reminder must not fail on it
                log.warning("could not read usergroup %s: %s", item, err)
        out += [user for user in group if user not in out]
    return tuple(out)


def schedule(
    routes: Routes, states: StateStore, now: int, members: Members | None = None
) -> list[OnCall]:
    """Every rotation, in file order: the routes naming it, who is on call and who next."""
    takes = taken(states, now)
    found = []
    for rotation in routes.oncall:
        mine = takes.get(rotation.name, [])
        ahead = rotation.next_handoff(now, mine)
        found.append(
            OnCall(
                rotation=rotation.name,
                routes=tuple(
                    rule.name or f"routes[{i}]"
                    for i, rule in enumerate(routes.routes)
                    if rule.oncall == rotation.name
                ),
                users=_expand(rotation.who(now, mine), members),
                time_zone=rotation.time_zone,
                next_at=ahead[0] if ahead else None,
                next_users=_expand(ahead[1], members) if ahead else (),
            )
        )
    return found


def on_call_now(
    routes: Routes, states: StateStore, now: int, members: Members | None = None
) -> list[tuple[str, list[str]]]:
    """(rotation name, user ids on call) for every rotation, in file order: for whatever
    shows or invites the on-call (the App Home, an incident's channel)."""
    takes = taken(states, now)
    return [
        (r.name, list(_expand(r.who(now, takes.get(r.name, [])), members))) for r in routes.oncall
    ]


def on_call(
    routes: Routes, name: str | None, states: StateStore, now: int, members: Members | None = None
) -> tuple[str, ...]:
    """Who is on call now for the rotation `name` (nobody when it is not in the file)."""
    rotation = routes.rotation(name)
    if rotation is None:
        return ()
    return _expand(rotation.who(now, taken(states, now).get(rotation.name, [])), members)
