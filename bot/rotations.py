"""On-call rotations, as the routes file's `oncall:` gives them, and who is on call when.

A rotation hands off every `every` (7d unless given) at `handoff` on the wall clock of
its `time_zone`, from `start` on, through its `members` in order: a hand-off at 09:00
stays at 09:00 across daylight saving time. A rotation may instead be a Slack usergroup,
all of whose members are on call.

Layers work as in PagerDuty's schedules: the rotation's own members are the bottom layer,
each of `layers` lies over the ones before it, and the last layer that covers a moment
(it has started, and the moment is inside its `hours` and `days`) says who is on call.
Overrides lie over every layer: the last override (file ones first, then those taken
with `/oncall take`) that covers a moment wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from bot.timeutil import parse_duration

USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
USERGROUP_ID = re.compile(r"S[A-Z0-9]{2,}")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_EVERY = 3600
MAX_EVERY = 366 * 86400
MAX_MEMBERS = 100
# How far ahead the next hand-off is looked for, in changes of any layer or override.
MAX_EDGES = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _clock(value: Any) -> time:
    """ "09:00" → 09:00. YAML 1.1 reads an unquoted 10:30 as the number 630 (base 60),
    so a whole number under a day's minutes is taken as that."""
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    match = _CLOCK.fullmatch(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a time of day; write it like 09:00")
    return time(int(match.group(1)), int(match.group(2)))


def _zone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"{value!r} is not an IANA time zone (like Europe/Paris or UTC)") from err
    return str(value)


ClockTime = Annotated[time, BeforeValidator(_clock)]
TimeZone = Annotated[str, BeforeValidator(_zone)]


def _user_ids(value: list[str]) -> list[str]:
    for user in value:
        if not USER_ID.fullmatch(user):
            raise ValueError(f"{user!r} is not a Slack user id (U… or W…)")
    return value


@dataclass(frozen=True)
class Cover:
    """Someone on call from `start` to `end` (epoch seconds) over every layer: an override
    from the file or one taken with /oncall take."""

    user: str
    start: int
    end: int

    def covers(self, at: int) -> bool:
        return self.start <= at < self.end


