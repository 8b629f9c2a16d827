"""The Home tab end to end: correctly signed Events API requests to the running service,
the fake Slack's views.publish (held to its rules and its per-user budget), and the
`home` job run on the service's injected clock."""

from __future__ import annotations

import json
import time

from blocks.home import NO_ON_CALL
from bot.home import REFRESH_S, WATCH_S
from bot.models import AlertStatus
from handlers.jobs import JOBS, run
from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_events_api_e2e import json_headers
from tests.slack.test_lifecycle_e2e import alarm, clock, http, service  # noqa: F401 (fixtures)
from tests.slack.test_slack_e2e import action_body, signed, the_alert, wait_for

ALICE, BOB = "U0ALICE", "U0BOB"


def open_home(client, user: str, event_id: str) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0TEAM",
            "api_app_id": "A0APP",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": {"type": "app_home_opened", "user": user, "channel": "D0HOME",
                      "tab": "home", "event_ts": f"{time.time():.6f}"},
        }
    )  # fmt: skip
    assert client.post("/slack/events", content=body, headers=json_headers(body)).status_code == 200


def publishes(fake_slack: FakeSlack, user: str) -> list:
    return [c for c in fake_slack.calls("views.publish") if c.params["user_id"] == user]


def shown(fake_slack: FakeSlack, user: str) -> str:
    return json.dumps(fake_slack.home(user)["blocks"], ensure_ascii=False)


def home_job(running: RunningService) -> int:
    return run(JOBS["home"], running.services, {})["published"]


def test_opening_the_home_tab_publishes_it_with_its_sections(http, service, fake_slack):  # noqa: F811
    http.post("/ingest", json=alarm())
    open_home(http, ALICE, "Ev0001")
    (call,) = wait_for(lambda: publishes(fake_slack, ALICE), "views.publish")
    assert call.response["ok"] is True  # the fake held the home to Slack's rules
    home = shown(fake_slack, ALICE)
    for section in ("*Open alerts* (1)", "*Acknowledged by you*", "*Silences*",
                    "heard from recently", NO_ON_CALL, "*Daily report*"):  # fmt: skip
        assert section in home
    assert f'"value": "{the_alert(service).id}:' in home  # Acknowledge, on the home


def test_an_ack_republishes_the_homes_watched_within_the_hour_at_most_once_a_minute(
    http,  # noqa: F811
    service,  # noqa: F811
    fake_slack,
    clock,  # noqa: F811
):
    http.post("/ingest", json=alarm())
    open_home(http, BOB, "Ev0001")
    wait_for(lambda: publishes(fake_slack, BOB), "Bob's home")
    clock.advance(WATCH_S - 20 * 60)
    open_home(http, ALICE, "Ev0002")
    wait_for(lambda: publishes(fake_slack, ALICE), "Alice's home")
    clock.advance(25 * 60)  # Bob opened his over an hour ago; Alice 25 minutes ago
    assert home_job(service) == 0  # nothing changed

    alert = the_alert(service)
    body = action_body({"action_id": "alert_ack", "value": f"{alert.id}:{alert.version}",
                        "type": "button", "block_id": "b"}, user=ALICE)  # fmt: skip
    assert http.post("/slack/events", content=body, headers=signed(body)).status_code == 200
    wait_for(lambda: the_alert(service).status is AlertStatus.ACKED, "the ack")
    assert home_job(service) == 1
    assert len(publishes(fake_slack, ALICE)) == 2 and len(publishes(fake_slack, BOB)) == 1
    assert "*Acknowledged by you* (1)" in shown(fake_slack, ALICE)

    http.post("/ingest", json=alarm(name="DiskFull"))  # a new alert, seconds later
    assert home_job(service) == 0  # Alice's home was published under a minute ago
    clock.advance(REFRESH_S)
    assert home_job(service) == 1
    assert "*Open alerts* (1)" in shown(fake_slack, ALICE)
    assert all(c.response["ok"] for c in fake_slack.calls("views.publish"))
