"""The running service end to end: events in over /ingest, alerts out to a fake Slack,
and correctly signed Slack requests that acknowledge and silence them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.models import AlertStatus
from tests.corpus import load, transition
from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401
from tests.slack.fake_slack import FakeSlack, message_blocks

SECRET = "test-signing-secret"
CHANNEL = "C0ALERTS"


def wait_for(condition: Callable[[], object], what: str, timeout: float = 10.0) -> object:
    """Bolt runs listeners after its ack, on its own threads: wait for their effect."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def signed(body: str, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    timestamp = str(at if at is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def action_body(action: dict, user: str = "U0ALICE", trigger: str = "t-1") -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM"},
        "user": {"id": user, "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "channel": {"id": CHANNEL},
        "trigger_id": trigger,
        "container": {"type": "message", "channel_id": CHANNEL},
        "actions": [{"action_ts": str(time.time()), **action}],
    }
    return urlencode({"payload": json.dumps(payload)})


@pytest.fixture
def service(service_factory, fake_slack: FakeSlack) -> RunningService:  # noqa: F811
    fake_slack.rate_limits = False
    return service_factory(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake_slack.url,
        slack_alerts_channel=CHANNEL,
    )


@pytest.fixture
def http(service, client_for):  # noqa: F811
    return client_for(service)


def select(alert, value: str) -> dict:
    """The Silence select's action: the alert and version ride in its block_id."""
    return {
        "action_id": "alert_silence",
        "type": "static_select",
        "block_id": f"alert:{alert.id}:{alert.version}",
        "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
    }


def post_alarm(http, description: str | None = None, event_id: str = "evt-1") -> dict:
    event = transition(load("cloudwatch_alarm_state_change_single_metric.json"))
    event["id"] = event_id
    if description is not None:
        event["detail"]["configuration"]["description"] = description
    assert http.post("/ingest", json=event).status_code == 202
    return event


def the_alert(service):
    (alert,) = [a for a in service.services.alerts.list_alerts() if a.kind == "alert"]
    return alert


def buttons(message: dict) -> dict[str, dict]:
    return {
        e["action_id"]: e
        for b in message_blocks(message)
        if b["type"] == "actions"
        for e in b["elements"]
    }


def test_an_alarm_is_posted_once_with_controls(http, service, fake_slack):
    post_alarm(http)
    post_alarm(http)  # a duplicate delivery posts nothing
    (message,) = fake_slack.messages(CHANNEL)
    assert {"alert_ack", "alert_silence"} <= set(buttons(message))
    assert message["metadata"]["event_payload"]["alert_id"] == the_alert(service).id


def test_hostile_description_is_shown_not_obeyed(http, fake_slack):
    post_alarm(http, description="<!channel> <https://evil.example|click>")
    (message,) = fake_slack.messages(CHANNEL)
    text = json.dumps(message_blocks(message))
    assert "<!channel>" not in text
    assert "<https://evil.example|click>" not in text
    assert "&lt;!channel&gt;" in text


def test_acknowledge_then_unacknowledge_through_signed_requests(http, service, fake_slack):
    post_alarm(http)
    (message,) = fake_slack.messages(CHANNEL)
    ack = buttons(message)["alert_ack"]
    body = action_body({"action_id": "alert_ack", "value": ack["value"], "type": "button",
                        "block_id": "b"})  # fmt: skip
    assert http.post("/slack/events", content=body, headers=signed(body)).status_code == 200
    wait_for(lambda: the_alert(service).status is AlertStatus.ACKED, "the ack")
    alert = the_alert(service)
    assert alert.acked_by == "U0ALICE"
    redrawn = wait_for(lambda: fake_slack.calls("chat.update"), "chat.update")[-1]
    assert "alert_unack" in json.dumps(message_blocks(redrawn.params))
    assert "Acknowledged by <@U0ALICE> at " in json.dumps(message_blocks(redrawn.params))
    wait_for(
        lambda: any("acknowledged" in m.get("text", "") for m in fake_slack.messages(CHANNEL)),
        "the thread reply",
    )

    # The same click again is stale: a note to the clicker, nothing changes.
    again = action_body({"action_id": "alert_ack", "value": ack["value"], "type": "button",
                         "block_id": "b"}, user="U0BOB")  # fmt: skip
    assert http.post("/slack/events", content=again, headers=signed(again)).status_code == 200
    wait_for(lambda: fake_slack.ephemerals(), "the stale note")
    assert the_alert(service).acked_by == "U0ALICE"

    unack_value = f"{alert.id}:{alert.version}"
    undo = action_body({"action_id": "alert_unack", "value": unack_value, "type": "button",
                        "block_id": "b"})  # fmt: skip
    http.post("/slack/events", content=undo, headers=signed(undo))
    wait_for(lambda: the_alert(service).status is AlertStatus.OPEN, "the unack")


