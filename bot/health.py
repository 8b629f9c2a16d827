"""The service's health, as /healthz reports it: do its stores take a write and answer a
read, does its Slack token work, and is Slack work piling up.

The store probes run in one worker thread, waited on for HEALTH_PROBE_TIMEOUT at most,
so that /healthz answers even when the store hangs; and the whole answer is reused for
HEALTH_TTL_S, so that callers, who need no token, cannot turn it into load.

A failing store or Slack token is "failing" (503): no alert can reach anyone, so a load
balancer should look elsewhere and someone should be paged. A late backlog is only
"degraded" (200): alerts are late, not lost, and pulling the instance would not deliver
them any sooner.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from bot.config import Settings
from bot.errors import MonitoringException, RequestTimeoutError
from bot.models import ListEventsDTO, Model
from bot.ports import AlertStore, Chat, Heartbeat, StateStore
from bot.services import Services

log = logging.getLogger(__name__)

AUTH_TTL_S = 60.0  # Slack rate-limits auth.test; a load balancer may ask every few seconds
HEALTH_TTL_S = 5.0  # one probe of the stores per process in this long, however many ask
BACKLOG_CAP = 1000  # records counted at most: a bounded read even in a storm
BACKLOG_LATE_S = 300  # due work older than this makes the bot "degraded"
BACKLOG_WARN = 100  # due records worth a warning even when none is late yet
EVENT_WINDOW_S = 86_400  # the event read spans a day: one or two buckets, not the table
DETAIL_MAX = 300
MIN_SECRET_LEN = 4  # shorter "secrets" would blank out ordinary words
# Slack tokens look like this wherever they come from: hide them even if unconfigured.
_SLACK_TOKEN = re.compile(r"\bx(?:ox[a-z]|app)-[A-Za-z0-9-]+")

CheckStatus = Literal["ok", "console", "late", "failing"]


class Check(Model):
    """One dependency's verdict; `detail` says what is wrong in plain words."""

    status: CheckStatus
    detail: str | None = None
    ms: float | None = None  # how long the probe took
    checked_s_ago: int | None = None  # for a cached result (Slack auth)


class Health(Model):
    """The /healthz body."""

    status: Literal["ok", "degraded", "failing"]
    checks: dict[str, Check]
    backlog: int | None  # pending notifications due now; None when the store is unreadable
    backlog_capped: bool = False  # True: at least `backlog` (BACKLOG_CAP), maybe more
    backlog_oldest_s: int | None = None  # how long the oldest due one has waited
    checked_s_ago: int | None = None  # for a cached answer (HEALTH_TTL_S)

    @property
    def http_status(self) -> int:
        return 503 if self.status == "failing" else 200


@dataclass(frozen=True)
class Backlog:
    """Slack work due now and not done: what the flush job has yet to catch up on."""

    count: int
    capped: bool
    oldest_s: int | None

    @property
    def late(self) -> bool:
        return self.oldest_s is not None and self.oldest_s > BACKLOG_LATE_S

    @property
    def shown(self) -> str:
        """The count as people read it: "1000+" when capped."""
        return f"{self.count}+" if self.capped else str(self.count)


def measure_backlog(alerts: AlertStore, now: float) -> Backlog:
    """The pending records due at `now`, counted up to BACKLOG_CAP, and the age of the
    oldest (they come soonest due first). A record backing off after a failure is not
    due yet, so this measures how far behind the flush job is."""
    due = alerts.list_pending(int(now), limit=BACKLOG_CAP)
    if not due:
        return Backlog(count=0, capped=False, oldest_s=None)
    first = due[0]
    since = first.outbox.next_attempt_at or first.last_seen
    return Backlog(
        count=len(due), capped=len(due) >= BACKLOG_CAP, oldest_s=max(0, int(now) - since)
    )


HEARTBEAT_KEY = "heartbeat"


