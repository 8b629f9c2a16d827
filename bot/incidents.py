"""Incidents as data: the incident channel's name, who is invited, the record that ties a
channel to its alerts, and the timeline and summary `/incident` shows.

Nothing here talks to Slack; bot/incident_actions.py declares and closes incidents
through the Chat port, and blocks/incident.py draws what is built here.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pydantic import Field

from bot.errors import ChatRejectedError, ChatUnavailableError
from bot.models import Alert, Model, State
from bot.ports import Chat
from bot.timeutil import utc

log = logging.getLogger(__name__)

# Slack's channel names: at most 80 characters; lowercase letters, digits, hyphens and
# underscores; no spaces or periods.
MAX_NAME = 80
PREFIX = "inc"
FALLBACK_SLUG = "incident"
NAME_TRIES = 20  # -2 … -20: a title declared this often in one day is its own problem
STATE_PREFIX = "incident:"

_NOT_SLUG = re.compile(r"[^a-z0-9]+")

# The on-call of an alert, as user ids (its route's rotation: declare_incident's on_call).
OnCall = Callable[[Alert], list[str]]


def nobody(alert: Alert) -> list[str]:
    """The on-call when none is known: nobody more is invited."""
    return []


def slug(title: str) -> str:
    """The title as a channel name's words: lowercase a-z0-9 runs joined by hyphens."""
    words = _NOT_SLUG.sub("-", title.lower()).strip("-")
    return words or FALLBACK_SLUG


def channel_name(title: str, at: int, attempt: int = 1) -> str:
    """`inc-<yyyymmdd>-<slug>`, with `-<attempt>` from the second attempt on, cut to fit
    Slack's 80 characters (the suffix is kept, the slug is shortened)."""
    head = f"{PREFIX}-{utc(at):%Y%m%d}-"
    tail = f"-{attempt}" if attempt > 1 else ""
    words = slug(title)[: MAX_NAME - len(head) - len(tail)].rstrip("-") or FALLBACK_SLUG
    return f"{head}{words}{tail}"


def channel_names(title: str, at: int, tries: int = NAME_TRIES) -> Iterator[str]:
    """The names to try in turn, each one Slack answered `name_taken` for leading to the next."""
    for attempt in range(1, tries + 1):
        yield channel_name(title, at, attempt)


def incident_invitees(alert: Alert, clicker: str, on_call: OnCall = nobody) -> list[str]:
    """Who is invited to an alert's incident channel, each once: the person who declared
    it, whoever acknowledged the alert, and the alert's on-call (`on_call`)."""
    wanted = [clicker, alert.acked_by or "", *on_call(alert)]
    return [user for user in dict.fromkeys(wanted) if user]


class Incident(Model):
    """An incident channel and the alerts it is about, kept under `state_key(channel)` so
    that `/incident` in the channel finds them."""

    channel: str
    name: str
    alerts: list[str] = Field(default_factory=list)
    declared_by: str
    declared_at: int
    closed_by: str | None = None
    closed_at: int | None = None


def state_key(channel: str) -> str:
    return f"{STATE_PREFIX}{channel}"


def incident_of(state: State | None) -> Incident | None:
    """The incident a state record holds; None for no record."""
    return Incident.model_validate(state.data) if state is not None else None


def to_state(incident: Incident, version: int = 0) -> State:
    return State(key=state_key(incident.channel), version=version, data=incident.model_dump())


def mirrored(text: str) -> str:
    """An alert's thread reply as its incident channel shows it."""
    return f"On the alert: {text}"


@dataclass(frozen=True)
class Moment:
    """One line of a timeline: when, what, who (a user id), and about which alert."""

    at: int
    what: str
    by: str | None = None
    note: str | None = None
    alert: str = ""  # the alert's title


# History actions as a timeline says them; others are shown as they are named.
_WORDS = {
    "fired": "fired",
    "acknowledged": "acknowledged",
    "unacknowledged": "took back the acknowledgement",
    "resolved": "resolved",
    "recovered": "recovered",
    "reopened": "reopened",
    "silenced": "silenced",
    "unsilenced": "lifted the silence",
    "silence ended": "silence ended",
    "incident declared": "incident declared",
    "incident closed": "incident closed",
}
_QUIET = frozenset({"posted", "folded", "noted", "not posted"})  # delivery, not the incident


def timeline(incident: Incident, alerts: list[Alert]) -> list[Moment]:
    """What happened, oldest first: each alert's history (fired, acks, silences,
    recovery, the declaration), its repeats, and the close."""
    moments: list[Moment] = []
    for alert in alerts:
        for entry in alert.history:
            if entry.action in _QUIET:
                continue
            what = _WORDS.get(entry.action, entry.action)
            moments.append(Moment(entry.at, what, entry.by, entry.note, alert.title))
        if alert.count > 1:
            note = f"{alert.count} times since the first"
            moments.append(Moment(alert.last_seen, "seen again", None, note, alert.title))
    if incident.closed_at is not None and not any(m.what == "incident closed" for m in moments):
        moments.append(Moment(incident.closed_at, "incident closed", incident.closed_by))
    return sorted(moments, key=lambda m: m.at)


@dataclass(frozen=True)
class Summary:
    """What closing an incident sums up."""

    name: str
    started_at: int
    ended_at: int
    actors: list[tuple[str, list[str]]]  # user id → what they did, most active first
    alerts: list[Alert]

    @property
    def duration(self) -> int:
        return max(self.ended_at - self.started_at, 0)


def summary(incident: Incident, alerts: list[Alert], now: int) -> Summary:
    """From the first alert's firing (or the declaration) to `now` (or the close)."""
    moments = timeline(incident, alerts)
    started = min(
        [incident.declared_at, *((a.opened_at or a.first_seen) for a in alerts)], default=now
    )
    done: dict[str, Counter[str]] = {}
    for moment in moments:
        if moment.by:
            done.setdefault(moment.by, Counter())[moment.what] += 1
    actors = sorted(done.items(), key=lambda item: -sum(item[1].values()))
    return Summary(
        name=incident.name,
        started_at=started,
        ended_at=incident.closed_at or now,
        actors=[(user, _tally(counts)) for user, counts in actors],
        alerts=alerts,
    )


def _tally(counts: Counter[str]) -> list[str]:
    return [what if n == 1 else f"{what} ×{n}" for what, n in counts.items()]


def tell_incident(chat: Chat, alert: Alert, text: str) -> None:
    """Tell the alert's live incident channel what its thread was told (an ack, a
    resolve by hand); Slack failing there loses nothing the thread has."""
    if alert.incident is None or not alert.incident.live:
        return
    try:
        chat.post_text(alert.incident.channel, mirrored(text))
    except (ChatUnavailableError, ChatRejectedError) as err:
        log.warning("alert %s: its incident channel was not told: %s", alert.id, err)