def test_silence_then_unsilence(http, service, fake_slack):
    post_alarm(http)
    alert = the_alert(service)
    body = action_body(select(alert, "1h"))
    assert http.post("/slack/events", content=body, headers=signed(body)).status_code == 200
    wait_for(lambda: service.services.alerts.list_silences(int(time.time())), "the silence")
    assert service.services.alerts.list_silences(int(time.time()))[0].created_by == "U0ALICE"
    assert the_alert(service).silenced_until
    drawn = wait_for(lambda: fake_slack.calls("chat.update"), "the redraw")[-1]
    assert "alert_unsilence" in json.dumps(message_blocks(drawn.params))
    assert "Silenced by" in json.dumps(message_blocks(drawn.params))
    silenced = the_alert(service)
    undo = action_body({"action_id": "alert_unsilence", "type": "button", "block_id": "b",
                        "value": f"{silenced.id}:{silenced.version}"})  # fmt: skip
    http.post("/slack/events", content=undo, headers=signed(undo))
    wait_for(lambda: the_alert(service).silenced_until is None, "the unsilence")
    # The click's work runs after the ack: the silence is lifted a moment after the alert.
    wait_for(lambda: service.services.alerts.list_silences(int(time.time())) == [], "lifted")
    assert the_alert(service).silenced_until is None


def test_custom_silence_opens_the_modal(http, service, fake_slack):
    post_alarm(http)
    alert = the_alert(service)
    body = action_body(select(alert, "custom"))
    http.post("/slack/events", content=body, headers=signed(body))
    (opened,) = wait_for(lambda: fake_slack.calls("views.open"), "views.open")
    assert opened.params["view"]["callback_id"] == "alert_silence_modal"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Signature": "v0=deadbeef"},
        {"X-Slack-Request-Timestamp": str(int(time.time()) - 600)},
        {"X-Slack-Signature": ""},
    ],
    ids=["forged", "stale", "missing"],
)
def test_forged_or_stale_requests_are_401_and_change_nothing(http, service, fake_slack, headers):
    post_alarm(http)
    alert = the_alert(service)
    body = action_body({"action_id": "alert_ack", "value": f"{alert.id}:{alert.version}",
                        "type": "button", "block_id": "b"})  # fmt: skip
    sent = {**signed(body), **headers}
    if "X-Slack-Request-Timestamp" in headers:  # sign the old timestamp properly
        sent = signed(body, at=int(headers["X-Slack-Request-Timestamp"]))
    assert http.post("/slack/events", content=body, headers=sent).status_code == 401
    time.sleep(0.2)
    assert the_alert(service).status is AlertStatus.OPEN
    assert fake_slack.calls("chat.update") == []


def test_slack_failing_still_ends_in_exactly_one_message(http, service, fake_slack):
    from bot.delivery import flush

    fake_slack.fail_next("chat.postMessage", status=500)
    post_alarm(http, event_id="a")
    assert fake_slack.messages(CHANNEL) == []
    assert the_alert(service).outbox.pending
    fake_slack.drop_response_next("chat.postMessage")
    service.clock.use(FixedLater(60))
    flush(service.services.delivery)  # Slack takes it, the answer is lost
    service.clock.use(FixedLater(600))
    flush(service.services.delivery)  # found by its metadata, not posted again
    assert len(fake_slack.messages(CHANNEL)) == 1
    # The found message shows the version it was first drawn with: redrawn a window later.
    assert the_alert(service).outbox.dirty
    service.clock.use(FixedLater(700))
    flush(service.services.delivery)
    assert not the_alert(service).outbox.pending
    assert len(fake_slack.calls("chat.update")) == 1


class FixedLater:
    """A clock `seconds` ahead of now, to make a retry due without waiting for it."""

    def __init__(self, seconds: int) -> None:
        self._offset = seconds

    def now(self) -> float:
        return time.time() + self._offset


def paced(service: RunningService, fake_slack: FakeSlack) -> Callable[[float], None]:
    """Put the service and the fake's budgets on one injected clock; return `tick`, which
    moves it on with the flush job every 5 s, so that paced posts go without sleeping."""
    from bot.delivery import flush
    from tests.fakes import FakeClock

    clock = FakeClock(start=float(int(time.time())))
    service.clock.use(clock)
    fake_slack.clock = clock.now

    def tick(seconds: float) -> None:
        while seconds > 0:
            clock.advance(min(5, seconds))
            seconds -= 5
            flush(service.services.delivery)

    return tick


