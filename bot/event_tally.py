"""A range of events counted in groups: what the daily report needs, as a store aggregates it.

The report counts events by source, account, severity and hour, and lists each alert
(fingerprint) with its events' count, its first event's source and account, its latest
title and state, and its worst severity. Events alike in everything but their time (the
same `EventSummary`) can be counted as one `EventGroup`: how many they are, and the keys of
the first and the last of them. So a store hands over groups instead of events. Stores
keep each event's summary beside it as one text (`stored_summary`) and group on it: SQL
GROUP BY on SQLite; a fold of the items' projected summaries where the store cannot group
(DynamoDB, memory), with `EventGrouper`. The hours are counted beside the groups.

Groups come ordered by their first event, which is the order in which a pass over the
events meets sources, accounts and alerts; the report's ties keep that order.

A row stored without a summary (before summaries were kept, or an event without
fingerprints) has nothing to be grouped by: the store yields that event whole, in the
same order, and the report interprets it again when it has no fingerprints.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from bot.models import Event, Severity, SignalState

HOUR_S = 3600

EventKey = tuple[int, str]  # (published_at, id): the order in which a range is read


@dataclass(frozen=True, slots=True)
class EventSummary:
    """What the report reads of one event: what events are grouped by."""

    fingerprints: tuple[str, ...]
    source: str
    account: str
    title: str
    severity: Severity
    state: SignalState

    @classmethod
    def of(cls, event: Event, fingerprints: Iterable[str] | None = None) -> EventSummary:
        """The event's summary; `fingerprints` replace the stored ones when given."""
        return cls(
            fingerprints=tuple(event.fingerprints if fingerprints is None else fingerprints),
            source=event.source,
            account=event.account,
            title=event.title,
            severity=event.severity,
            state=event.state,
        )

    def dumps(self) -> str:
        """The summary as a store keeps it: JSON, the same text for the same summary, so
        that a store groups on the text as it is and reads one value per event."""
        fields = [list(self.fingerprints), self.source, self.account, self.title,
                  self.severity.value, self.state.value]  # fmt: skip
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> EventSummary:
        fingerprints, source, account, title, severity, state = json.loads(text)
        return cls(
            tuple(fingerprints), source, account, title, Severity(severity), SignalState(state)
        )


def stored_summary(event: Event) -> str | None:
    """What a store keeps beside the event for its tally: the summary's text, or None for
    an event without fingerprints, which the store then yields whole."""
    return EventSummary.of(event).dumps() if event.fingerprints else None


@dataclass(frozen=True, slots=True)
class EventGroup:
    """`count` events of one summary; `first` and `last` are the keys of the first and
    last of them."""

    summary: EventSummary
    count: int
    first: EventKey
    last: EventKey


@dataclass(frozen=True)
class EventTally:
    """A range's events as a store counted them.

    `hours` counts the grouped events by hour (the hour's first second, epoch seconds).
    `groups` yields, once, the groups and the events stored without fingerprints, together
    in the order of their first event; such an event is not in `hours`.
    """

    hours: Mapping[int, int]
    groups: Iterator[EventGroup | Event]


def event_key(event: Event) -> EventKey:
    return (event.published_at, event.id)


def parse_key(text: str) -> EventKey:
    """A key from its text form, `<published_at as 12 digits>#<id>`, which sorts as the
    key does (a DynamoDB sort key; a SQL aggregate)."""
    return int(text[:12]), text[13:]


def hour_of(published_at: int) -> int:
    """The first second of the hour `published_at` falls in."""
    return published_at - published_at % HOUR_S


def first_key(item: EventGroup | Event) -> EventKey:
    return item.first if isinstance(item, EventGroup) else event_key(item)


def tally_of(
    hours: Mapping[int, int], groups: Iterable[EventGroup], whole: Iterable[Event]
) -> EventTally:
    """The tally of `groups` and of the `whole` events, each already ordered by first
    event; merged lazily, so the whole events are read as the report goes."""
    return EventTally(hours, heapq.merge(groups, whole, key=first_key))


@dataclass
class _Run:
    count: int
    first: EventKey
    last: EventKey


@dataclass
class EventGrouper:
    """Folds events one at a time into groups and hours, for a store that cannot group:
    memory grows with the distinct summaries, not with the events. Summaries are taken
    as stored (`EventSummary.dumps`) and read once a group."""

    hours: Counter[int] = field(default_factory=Counter)
    _runs: dict[str, _Run] = field(default_factory=dict)

    def add(self, key: EventKey, summary: str) -> None:
        """One event, in any order."""
        self.hours[hour_of(key[0])] += 1
        run = self._runs.get(summary)
        if run is None:
            self._runs[summary] = _Run(1, key, key)
            return
        run.count += 1
        run.first = min(run.first, key)
        run.last = max(run.last, key)

    def groups(self) -> list[EventGroup]:
        """The groups so far, by first event."""
        found = [
            EventGroup(EventSummary.loads(text), run.count, run.first, run.last)
            for text, run in self._runs.items()
        ]
        return sorted(found, key=lambda g: g.first)
