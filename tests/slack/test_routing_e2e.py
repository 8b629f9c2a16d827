"""Routes through the running service and the fake Slack: one alert per channel routed
to, the route's mention in the message, and a reminder that pings it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bot.escalation import escalate
from tests.corpus import load
from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401
from tests.fakes import FakeClock
from tests.slack.fake_slack import FakeSlack, message_blocks
from tests.slack.test_slack_e2e import CHANNEL, SECRET
from tests.unit.test_routing import mrkdwn_texts

ROUTES = """\
routes:
  - name: security
    match: {source: guardduty, severity: high}
    channel: C0SECURITY
    mention: S0ONCALL
    continue: true
  - name: ops
    channel: C0OPS
"""


@pytest.fixture
def routed(service_factory, fake_slack: FakeSlack, tmp_path) -> RunningService:  # noqa: F811
    return service_with_routes(service_factory, fake_slack, tmp_path / "routes.yml", ROUTES)


def service_with_routes(
    service_factory,  # noqa: F811
    fake_slack: FakeSlack,
    routes: Path,
    text: str,
    clock: FakeClock | None = None,
) -> RunningService:
    """The service on the fake Slack, with `text` as its routes file, on one injected clock
    (`clock`, or a new one)."""
    routes.write_text(text)
    clock = clock or FakeClock(start=float(int(time.time())))
    svc = service_factory(
        ports={"clock": clock},
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake_slack.url,
        slack_alerts_channel=CHANNEL,
        routes_file=routes,
    )
    fake_slack.clock = clock.now
    return svc


def test_a_finding_goes_to_each_routed_channel_and_pings_only_its_route(
    routed,
    client_for,  # noqa: F811
    fake_slack,
):
    finding = load("guardduty_finding_high_minimal.json")
    finding["detail"]["title"] = "<!channel> probe <!subteam^S0EVIL>"
    assert client_for(routed).post("/ingest", json=finding).status_code == 202
    (security,) = fake_slack.messages("C0SECURITY")
    (ops,) = fake_slack.messages("C0OPS")
    assert fake_slack.messages(CHANNEL) == []  # nothing left for the default channel
    assert all(c.response["ok"] for c in fake_slack.calls())  # Block Kit accepted both
    parsed = " ".join(mrkdwn_texts(security))  # what Slack reads for mentions
    assert "<!subteam^S0ONCALL>" in parsed and "<!subteam^S0EVIL>" not in parsed
    assert "<!channel>" not in parsed and "&lt;!channel&gt;" in parsed
    assert len(message_blocks(security)) == len(message_blocks(ops)) + 1  # the ping block
    assert "S0ONCALL" not in json.dumps(ops)  # the ops route has no mention


def test_an_unacknowledged_finding_is_reminded_in_its_thread(routed, client_for, fake_slack):  # noqa: F811
    client_for(routed).post("/ingest", json=load("guardduty_finding_high_minimal.json"))
    routed.services.clock.advance(15 * 60)
    assert escalate(routed.services.delivery, 900) == 2  # one per channel
    (root, reminder) = fake_slack.messages("C0SECURITY")
    assert reminder["thread_ts"] == root["ts"]
    assert "Still unacknowledged after 15 min" in reminder["text"]
    assert "<!subteam^S0ONCALL>" in reminder["text"]