def beat(
    alerts: AlertStore,
    states: StateStore,
    now: float,
    alarm: Heartbeat | None = None,
    url: Heartbeat | None = None,
) -> dict[str, bool]:
    """The dead man's switch, once the store answers: a bot that cannot read its store is
    not alive in any way that matters. Slack work piling up is logged as a warning (the
    backlog /healthz shows), so that the log says so at 3 a.m.

    `alarm` (on AWS, the metric whose alarm pages people) beats before `url`
    (HEARTBEAT_URL), so that a third-party monitor being down cannot stop it. Says which
    of the two beat."""
    line = backlog_line(measure_backlog(alerts, now))
    if line:
        log.warning("%s", line)
    states.get_state(HEARTBEAT_KEY)
    for heartbeat in (alarm, url):
        if heartbeat is not None:
            heartbeat.beat()
    return {"metric": alarm is not None, "url": url is not None}


def backlog_line(health: Health | Backlog) -> str | None:
    """A WARNING-worthy line when the backlog is big or late, else None: for the flush
    job's log, which is what someone reads at 3 a.m."""
    backlog = health if isinstance(health, Backlog) else _backlog_of(health)
    if backlog is None or not (backlog.late or backlog.count >= BACKLOG_WARN):
        return None
    return (
        f"notification backlog: {backlog.shown} due, the oldest waiting {backlog.oldest_s} s"
        " (Slack refusing, rate-limiting, or the flush job not running)"
    )


class AuthCache:
    """The last Slack auth check and when it was made, reused for AUTH_TTL_S.

    Held by the app (one per process); the time comes from the caller's clock. A failure
    is kept as long as a success: a token does not heal in seconds, and a probe that
    hammered auth.test would get rate-limited on top.
    """

    def __init__(self, ttl_s: float = AUTH_TTL_S) -> None:
        self._ttl_s = ttl_s
        self._lock = threading.Lock()  # concurrent probes share one auth.test
        self._last: tuple[float, Check] | None = None

    def check(self, chat: Chat, now: float, secrets: Iterable[str] = ()) -> Check:
        with self._lock:
            if self._last is not None:
                at, check = self._last
                if 0 <= now - at < self._ttl_s:  # a clock that went back asks again
                    return check.model_copy(update={"checked_s_ago": int(now - at)})
            check = _probe(chat.check_auth, list(secrets))
            self._last = (now, check)
            return check


T = TypeVar("T")
STORE_CHECKS = ("alert_store", "event_store", "backlog")


class Pending(Generic[T]):
    """A probe running in its worker: its value or exception once `done` is set."""

    def __init__(self, started: float) -> None:
        self.started = started  # time.monotonic() of the start
        self.done = threading.Event()
        self.outcome: list[T] = []
        self.failure: list[BaseException] = []