def test_every_corpus_event_becomes_an_alert_or_a_notification(
    service_factory,  # noqa: F811
    client_for,  # noqa: F811
    fake_slack,
):
    from slack_sdk.models.blocks import Block

    from blocks.slack_text import MAX_BLOCKS
    from tests.corpus import accepted_files

    service = service_factory(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake_slack.url,
        slack_alerts_channel=CHANNEL,
        storm_threshold=1000,  # every alert its own root, here
    )
    http = client_for(service)
    tick = paced(service, fake_slack)
    for path in accepted_files():
        assert http.post("/ingest", content=path.read_bytes()).status_code == 202
    tick(1800)  # the channel's budget paces the posts: about one a second, with backoffs
    posts = [c for c in fake_slack.calls("chat.postMessage") if c.response.get("ok")]
    records = service.services.alerts.list_alerts(limit=500)
    assert len(posts) == len(records) == len({r.id for r in records})
    by_id = {r.id: r for r in records}
    for call in posts:
        record = by_id[call.params["metadata"]["event_payload"]["alert_id"]]
        actions = json.dumps(message_blocks(call.params))
        # Firing signals get controls; info and lone resolved ones are plain notifications.
        # (an alert that resolved before its first post is drawn resolved, without them)
        resolved_first = record.kind == "alert" and ":white_check_mark: Resolved" in actions
        assert ("alert_ack" in actions) == (record.kind == "alert" and not resolved_first)
        assert len(message_blocks(call.params)) <= MAX_BLOCKS
        for block in message_blocks(call.params):
            Block.parse(block).validate_json()
        assert call.params["text"]
    assert {r.kind for r in records} == {"alert", "notification"}


def test_only_responders_may_act(service_factory, client_for, fake_slack):  # noqa: F811
    fake_slack.rate_limits = False
    fake_slack.set_usergroup("S0ONCALL", ["U0CAROL"])
    svc = service_factory(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake_slack.url,
        slack_alerts_channel=CHANNEL,
        slack_responders=["U0ALICE", "S0ONCALL"],
    )
    http = client_for(svc)
    post_alarm(http)
    alert = the_alert(svc)
    ack = {"action_id": "alert_ack", "value": f"{alert.id}:{alert.version}", "type": "button",
           "block_id": "b"}  # fmt: skip
    mallory = action_body(ack, user="U0MALLORY")
    http.post("/slack/events", content=mallory, headers=signed(mallory))
    (note,) = wait_for(lambda: fake_slack.ephemerals(), "the refusal")
    assert "not one of the responders" in json.dumps(note)
    assert the_alert(svc).status is AlertStatus.OPEN
    carol = action_body(ack, user="U0CAROL")  # a member of the on-call usergroup
    http.post("/slack/events", content=carol, headers=signed(carol))
    wait_for(lambda: the_alert(svc).acked_by == "U0CAROL", "the usergroup member's ack")


def silence_submission(
    alert,
    *,
    duration: str,
    reason: str = "",
    scope: str | None = None,
    user: str = "U0ALICE",
    trigger: str = "t-2",
) -> str:
    """The form body Slack posts when the custom silence modal of `alert` is submitted."""
    values = {
        "duration": {"value": {"type": "plain_text_input", "value": duration}},
        "reason": {"value": {"type": "plain_text_input", "value": reason}},
    }
    if scope is not None:
        values["scope"] = {"value": {"type": "radio_buttons", "selected_option": {"value": scope}}}
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM"},
        "user": {"id": user, "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "trigger_id": trigger,
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "alert_silence_modal",
            "private_metadata": json.dumps(
                {"ref": f"alert:{alert.id}:{alert.version}", "channel": CHANNEL}
            ),
            "state": {"values": values},
        },
    }
    return urlencode({"payload": json.dumps(payload)})


def submit_silence(
    http, alert, *, duration: str, reason: str = "", scope: str | None = None
) -> dict:
    """Submit the custom silence modal of `alert` as Slack would; the ack's JSON, if any."""
    body = silence_submission(alert, duration=duration, reason=reason, scope=scope)
    answer = http.post("/slack/events", content=body, headers=signed(body))
    assert answer.status_code == 200
    return answer.json() if answer.content else {}


def test_custom_silence_modal_submission_silences(http, service, fake_slack):
    post_alarm(http)
    submit_silence(http, the_alert(service), duration="45m", reason="deploying")
    (silence,) = wait_for(
        lambda: service.services.alerts.list_silences(int(time.time())), "the silence"
    )
    assert (silence.reason, silence.created_by) == ("deploying", "U0ALICE")
    assert 44 * 60 <= silence.expires_at - silence.created_at <= 45 * 60


