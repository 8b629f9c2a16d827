"""The App Home: what each person's Home tab shows, and when it is published again.

A Home tab is published when its person opens it, and again by the `home` job while they
may be looking: for an hour after they last opened it, at most once a minute each, and
only when what it shows changed. Nothing on the alert path marks a home out of date: each
run reads what the homes show once (the open alerts, the silences, the stale agents, who
is on call, the last daily report), computes each person's home, and compares its digest
with the one last published, so that an event costs no write for the homes, and a run
costs one read when nobody opened a home within the hour.

Who opened a home, and what was last published to them, is one small `State`
(VIEWERS_KEY), written once per opening and once per run that published something.
Publishes are paid from a views.publish budget (Slack's Tier 4, about 100 a minute per
workspace); a person the budget cannot pay for now waits for the next run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.agent_health import all_agents, problem_of
from bot.budget import Rate, hold, spend
from bot.daily_report import previous_day, report_key
from bot.errors import ChatRejectedError, ChatUnavailableError, StaleVersionError
from bot.models import Agent, Alert, AlertStatus, Silence, State
from bot.models.home import Home, OnCall, ReportLink
from bot.optimistic import update_state
from bot.ports import AgentStore, Chat, Clock, DeliveryStore

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

VIEWERS_KEY = "home:viewers"
WATCH_S = 3600  # a home opened within the last hour is kept up to date
REFRESH_S = 60  # at most one publish a minute per person
ALERTS_READ = 500  # open (and acknowledged) alerts read per run; the view shows far fewer
REPORT_DAYS = 3  # how far back the last daily report is looked for
# views.publish is Tier 4 (100+ a minute per workspace): paced a little under it.
PUBLISH = Rate(burst=10, per_s=90 / 60)
PUBLISH_KEY = "budget:views.publish"
_ATTEMPTS = 5


@dataclass(frozen=True)
class Board:
    """What every home shows alike, read once per run."""

    now: int
    open_alerts: tuple[Alert, ...]
    acked: tuple[Alert, ...]
    silences: tuple[Silence, ...]
    stale_agents: tuple[Agent, ...]
    on_call: tuple[tuple[str, tuple[str, ...]], ...] | None
    last_report: ReportLink | None
    capped: bool

    def home_of(self, user: str) -> Home:
        mine = tuple(a for a in self.acked if a.acked_by == user)
        return Home(
            user=user,
            now=self.now,
            open_alerts=self.open_alerts,
            mine=mine,
            acked_by_others=len(self.acked) - len(mine),
            silences=self.silences,
            stale_agents=self.stale_agents,
            on_call=self.on_call,
            last_report=self.last_report,
            capped=self.capped,
        )


def digest(home: Home) -> str:
    """What the home shows, as a short hash: equal digests draw the same home (but for
    the time it was drawn at). Counts of repeats are left out, so that a noisy alert does
    not republish every home each minute; a silence is in as until when it holds, and an
    incident as its channel while it is open (its button gives way to the channel)."""

    def alert(a: Alert) -> list[Any]:
        silenced = a.silenced_until if a.silenced_until and a.silenced_until > home.now else None
        incident = a.incident.channel if a.incident and a.incident.closed_at is None else None
        shown = [a.id, a.state_version, a.status, a.severity, a.title, a.account]
        return [*shown, silenced, incident]

    shown = {
        "open": [alert(a) for a in home.open_alerts],
        "mine": [alert(a) for a in home.mine],
        "others": home.acked_by_others,
        "silences": [s.model_dump() for s in home.silences],
        "agents": [[a.id, a.region, a.last_seen] for a in home.stale_agents],
        "on_call": home.on_call,
        "report": home.last_report and [home.last_report.day, home.last_report.ts],
        "capped": home.capped,
    }
    text = json.dumps(shown, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def worst_first(alerts: Iterable[Alert]) -> tuple[Alert, ...]:
    """By severity, worst first; then the most recently seen first."""
    return tuple(sorted(alerts, key=lambda a: (-a.severity.rank, -a.last_seen, a.id)))


def _alerts(store: DeliveryStore, status: AlertStatus) -> list[Alert]:
    return [a for a in store.list_alerts(status, limit=ALERTS_READ) if a.kind == "alert"]


def stale_agents(agents: AgentStore, now: int, stale_after: int) -> tuple[Agent, ...]:
    """The agents not heard from for `stale_after`, longest silent first."""
    stale = [a for a in all_agents(agents) if problem_of(a, now, stale_after, None)[0] == "stale"]
    return tuple(sorted(stale, key=lambda a: (a.last_seen or a.deployed_at or a.created_at, a.id)))


def last_report(store: DeliveryStore, now: int, channel: str) -> ReportLink | None:
    """The newest daily report of the last REPORT_DAYS days whose summary was posted;
    `channel` for a report whose progress predates recording its channel."""
    latest = previous_day(now)
    for day in (latest - timedelta(days=back) for back in range(REPORT_DAYS)):
        state = store.get_state(report_key(day))
        if state is not None and state.data.get("ts"):
            where = str(state.data.get("channel") or channel)
            return ReportLink(day.isoformat(), where, str(state.data["ts"]))
    return None


def _on_call(on_call: OnCall | None) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    if on_call is None:
        return None
    try:
        return tuple((str(name), tuple(users)) for name, users in on_call())
    except Exception:  # the rest of the home is still worth showing
        log.exception("reading who is on call failed; the home shows none")
        return ()


@dataclass
class Homes:
    """The Home tab's use cases: publish a person's home now (`show`), and keep the
    homes people are looking at up to date (`refresh`)."""

    store: DeliveryStore  # alerts, silences, the viewers' record, the publish budget
    agents: AgentStore
    chat: Chat
    clock: Clock
    stale_after: int  # AGENT_STALE_AFTER
    report_channel: str
    on_call: OnCall | None = None
    budgeted: bool = True  # False: the chat has no rate limit to pay for (the console)

    def board(self, now: int) -> Board:
        open_alerts = _alerts(self.store, AlertStatus.OPEN)
        acked = _alerts(self.store, AlertStatus.ACKED)
        return Board(
            now=now,
            open_alerts=worst_first(open_alerts),
            acked=tuple(sorted(acked, key=lambda a: (-(a.acked_at or 0), a.id))),
            silences=tuple(self.store.list_silences(now)),
            stale_agents=stale_agents(self.agents, now, self.stale_after),
            on_call=_on_call(self.on_call),
            last_report=last_report(self.store, now, self.report_channel),
            capped=len(open_alerts) >= ALERTS_READ,
        )

    def show(self, user: str) -> bool:
        """Publish `user`'s home now (they opened it, or changed something from it), and
        watch it for the next hour. False when the budget or Slack could not take it now:
        the next run of `refresh` publishes it."""
        now = int(self.clock.now())
        home = self.board(now).home_of(user)
        published = self._publish(home, now)
        if published:
            self._record({user: {"opened": now, "published": now, "digest": digest(home)}}, now)
        else:  # due at the next run, whatever was published before
            self._record({user: {"opened": now, "published": 0, "digest": None}}, now)
        return published

    def refresh(self) -> int:
        """Publish again the homes opened within the hour whose content changed, at most
        once a minute each; how many were published."""
        now = int(self.clock.now())
        state = self.store.get_state(VIEWERS_KEY)
        viewers: dict[str, dict[str, Any]] = dict(state.data.get("users", {})) if state else {}
        watching = {u: v for u, v in viewers.items() if int(v.get("opened", 0)) > now - WATCH_S}
        due = sorted(
            (u for u, v in watching.items() if int(v.get("published", 0)) <= now - REFRESH_S),
            key=lambda u: (int(watching[u].get("published", 0)), u),
        )
        changes: dict[str, dict[str, Any]] = {}
        if due:
            board = self.board(now)
            for user in due:
                home = board.home_of(user)
                shown = digest(home)
                if shown == watching[user].get("digest"):
                    continue
                if not self._publish(home, now):
                    break  # the budget or Slack says not now: the rest wait for the next run
                changes[user] = {"published": now, "digest": shown}
        if changes or len(watching) < len(viewers):
            self._record(changes, now)
        return len(changes)

    def _publish(self, home: Home, now: int) -> bool:
        """Publish one home, paid from the budget. A home Slack refuses (a user who left)
        counts as published, so that it is not tried again every minute."""
        if self.budgeted and spend(self.store, PUBLISH_KEY, PUBLISH, now) > 0:
            return False
        try:
            self.chat.publish_home(home)
        except ChatUnavailableError as err:
            if err.retry_after:
                hold(self.store, PUBLISH_KEY, now + err.retry_after)
            log.warning("publishing the home of %s failed: %s", home.user, err)
            return False
        except ChatRejectedError as err:
            log.warning("Slack refused the home of %s: %s", home.user, err)
        return True

    def _record(self, changes: Mapping[str, Mapping[str, Any]], now: int) -> None:
        """Merge `changes` into the viewers' record, and drop those not watching."""

        def merge(state: State) -> tuple[State, bool]:
            users = dict(state.data.get("users", {}))
            for user, seen in changes.items():
                users[user] = {**users.get(user, {}), **seen}
            kept = {u: v for u, v in users.items() if int(v.get("opened", 0)) > now - WATCH_S}
            return state.model_copy(update={"data": {**state.data, "users": kept}}), True

        try:
            update_state(self.store, VIEWERS_KEY, merge, attempts=_ATTEMPTS)
        except StaleVersionError:  # contended: a later opening or run records it again
            log.warning("could not record the homes published at %d", now)


def homes_of(services: Services) -> Homes:
    """The Home tab's use cases on a running bot's services."""
    return Homes(
        store=services.alerts,
        agents=services.agents,
        chat=services.chat,
        clock=services.clock,
        stale_after=services.settings.agent_stale_after,
        report_channel=services.report_channel,
        on_call=services.on_call,
        budgeted=services.delivery.budgeted,
    )