class Layer(_Strict):
    """One rotation of members, restricted, when `hours` or `days` say so, to a window of
    the week: `hours: "18:00-09:00"` (it may pass midnight) on `days` (the days a window
    starts on)."""

    name: str | None = None
    members: list[str] = Field(default_factory=list, max_length=MAX_MEMBERS)
    handoff: ClockTime = time(9, 0)
    every: Annotated[int, BeforeValidator(parse_duration)] = 7 * 86400
    time_zone: TimeZone = "UTC"
    start: date | None = None
    hours: str | None = None
    days: list[str] | None = None

    _members = field_validator("members")(_user_ids)

    @field_validator("every")
    @classmethod
    def _every(cls, value: int) -> int:
        if not MIN_EVERY <= value <= MAX_EVERY:
            raise ValueError("every must be between 1h and 366d")
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is not None:
            start, sep, end = value.partition("-")
            if not sep:
                raise ValueError(f"hours {value!r}: write a window like 18:00-09:00")
            _clock(start), _clock(end)
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str] | None) -> list[str] | None:
        for day in value or []:
            if day.lower()[:3] not in DAYS:
                raise ValueError(f"{day!r} is not a day of the week (mon … sun)")
        return value

    @model_validator(mode="after")
    def _rotates(self) -> Layer:
        if self.members and self.start is None:
            raise ValueError("a rotation of members needs `start`, the date its first one starts")
        return self

    # --- the math ----------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def _first(self) -> datetime:
        assert self.start is not None
        return datetime.combine(self.start, self.handoff)

    def _local(self, naive: datetime) -> int:
        """A wall-clock time of the zone as epoch seconds (a time that a change to summer
        time skips is read with the offset before it, as zoneinfo does)."""
        return int(naive.replace(tzinfo=self.zone).timestamp())

    def handoff_at(self, shift: int) -> int:
        """When shift `shift` (0: the first) begins."""
        return self._local(self._first() + timedelta(seconds=shift * self.every))

    def shift_at(self, at: int) -> int | None:
        """The shift under way at `at`; None before the first."""
        if not self.members or at < self.handoff_at(0):
            return None
        wall = datetime.fromtimestamp(at, self.zone).replace(tzinfo=None)
        shift = max(int((wall - self._first()).total_seconds() // self.every), 0)
        while shift > 0 and self.handoff_at(shift) > at:
            shift -= 1
        while self.handoff_at(shift + 1) <= at:
            shift += 1
        return shift

    def _window(self) -> tuple[time, time] | None:
        if self.hours is None:
            return None
        start, _, end = self.hours.partition("-")
        return _clock(start), _clock(end)

    def _days_on(self) -> set[int]:
        return {DAYS.index(d.lower()[:3]) for d in self.days} if self.days else set(range(7))

    def in_window(self, at: int) -> bool:
        """Inside the layer's hours on one of its days (always, when it gives neither)."""
        window, days = self._window(), self._days_on()
        wall = datetime.fromtimestamp(at, self.zone)
        if window is None:
            return wall.weekday() in days
        begin, end = window
        now = wall.time().replace(tzinfo=None)
        if begin < end:
            return begin <= now < end and wall.weekday() in days
        # past midnight (or a whole day when both are the same): the window began today
        # or yesterday
        return (now >= begin and wall.weekday() in days) or (
            now < end and (wall.weekday() - 1) % 7 in days
        )

    def on_call(self, at: int) -> tuple[str, ...] | None:
        """Who this layer puts on call at `at`; None when it does not cover `at`."""
        shift = self.shift_at(at)
        if shift is None or not self.in_window(at):
            return None
        return (self.members[shift % len(self.members)],)

    def next_edge(self, at: int) -> int | None:
        """The first moment after `at` when this layer may change: a hand-off, or an edge
        of its window."""
        shift = self.shift_at(at)
        if not self.members:
            return None
        edges = [self.handoff_at(0 if shift is None else shift + 1)]
        window = self._window()
        if window is not None or self.days:
            begin, end = window or (time(0), time(0))
            day = datetime.fromtimestamp(at, self.zone).date()
            for offset in range(-1, 9):
                for clock in (begin, end):
                    edges.append(self._local(datetime.combine(day + timedelta(offset), clock)))
        later = [edge for edge in edges if edge > at]
        return min(later) if later else None


class Override(_Strict):
    """`user` on call from `from` until `until`: a date-time with its offset, or one read
    on the wall clock of the rotation's zone."""

    user: str
    from_: datetime = Field(alias="from")
    until: datetime

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("user")
    @classmethod
    def _user(cls, value: str) -> str:
        return _user_ids([value])[0]

    @model_validator(mode="after")
    def _ordered(self) -> Override:
        if (self.from_.tzinfo is None) != (self.until.tzinfo is None):
            raise ValueError("give from and until both with an offset, or both without")
        if self.until <= self.from_:
            raise ValueError("until must come after from")
        return self

    def cover(self, zone: ZoneInfo) -> Cover:
        def epoch(at: datetime) -> int:
            return int((at if at.tzinfo else at.replace(tzinfo=zone)).timestamp())

        return Cover(self.user, epoch(self.from_), epoch(self.until))


class Rotation(Layer):
    """A named rotation: its own members (the bottom layer), or a Slack usergroup, or
    only layers; and the overrides that lie over all of them."""

    name: str = Field(min_length=1, max_length=80)
    usergroup: str | None = None
    layers: list[Layer] = Field(default_factory=list, max_length=10)
    overrides: list[Override] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _layers_inherit(cls, data: Any) -> Any:
        """A layer reads the rotation's time zone, hand-off and period unless it gives its own."""
        if not isinstance(data, dict) or not isinstance(data.get("layers"), list):
            return data
        shared = {k: data[k] for k in ("time_zone", "handoff", "every") if k in data}
        layers = [{**shared, **x} if isinstance(x, dict) else x for x in data["layers"]]
        return {**data, "layers": layers}

    @field_validator("usergroup")
    @classmethod
    def _usergroup(cls, value: str | None) -> str | None:
        if value is not None and not USERGROUP_ID.fullmatch(value):
            raise ValueError(f"usergroup {value!r} is not a Slack usergroup id (S…)")
        return value

    @field_validator("layers")
    @classmethod
    def _layers(cls, value: list[Layer]) -> list[Layer]:
        if any(not layer.members for layer in value):
            raise ValueError("each layer needs members")
        return value

    @model_validator(mode="after")
    def _someone(self) -> Rotation:
        if self.usergroup and (self.members or self.layers):
            raise ValueError("a rotation is a usergroup, or members and layers, not both")
        if not (self.usergroup or self.members or self.layers):
            raise ValueError("a rotation needs members, layers or a usergroup")
        return self

    def covers(self, taken: list[Cover]) -> list[Cover]:
        """The overrides in the order they lie: the file's, then those taken."""
        return [o.cover(self.zone) for o in self.overrides] + taken

    def who(self, at: int, taken: list[Cover] | None = None) -> tuple[str, ...]:
        """Who is on call at `at`: user ids, or the usergroup's id for its members."""
        for cover in reversed(self.covers(taken or [])):
            if cover.covers(at):
                return (cover.user,)
        if self.usergroup:
            return (self.usergroup,)
        for layer in reversed([self, *self.layers]):
            found = layer.on_call(at)
            if found is not None:
                return found
        return ()

    def next_handoff(
        self, at: int, taken: list[Cover] | None = None
    ) -> tuple[int, tuple[str, ...]] | None:
        """When the on-call next changes after `at`, and to whom; None when it never does
        (a usergroup with no override ahead) or not within MAX_EDGES changes of layers."""
        covers = self.covers(taken or [])
        now = self.who(at, taken)
        moment = at
        for _ in range(MAX_EDGES):
            edges = [e for layer in (self, *self.layers) if (e := layer.next_edge(moment))]
            edges += [e for c in covers for e in (c.start, c.end) if e > moment]
            if not edges:
                return None
            moment = min(edges)
            who = self.who(moment, taken)
            if who != now:
                return moment, who
        return None

    def members_of_any_layer(self) -> set[str]:
        return {user for layer in (self, *self.layers) for user in layer.members}


def wall_clock(at: int, zone: str) -> str:
    """ "Mon 8 Dec 09:00 Europe/Paris": a moment as the rotation's zone reads it."""
    local = datetime.fromtimestamp(at, ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %H:%M} {zone}"
