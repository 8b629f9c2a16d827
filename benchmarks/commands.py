"""Slash command latency: from a signed /events request to its answer at the response_url,
through the HTTP service (uvicorn, Bolt, lazy listeners) over a store of 100,000 events."""

from __future__ import annotations

import itertools
import json
import statistics
import time
from urllib.parse import urlencode

from adapters.memory import MemoryAgentStore
from adapters.slack import SlackChat
from bot.config import Settings
from bot.ports import AlertStore, Clock, EventStore
from handlers.bootstrap import bootstrap
from tests.e2e.conftest import RunningService
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack_e2e import signed

SECRET = "test-signing-secret"
GOAL_P99_MS = 300.0
ROUNDS = 40
_TRIGGERS = itertools.count()
# What people ask: the latest, filtered lists, a title search, one event by id.
TEXTS = ("", "source:alarm severity:high", "account:000000000003 since:24h", "alarm-42", "{id}")


def _post_command(client, fake: FakeSlack, text: str) -> float:
    before = len(fake.calls("response_url"))
    # Each request its own trigger_id, as Slack's are: the same signed bytes twice within
    # Slack's 5 minutes are a replay, which the bot acks without answering.
    body = urlencode({
        "command": "/events", "text": text, "user_id": "U0BENCH", "channel_id": "C0BENCH",
        "team_id": "T0BENCH", "trigger_id": f"t-{next(_TRIGGERS)}",
        "response_url": fake.response_url(),
    })  # fmt: skip
    start = time.perf_counter()
    answer = client.post("/slack/events", content=body, headers=signed(body))
    assert answer.status_code == 200, answer.text
    while len(fake.calls("response_url")) == before:
        time.sleep(0.0005)
    elapsed = (time.perf_counter() - start) * 1000
    (call,) = fake.calls("response_url")[before:]
    assert call.response["ok"] and json.dumps(call.params["blocks"]), call.response
    return elapsed


def command_latency(
    events: EventStore, alerts: AlertStore, clock: Clock, cursor_secret: str, some_id: str
) -> list[float]:
    """Milliseconds from each command's request to its answer, over ROUNDS × TEXTS."""
    import httpx

    with FakeSlack() as fake:
        fake.rate_limits = False
        settings = Settings(
            _env_file=None,
            slack_bot_token="xoxb-bench",
            slack_signing_secret=SECRET,
            slack_api_url=fake.url,
            slack_alerts_channel="C0BENCH",
            cursor_secret=cursor_secret,
        )
        services = bootstrap(
            settings=settings,
            events=events,
            agents=MemoryAgentStore(),
            alerts=alerts,
            chat=SlackChat("xoxb-bench", fake.url),
            clock=clock,
        )
        samples = []
        with RunningService(settings, services) as svc, httpx.Client(base_url=svc.url) as client:
            _post_command(client, fake, "")  # warm: first requests import and connect
            for _ in range(ROUNDS):
                for text in TEXTS:
                    samples.append(_post_command(client, fake, text.format(id=some_id)))
    return samples


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(int(len(ordered) * 0.99), len(ordered) - 1)]