class BoundedProbe:
    """Runs a probe in a worker thread and waits `timeout_s` at most from its start.

    One worker at a time: while an earlier one is still stuck (in the store, or in
    Slack), `start` raises at once rather than start another, so a hung dependency costs
    one thread, not one per ask. `start` and `wait` apart let two probes run side by
    side within one timeout.
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._started = 0.0  # time.monotonic() of the worker's start

    def run(self, probe: Callable[[], T]) -> T:
        """`probe()`'s value or exception; RequestTimeoutError past the timeout, or at once
        while an earlier probe is still running."""
        return self.wait(self.start(probe))

    def start(self, probe: Callable[[], T]) -> Pending[T]:
        """`probe` started in a new worker; RequestTimeoutError while an earlier one runs."""
        with self._lock:
            if self._worker is not None and self._worker.is_alive():
                ago = time.monotonic() - self._started
                raise RequestTimeoutError(
                    f"timed out: the probe started {ago:.1f} s ago has not returned"
                )
            self._started = time.monotonic()
            pending: Pending[T] = Pending(self._started)

            def work() -> None:
                try:
                    pending.outcome.append(probe())
                except BaseException as err:  # handed to the waiting caller
                    pending.failure.append(err)
                finally:
                    pending.done.set()

            self._worker = threading.Thread(target=work, name="health-probe", daemon=True)
            self._worker.start()
        return pending

    def wait(self, pending: Pending[T]) -> T:
        """`pending`'s value or exception, waiting until `timeout_s` after its start;
        RequestTimeoutError past that."""
        left = self.timeout_s - (time.monotonic() - pending.started)
        if not pending.done.wait(max(0.0, left)):
            raise RequestTimeoutError(f"timed out after {self.timeout_s:g} s")
        if pending.failure:
            raise pending.failure[0]
        return pending.outcome[0]

    @property
    def busy(self) -> bool:
        """Whether a worker is still running its probe."""
        return self._worker is not None and self._worker.is_alive()


class HealthCache:
    """The last Health and when it was made, reused for HEALTH_TTL_S; one per process,
    with the time from the caller's clock, and the store probes under `probes`' timeout.

    Concurrent callers share one probe: the others wait for it (the probe timeout at most)
    and take its answer.
    """

    def __init__(
        self, timeout_s: float, ttl_s: float = HEALTH_TTL_S, auth: AuthCache | None = None
    ) -> None:
        self.probes = BoundedProbe(timeout_s)
        self.slack_probes = BoundedProbe(timeout_s)  # beside the stores', in the same time
        self.auth = auth or AuthCache()
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._last: tuple[float, Health] | None = None

    def check(self, services: Services, now: float) -> Health:
        with self._lock:
            if self._last is not None:
                at, health = self._last
                if 0 <= now - at < self._ttl_s:  # a clock that went back asks again
                    return health.model_copy(update={"checked_s_ago": int(now - at)})
            health = check_health(services, now, self.auth, self.probes, self.slack_probes)
            self._last = (now, health)
            return health


def check_health(
    services: Services,
    now: float,
    auth: AuthCache,
    probes: BoundedProbe | None = None,
    slack_probes: BoundedProbe | None = None,
) -> Health:
    """Probe the stores (a write, a read, the backlog) in `probes`' worker, and Slack auth
    (through `auth`, at most once a TTL) in `slack_probes`' beside it, both under the
    same timeout (new ones of HEALTH_PROBE_TIMEOUT if not given): a hung store or a hung
    Slack cannot hold the answer past it.

    Never raises: whatever a probe raises becomes that check's plain-words detail, with
    the configured secrets and anything shaped like a Slack token masked; a store probe
    that has not answered in time is "failing", "timed out after ... s".
    """
    secrets = _secrets(services.settings)
    probes = probes or BoundedProbe(services.settings.health_probe_timeout)
    slack_probes = slack_probes or BoundedProbe(services.settings.health_probe_timeout)
    slack = _start_slack_check(services, now, auth, secrets, slack_probes)
    checks: dict[str, Check] = {}
    found: dict[str, Check] = {}  # the worker's, filled as it goes
    backlog: Backlog | None = None
    started = time.perf_counter()
    try:
        backlog = probes.run(lambda: _probe_stores(services, now, secrets, found))
    except RequestTimeoutError as err:
        late = Check(status="failing", detail=_plain(err, secrets), ms=_ms_since(started))
        answered = dict(found)  # what the worker had found by then
        checks.update({name: answered.get(name, late) for name in STORE_CHECKS})
    else:
        checks.update(found)
    checks["slack"] = slack if isinstance(slack, Check) else _waited(slack_probes, slack, secrets)
    health = Health(
        status=_overall(checks),
        checks=checks,
        backlog=None if backlog is None else backlog.count,
        backlog_capped=backlog is not None and backlog.capped,
        backlog_oldest_s=None if backlog is None else backlog.oldest_s,
    )
    _log(health)
    return health


def _start_slack_check(
    services: Services, now: float, auth: AuthCache, secrets: list[str], probes: BoundedProbe
) -> Check | Pending[Check]:
    """The Slack check, started in its worker; a Check at once when there is nothing to
    ask (the console) or an earlier ask is still stuck."""
    if not services.settings.slack_bot_token:
        return Check(status="console", detail="no SLACK_BOT_TOKEN: alerts print to the console")
    try:
        return probes.start(lambda: auth.check(services.chat, now, secrets))
    except RequestTimeoutError as err:
        return Check(status="failing", detail=_plain(err, secrets))


def _waited(probes: BoundedProbe, pending: Pending[Check], secrets: list[str]) -> Check:
    started = time.perf_counter()
    try:
        return probes.wait(pending)
    except RequestTimeoutError as err:
        return Check(status="failing", detail=_plain(err, secrets), ms=_ms_since(started))


def _probe_stores(
    services: Services, now: float, secrets: list[str], into: dict[str, Check]
) -> Backlog | None:
    """The store checks, each put in `into` as it is made: a write (the alert store's
    backend, which the event store shares), an event read, and the backlog."""
    window = ListEventsDTO(limit=1, start_date=max(0, int(now) - EVENT_WINDOW_S), end_date=int(now))
    into["alert_store"] = _probe(lambda: services.alerts.probe_write(now), secrets, "write: ")
    into["event_store"] = _probe(lambda: services.events.list(window, int(now)), secrets)
    if into["alert_store"].status != "ok":
        into["backlog"] = Check(status="failing", detail="unknown: the alert store is failing")
        return None
    started = time.perf_counter()
    try:
        backlog = measure_backlog(services.alerts, now)
    except Exception as err:  # a health check reports; it never fails the request
        into["backlog"] = Check(status="failing", detail=_plain(err, secrets))
        return None
    into["backlog"] = Check(
        status="late" if backlog.late else "ok",
        detail=f"{backlog.shown} due"
        + (f", the oldest waiting {backlog.oldest_s} s" if backlog.count else ""),
        ms=_ms_since(started),
    )
    return backlog


def _overall(checks: dict[str, Check]) -> Literal["ok", "degraded", "failing"]:
    statuses = {check.status for check in checks.values()}
    if "failing" in statuses:
        return "failing"
    return "degraded" if "late" in statuses else "ok"


def _log(health: Health) -> None:
    failing = [f"{name}: {c.detail}" for name, c in health.checks.items() if c.status == "failing"]
    if failing:
        log.warning("health failing: %s", "; ".join(failing))
    line = backlog_line(health)
    if line:
        log.warning(line)


def _backlog_of(health: Health) -> Backlog | None:
    if health.backlog is None:
        return None
    return Backlog(health.backlog, health.backlog_capped, health.backlog_oldest_s)


def _probe(call: Callable[[], object], secrets: list[str], what: str = "") -> Check:
    """Run one probe, timed; its exception, if any, as a failing check (its detail after
    `what`)."""
    started = time.perf_counter()
    try:
        call()
    except Exception as err:  # a health check reports; it never fails the request
        detail = what + _plain(err, secrets)
        return Check(status="failing", detail=detail[:DETAIL_MAX], ms=_ms_since(started))
    return Check(status="ok", ms=_ms_since(started))


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _secrets(settings: Settings) -> list[str]:
    values = (
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.ingest_token,
        settings.api_token,
        settings.cursor_secret,
    )
    return [v for v in values if v and len(v) >= MIN_SECRET_LEN]


def _plain(err: Exception, secrets: Iterable[str]) -> str:
    """An exception as one short line: its message (our errors say what failed), else
    its type too; never a secret."""
    message = str(err)
    for secret in secrets:
        message = message.replace(secret, "***")
    message = " ".join(_SLACK_TOKEN.sub("***", message).split())
    if not isinstance(err, MonitoringException) or not message:
        message = f"{type(err).__name__}: {message}" if message else type(err).__name__
    return message[:DETAIL_MAX]


__all__ = [
    "AUTH_TTL_S",
    "BACKLOG_CAP",
    "BACKLOG_LATE_S",
    "BACKLOG_WARN",
    "HEALTH_TTL_S",
    "AuthCache",
    "Backlog",
    "BoundedProbe",
    "Check",
    "Health",
    "HealthCache",
    "backlog_line",
    "check_health",
    "measure_backlog",
]
