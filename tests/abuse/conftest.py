"""The abuse suite's shared pieces: a running service with every secret set, a snapshot
of everything a request could change, Slack requests of every kind, and a tally that
turns the cases run into the figures printed at the end.

Everything runs against the real service (uvicorn on loopback) and the fake Slack Web
API, as tests/e2e and tests/slack do; the helpers are theirs, imported, not copied.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest

from bot import alert_actions
from bot.config import Settings
from bot.models import Agent, Alert, ListEventsDTO, PaginatedInputDTO
from tests.corpus import load
from tests.e2e.conftest import RunningService
from tests.figures import FIGURES
from tests.slack.conftest import fake_slack, fake_slack_server  # noqa: F401
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.test_slack_e2e import (
    CHANNEL,
    SECRET,
    action_body,
    silence_submission,
    the_alert,
)

INGEST_TOKEN = "ingest-secret"
API_TOKEN = "api-secret"
CURSOR_SECRET = "abuse-cursor-secret"  # not the default: a cursor signed with that is forged
SETTLE_S = 0.25  # Bolt runs listeners after its ack: time for a wrongly accepted one to act
USER = "U0ALICE"
AGENT_ID = "123456789012"  # a registered agent, for PATCH and DELETE to aim at

Params = dict[str, Any]


# --- the service ------------------------------------------------------------------------------


def abuse_settings(data_dir: Path, fake: FakeSlack, **overrides: Any) -> Settings:
    """Every door locked: Slack signing, INGEST_TOKEN, API_TOKEN and a real cursor secret."""
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake.url,
        slack_alerts_channel=CHANNEL,
        ingest_token=INGEST_TOKEN,
        api_token=API_TOKEN,
        cursor_secret=CURSOR_SECRET,
        **overrides,
    )


@dataclass
class Target:
    """A running service seeded with an open, silenced alert: what forged requests aim at."""

    svc: RunningService
    fake: FakeSlack
    http: httpx.Client  # no credentials: what an attacker has
    api: httpx.Client  # Bearer API_TOKEN
    ingest: httpx.Client  # Bearer INGEST_TOKEN

    def alert(self) -> Alert:
        return the_alert(self.svc)


def open_target(svc: RunningService, fake: FakeSlack) -> Target:
    """Clients for `svc`; one alarm ingested (posted to the fake) and silenced; an agent."""
    base = svc.url
    target = Target(
        svc,
        fake,
        httpx.Client(base_url=base, timeout=30),
        httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {API_TOKEN}"}),
        httpx.Client(
            base_url=base, timeout=30, headers={"Authorization": f"Bearer {INGEST_TOKEN}"}
        ),
    )
    event = load("cloudwatch_alarm_state_change_single_metric.json")
    event["id"] = "abuse-alarm"
    event["time"] = int(time.time()) - 60  # inside the 7 days that listings show
    assert target.ingest.post("/ingest", json=event).status_code == 202
    alert = target.alert()
    outcome = alert_actions.silence(
        svc.services.delivery, alert.id, alert.version, USER, 3600, "maintenance"
    )
    assert outcome == "done"
    svc.services.agents.create(Agent(id=AGENT_ID, region="eu-west-1", status="ok"))
    return target


def close_target(target: Target) -> None:
    for client in (target.http, target.api, target.ingest):
        client.close()


@pytest.fixture(scope="module")
def shared_target(
    tmp_path_factory: pytest.TempPathFactory,
    fake_slack_server: FakeSlack,  # noqa: F811
) -> Iterator[Target]:
    """One service for a module's refusal tables: a refused request changes nothing, so
    the cases can share it (each asserts that, before vs after)."""
    fake_slack_server.rate_limits = False
    settings = abuse_settings(tmp_path_factory.mktemp("abuse"), fake_slack_server)
    with RunningService(settings) as svc:
        target = open_target(svc, fake_slack_server)
        yield target
        close_target(target)


@pytest.fixture
def target(tmp_path: Path, fake_slack: FakeSlack) -> Iterator[Target]:  # noqa: F811
    """A fresh service and workspace, for cases where a first request rightly applies."""
    fake_slack.rate_limits = False
    with RunningService(abuse_settings(tmp_path / "var", fake_slack)) as svc:
        target = open_target(svc, fake_slack)
        yield target
        close_target(target)


# --- what a request could change ------------------------------------------------------------


def slack_calls(target: Target) -> list[Call]:
    """The calls the fake Slack recorded, but auth.test, which only reads (Bolt asks it
    once, on the service's first Slack request)."""
    return [c for c in target.fake.calls() if c.method != "auth.test"]


def snapshot(target: Target) -> Params:
    """Every record a request could touch (events, alerts, silences, agents) and every call
    the fake Slack recorded, as plain JSON, to compare before vs after."""
    services = target.svc.services
    now = int(time.time())
    events = services.events.list(ListEventsDTO(start_date=0, limit=100), now).items
    agents = services.agents.list(PaginatedInputDTO(limit=100)).items
    return {
        "events": [e.model_dump(mode="json") for e in events],
        "alerts": [a.model_dump(mode="json") for a in services.alerts.list_alerts(limit=500)],
        "silences": [s.model_dump(mode="json") for s in services.alerts.list_silences(now)],
        "agents": [a.model_dump(mode="json") for a in agents],
        "slack": [(c.method, c.params) for c in slack_calls(target)],
    }


def changes(before: Params, after: Params) -> dict[str, tuple[int, int]]:
    """What differs between two snapshots, as {part: (count before, count after)}."""
    return {
        part: (len(before[part]), len(after[part]))
        for part in before
        if json.dumps(before[part], sort_keys=True, default=str)
        != json.dumps(after[part], sort_keys=True, default=str)
    }


@pytest.fixture
def unchanged() -> Callable[[Target], Any]:
    """`with unchanged(target):` asserts that nothing the block sends changes any state,
    after giving a wrongly accepted Slack request time to act."""

    @contextmanager
    def guard(target: Target) -> Iterator[None]:
        before = snapshot(target)
        try:
            yield
        finally:  # also when the block failed: let a wrongly run listener land here, not
            time.sleep(SETTLE_S)  # in the next test on a shared target
        assert changes(before, snapshot(target)) == {}

    return guard


# --- Slack requests ----------------------------------------------------------------------------


def command_body(name: str, text: str = "", *, trigger: str = "t-cmd", reply: str = "") -> str:
    """A slash command as Slack posts it (form-encoded), answering through `reply`."""
    return urlencode(
        {
            "command": name,
            "text": text,
            "user_id": USER,
            "user_name": "alice",
            "channel_id": CHANNEL,
            "team_id": "T0TEAM",
            "trigger_id": trigger,
            "response_url": reply,
        }
    )


def click_body(action: Params, *, trigger: str = "t-1", reply: str = "") -> str:
    """A block action (test_slack_e2e.action_body), with a response_url when given."""
    body = action_body(action, user=USER, trigger=trigger)
    if not reply:
        return body
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["response_url"] = reply
    return urlencode({"payload": json.dumps(payload)})


def view_body(alert: Alert, *, trigger: str = "t-view") -> str:
    """The custom silence modal, submitted with a valid duration and reason."""
    return silence_submission(alert, duration="2h", reason="forged", user=USER, trigger=trigger)


def button(action_id: str, value: str) -> Params:
    return {"action_id": action_id, "type": "button", "block_id": "b", "value": value}


def silence_select(alert: Alert, choice: str) -> Params:
    return {
        "action_id": "alert_silence",
        "type": "static_select",
        "block_id": f"alert:{alert.id}:{alert.version}",
        "selected_option": {"value": choice, "text": {"type": "plain_text", "text": choice}},
    }


def slack_requests(target: Target) -> dict[str, str]:
    """One body of every kind the app handles, each aimed at the seeded alert or silence:
    accepted, every one of them would change the store or call Slack."""
    alert = target.alert()
    ref = f"{alert.id}:{alert.version}"
    (silence,) = target.svc.services.alerts.list_silences(int(time.time()))
    reply = target.fake.response_url("forged")
    return {
        "/events": command_body("/events", reply=reply),
        "/agents": command_body("/agents", reply=reply),
        "/silences": command_body("/silences", reply=reply),
        "alert_ack": click_body(button("alert_ack", ref)),
        "alert_unack": click_body(button("alert_unack", ref)),
        "alert_resolve": click_body(button("alert_resolve", ref)),
        "alert_unsilence": click_body(button("alert_unsilence", ref)),
        "alert_silence 1h": click_body(silence_select(alert, "1h")),
        "alert_silence custom": click_body(silence_select(alert, "custom")),
        "silence_remove": click_body(button("silence_remove", silence.id), reply=reply),
        "events_page": click_body(button("events_page", "x.y"), reply=reply),
        "view_submission": view_body(alert),
        "/incident close": command_body("/incident", "close", reply=reply),
        "alert_incident": click_body(button("alert_incident", ref)),
        "incident_close": click_body(button("incident_close", CHANNEL), reply=reply),
    }


def post_slack(
    client: httpx.Client, body: str | bytes, headers: Mapping[str, str | bytes]
) -> httpx.Response:
    return client.post("/slack/events", content=body, headers=headers)


# --- figures -------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Cases tried and cases that held, per figure line; printed with the run's figures."""

    tried: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    wording: dict[str, str] = field(default_factory=dict)

    def trying(self, line: str, held: str, count: int = 1) -> None:
        """`count` cases of `line` are about to run; `held` words what a case that held
        showed, e.g. "answered 401, state unchanged"."""
        self.tried[line] += count
        self.wording[line] = held

    def holding(self, line: str, count: int = 1) -> None:
        """`count` of them held (call once their assertions passed)."""
        self.held[line] += count

    def lines(self) -> list[tuple[str, str]]:
        return [
            (line, f"{self.held[line]} of {self.tried[line]} cases {self.wording[line]}")
            for line in self.tried
        ]


@pytest.fixture(scope="session")
def tally() -> Iterator[Tally]:
    """Parametrized cases count here; the session's figures get one line per table."""
    counts = Tally()
    yield counts
    for line, result in counts.lines():
        FIGURES.add("abuse", line, result)
