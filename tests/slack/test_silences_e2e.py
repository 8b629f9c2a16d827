"""Silences for people, end to end through correctly signed requests and the fake Slack:
a reason the modal requires and a quick silence that has none; the thread told 10
minutes before a silence ends and when it ends, once each, on the injected clock; and a
maintenance window that holds a matching alert and is listed by /silences."""

from __future__ import annotations

import json

from handlers.jobs import JOBS, run
from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401
from tests.slack.fake_slack import FakeSlack, message_blocks
from tests.slack.test_commands_e2e import command, text_of
from tests.slack.test_lifecycle_e2e import clock, http, service  # noqa: F401
from tests.slack.test_slack_e2e import (
    CHANNEL,
    action_body,
    post_alarm,
    select,
    signed,
    submit_silence,
    the_alert,
    wait_for,
)


def thread(fake_slack: FakeSlack, running: RunningService) -> list[str]:
    """The texts of the alert's thread replies."""
    root = the_alert(running).message
    return [
        m["text"]
        for m in fake_slack.messages(CHANNEL)
        if m.get("thread_ts") == root.ts and m["ts"] != root.ts
    ]


def quick_silence(client, running: RunningService, choice: str = "1h") -> None:
    body = action_body(select(the_alert(running), choice))
    assert client.post("/slack/events", content=body, headers=signed(body)).status_code == 200
    now = int(running.services.clock.now())
    wait_for(lambda: running.services.alerts.list_silences(now), "the silence")


def test_the_modal_requires_a_reason_and_a_quick_silence_says_none_was_given(
    http,  # noqa: F811
    service,  # noqa: F811
    fake_slack,
):
    post_alarm(http)
    refused = submit_silence(http, the_alert(service), duration="2h", reason="  ")
    assert refused["response_action"] == "errors" and set(refused["errors"]) == {"reason"}
    assert service.services.alerts.list_silences(int(service.services.clock.now())) == []

    quick_silence(http, service)
    said = wait_for(lambda: [t for t in thread(fake_slack, service) if "silenced" in t], "told")
    assert said[0].startswith(":no_bell: <@U0ALICE> silenced this alert until ")
    assert said[0].endswith(": no reason given")
    redrawn = wait_for(lambda: fake_slack.calls("chat.update"), "the redraw")[-1]
    root = json.dumps(message_blocks(redrawn.params))
    assert "Silenced by <@U0ALICE> until " in root and "no reason given" in root
    listed = text_of(command(http, fake_slack, "/silences"))
    assert "by <@U0ALICE>" in listed and "no reason given" in listed


def test_the_thread_is_told_ten_minutes_before_the_end_and_at_the_end_once_each(
    http,  # noqa: F811
    service,  # noqa: F811
    fake_slack,
    clock,  # noqa: F811
):
    post_alarm(http)
    quick_silence(http, service)
    (silence,) = service.services.alerts.list_silences(int(clock.now()))

    def job_runs_at(offset: int) -> None:
        clock.advance(silence.expires_at + offset - clock.now())
        for _ in range(2):  # two runs at once send each notice once
            run(JOBS["silences"], service.services, {})

    def told(words: str) -> list[str]:
        return [t for t in thread(fake_slack, service) if words in t]

    job_runs_at(-660)
    assert told("ends in") == []
    job_runs_at(-590)
    assert told("ends in") == [
        ":hourglass_flowing_sand: Silence by <@U0ALICE> ends in 10 minutes: no reason given"
    ]
    job_runs_at(-30)
    job_runs_at(0)
    job_runs_at(60)
    assert len(told("ends in")) == 1
    assert told("has ended") == [":bell: Silence by <@U0ALICE> has ended: no reason given"]
    assert the_alert(service).silenced_until is None  # and the alert speaks again
    assert all(c.response["ok"] for c in fake_slack.calls("chat.postMessage"))  # within budget


ROUTES = """\
maintenance:
  - name: patching
    match: {source: alarm, title: ^ServerCpu}
    cron: '* * * * *'    # a window starts every minute: on whenever the test runs
    duration: 2h
"""


def test_a_maintenance_window_holds_a_matching_alert_and_is_listed(
    service_factory,  # noqa: F811
    client_for,  # noqa: F811
    fake_slack,
    tmp_path,
):
    routes = tmp_path / "routes.yml"
    routes.write_text(ROUTES)
    fake_slack.rate_limits = False
    svc = service_factory(
        slack_bot_token="xoxb-test",
        slack_signing_secret="test-signing-secret",
        slack_api_url=fake_slack.url,
        slack_alerts_channel=CHANNEL,
        routes_file=routes,
    )
    client = client_for(svc)
    post_alarm(client, event_id="in-window")
    post_alarm(client, event_id="again")
    held = the_alert(svc)
    assert (held.hold.window, held.count, held.message) == ("patching", 2, None)
    assert fake_slack.messages(CHANNEL) == []  # stored and counted, not posted
    listed = text_of(command(client, fake_slack, "/silences"))
    assert "*Maintenance windows* (1 on now)" in listed
    assert "*patching* `* * * * *` UTC, for 2h" in listed and "on until " in listed