def test_a_burst_is_paced_under_slacks_budget_and_ends_in_one_message_each(
    http, service, fake_slack
):
    fake_slack.rate_limits = True  # a burst of 3 per channel, then 429 with Retry-After
    tick = paced(service, fake_slack)
    for n in range(4):
        post_alarm(http, event_id=f"burst-{n}")
        event = load("ecs_deployment_state_change_failed.json")
        event["id"] = f"ecs-{n}"
        event["resources"] = [f"arn:aws:ecs:us-west-2:111122223333:service/default/svc{n}"]
        http.post("/ingest", json=event)
    assert len(roots(fake_slack)) < 5  # the channel's budget held some back
    tick(30)
    statuses = [c.status for c in fake_slack.calls("chat.postMessage")]
    assert 429 not in statuses  # our pacing never provokes one
    assert len(roots(fake_slack)) == 5  # one alarm alert + four ECS alerts


def roots(fake_slack: FakeSlack) -> list[dict]:
    """The channel's top-level messages, thread replies left out."""
    return [m for m in fake_slack.messages(CHANNEL) if m.get("thread_ts", m["ts"]) == m["ts"]]


def test_a_429_past_the_clients_retries_holds_the_channel_until_retry_after(
    http, service, fake_slack
):
    tick = paced(service, fake_slack)
    # The client waits out Retry-After and retries three times; all four attempts fail.
    fake_slack.fail_next("chat.postMessage", times=4, status=429, retry_after=1)
    post_alarm(http, event_id="held")
    assert fake_slack.messages(CHANNEL) == []
    alert = the_alert(service)
    assert (
        alert.outbox.pending
        and alert.outbox.next_attempt_at >= int(service.services.clock.now()) + 1
    )
    tick(30)
    assert len(fake_slack.messages(CHANNEL)) == 1
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [429] * 4 + [200]


@pytest.mark.parametrize(
    ("body", "content_type", "sign", "status"),
    [
        (b"payload=%7Bbad", "application/x-www-form-urlencoded", False, 401),
        (b"\xff\xfe not utf-8", "application/x-www-form-urlencoded", False, 401),
        (b"payload=%7Bbad", "application/x-www-form-urlencoded", True, 400),
        (b"hello", "text/plain", True, 400),
    ],
    ids=["unsigned bad json", "unsigned bytes", "signed bad json", "signed text/plain"],
)
def test_malformed_slack_requests_are_refused_not_500(http, body, content_type, sign, status):
    headers = {"Content-Type": content_type}
    if sign:
        headers = {**signed(body.decode("utf-8", "replace")), "Content-Type": content_type}
    answer = http.post("/slack/events", content=body, headers=headers)
    assert answer.status_code == status
    assert "error" in answer.json()


def test_all_message_text_is_verbatim(http, fake_slack):
    post_alarm(http, description="see https://evil.example/login and @channel #general")
    (message,) = fake_slack.messages(CHANNEL)
    texts = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                texts.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message_blocks(message))
    assert texts
    assert all(t.get("verbatim") is True for t in texts)


def test_a_custom_silence_over_30_days_is_refused_in_the_modal(http, service):
    post_alarm(http)
    answer = submit_silence(http, the_alert(service), duration="9999999d", reason="why")
    assert answer["response_action"] == "errors"
    assert "30 days" in answer["errors"]["duration"]
    assert service.services.alerts.list_silences(int(time.time())) == []


def test_one_transition_told_as_an_alarm_action_and_by_eventbridge_is_posted_once(
    service_factory,  # noqa: F811
    client_for,  # noqa: F811
    fake_slack,
):
    """An alarm that invokes the ingest function and also sends its state change through
    EventBridge tells one transition twice: both events are stored, the alert applies it
    once, and Slack sees one root and no "fired again"."""
    from tests.corpus import load

    service = service_factory(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake_slack.url,
        slack_alerts_channel=CHANNEL,
    )
    http = client_for(service)
    tick = paced(service, fake_slack)
    action = load("edge_alarm_action_same_transition_as_eventbridge.json")
    bridged = load("edge_eventbridge_alarm_state_change_same_transition.json")
    first = http.post("/ingest", json=action).json()
    tick(30)
    second = http.post("/ingest", json=bridged).json()
    tick(120)
    assert (first["stored"], second["stored"]) == (1, 1)
    assert first["ids"] != second["ids"]  # two events, each under its own id
    (alert,) = [a for a in service.services.alerts.list_alerts() if a.kind == "alert"]
    assert alert.count == 1
    posts = [c for c in fake_slack.calls("chat.postMessage") if c.response.get("ok")]
    assert len(posts) == 1
    assert not any("Fired" in json.dumps(c.params) for c in fake_slack.calls("chat.postMessage"))
    assert not fake_slack.calls("chat.update")
