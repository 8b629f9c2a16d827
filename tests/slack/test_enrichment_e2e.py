"""An alert that explains itself, end to end: the bot as the service runs it (SQLite, the
Slack adapter on the fake Slack Web API, the CloudWatch and Logs readers on their local
fakes through boto3's endpoint variables), on an injected clock.

A Lambda Errors alarm is posted at once; within 10 s its thread holds the graph (drawn
from a checked GetMetricWidgetImage request, shared through Slack's external upload
flow) and the top error lines (from a checked Logs Insights query), and its root shows
the stack update of 4 minutes before. With every permission denied, the same alarm is
posted as it would be with enrichment off, with one warning per kind.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot import storm
from bot.config import Settings
from bot.delivery import flush
from bot.timeutil import parse_time, to_iso
from handlers.bootstrap import bootstrap
from handlers.jobs import ENRICH_EVERY_S
from tests.contract.conftest import MOTO
from tests.factories import cloudformation as cfn
from tests.fakes import FakeClock
from tests.fakes_aws.cloudwatch import FakeCloudWatch
from tests.fakes_aws.logs import FakeLogs
from tests.slack.fake_slack import FakeSlack
from tests.unit.test_enrich import lambda_errors_alarm

CHANNEL = "C0ENRICH"
ACCOUNT, REGION = "123456789012", "us-east-1"
FUNCTION = "orders-api"
DEADLINE_S = 10
RUNBOOK = "https://wiki.example.com/runbooks/orders-api"
ERROR_ROWS = [
    {"@timestamp": "2019-10-02 17:03:00.000", "@log": f"{ACCOUNT}:/aws/lambda/{FUNCTION}",
     "@message": f"ERROR db timeout after {ms} ms"}
    for ms in (3000, 3100, 3250)
] + [
    {"@timestamp": "2019-10-02 17:04:00.000", "@log": f"{ACCOUNT}:/aws/lambda/{FUNCTION}",
     "@message": "Traceback: KeyError 'customer'"}
]  # fmt: skip


def alarm_event(event_id: str = "alarm-1", name: str = f"{FUNCTION}-errors") -> dict[str, Any]:
    event = lambda_errors_alarm(FUNCTION)
    event.update(id=event_id, account=ACCOUNT, region=REGION)
    event["detail"]["alarmName"] = name
    event["resources"] = [f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"]
    return event


def changed_at(event: dict[str, Any]) -> int:
    return int(parse_time(event["detail"]["state"]["timestamp"]))


def stack_update(at: int) -> dict[str, Any]:
    detail = cfn.stack_status("UPDATE_COMPLETE", stack="api-prod", region=REGION, account=ACCOUNT)
    return {
        "version": "0",
        "id": "stack-update-1",
        "detail-type": cfn.STACK,
        "source": cfn.SOURCE,
        "account": ACCOUNT,
        "time": to_iso(at),
        "region": REGION,
        "resources": [detail["stack-id"]],
        "detail": detail,
    }


def service(fake_slack: FakeSlack, data_dir: Path, clock: FakeClock, **settings: Any) -> Any:
    fake_slack.clock = clock.now
    return bootstrap(
        Settings(
            _env_file=None,
            data_dir=data_dir,
            slack_bot_token="xoxb-enrich",
            slack_api_url=fake_slack.url,
            slack_alerts_channel=CHANNEL,
            **settings,
        ),
        clock=clock,
        pause=clock.advance,
        agent_tasks=None,
        log_sweep=None,
        heartbeat=None,
        nudges=None,
    )


def run_enrich_job_until(svc: Any, clock: FakeClock, deadline: float, done: Any) -> None:
    """The service's enrich job, every ENRICH_EVERY_S of the injected clock, until `done()`
    or the deadline."""
    while not done() and clock.now() < deadline:
        clock.advance(ENRICH_EVERY_S)
        svc.enrich_waiting()


def roots(fake_slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake_slack.messages(CHANNEL) if not m.get("thread_ts")]


def replies(fake_slack: FakeSlack, ts: str) -> list[dict[str, Any]]:
    return [m for m in fake_slack.messages(CHANNEL) if m.get("thread_ts") == ts and m["ts"] != ts]


@pytest.fixture
def aws(
    fake_cloudwatch: FakeCloudWatch, fake_logs: FakeLogs, monkeypatch: pytest.MonkeyPatch
) -> tuple[FakeCloudWatch, FakeLogs]:
    """CloudWatch and Logs on their fakes; STS (which says which account is the bot's:
    moto's, 123456789012) on moto's server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", MOTO.url())
    fake_logs.answer_queries(ERROR_ROWS)
    return fake_cloudwatch, fake_logs


def test_a_lambda_errors_alarm_explains_itself_within_ten_seconds(
    fake_slack: FakeSlack, aws: tuple[FakeCloudWatch, FakeLogs], tmp_path: Path
) -> None:
    cloudwatch, logs = aws
    alarm = alarm_event()
    cloudwatch.tag_alarm(alarm["resources"][0], {"runbook": RUNBOOK, "team": "orders"})
    fired = changed_at(alarm)
    clock = FakeClock(start=float(fired + 5))
    svc = service(fake_slack, tmp_path, clock)
    svc.ingest(stack_update(fired - 240))  # the stack update, 4 minutes before
    (stack_root,) = roots(fake_slack)

    svc.ingest(alarm)
    (root,) = [m for m in roots(fake_slack) if m != stack_root]  # at once, before any AWS read
    posted_at = clock.now()
    assert cloudwatch.calls_of("GetMetricWidgetImage") == []
    assert logs.calls_of("StartQuery") == []

    def explained() -> bool:
        return bool(fake_slack.files(CHANNEL)) and len(replies(fake_slack, root["ts"])) >= 2

    run_enrich_job_until(svc, clock, posted_at + DEADLINE_S, explained)
    assert explained(), "the thread does not hold the graph and the error lines"
    assert clock.now() - posted_at <= DEADLINE_S

    # The graph: CloudWatch was asked for the alarm's metric, threshold and window ...
    (widget,) = cloudwatch.widgets
    metric = widget["metrics"][0]
    assert metric[:4] == ["AWS/Lambda", "Errors", "FunctionName", FUNCTION]
    assert metric[-1]["stat"] == "Sum"
    assert widget["annotations"]["horizontal"][0]["label"] == "threshold"
    assert widget["annotations"]["vertical"][0]["value"] == to_iso(fired)
    assert widget["start"] == to_iso(fired - 3 * 3600)
    assert widget["region"] == REGION
    # ... and its PNG shared in the alert's thread through the upload flow.
    (shared,) = fake_slack.files(CHANNEL)
    assert shared["thread_ts"] == root["ts"]
    assert shared["bytes"].startswith(b"\x89PNG")
    flow = [c.method for c in fake_slack.calls() if c.method.startswith("files.")]
    assert flow == ["files.getUploadURLExternal", "files.completeUploadExternal"]

    # The error lines: one query over the function's log group and the alarm's window.
    (started,) = logs.calls_of("StartQuery")
    query = started.params
    assert query["logGroupNames"] == [f"/aws/lambda/{FUNCTION}"]
    assert query["startTime"] < fired < query["endTime"] <= clock.now()
    text = " ".join(
        str(m.get("text", "")) + str(m.get("blocks", "")) for m in replies(fake_slack, root["ts"])
    )
    assert "db timeout after" in text and "KeyError" in text
    assert "3" in text  # the timeouts, counted under one signature

    # The root, redrawn by its next edit, shows the stack update of 4 minutes before.
    clock.advance(svc.delivery.coalesce)
    flush(svc.delivery)
    (*_, update) = [c for c in fake_slack.calls("chat.update") if c.params["ts"] == root["ts"]]
    shown = str(update.params)
    assert "4 min after <https://us-east-1.console.aws.amazon.com/cloudformation/" in shown
    assert "|stack api-prod UPDATE_COMPLETE>" in shown  # newest first, linked
    assert RUNBOOK in shown  # the Runbook button, from the alarm's tag
    assert RUNBOOK not in str(root) and "api-prod" not in str(root)  # neither was at first


def test_with_every_permission_denied_the_alarm_is_posted_as_without_enrichment(
    fake_slack: FakeSlack,
    aws: tuple[FakeCloudWatch, FakeLogs],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cloudwatch, logs = aws
    alarm = alarm_event()
    clock = FakeClock(start=float(changed_at(alarm) + 5))

    plain = service(fake_slack, tmp_path / "plain", clock, enrich_graph=False,
                    enrich_logs=False, enrich_changes=False, enrich_runbook=False)  # fmt: skip
    plain.ingest(alarm)
    (as_today,) = roots(fake_slack)
    fake_slack.reset()

    # Every permission an enrichment needs is missing: the graph is drawn, but the app may
    # not share files (Slack's missing_scope); Logs and the alarm's tags are denied (IAM).
    cloudwatch.deny("ListTagsForResource")
    logs.deny("StartQuery", "DescribeMetricFilters")
    fake_slack.revoke_scope("files:write")
    svc = service(fake_slack, tmp_path / "denied", clock)
    caplog.set_level(logging.WARNING)
    svc.ingest(alarm)
    svc.ingest(alarm_event("alarm-2", "payments-errors"))  # a second alarm: no second warning
    # Two new alerts within a minute may be a storm forming: their enrichment waits it out.
    run_enrich_job_until(svc, clock, clock.now() + storm.WINDOW_S + DEADLINE_S, lambda: False)

    first, second = roots(fake_slack)
    assert first["blocks"] == as_today["blocks"] and first["text"] == as_today["text"]
    assert fake_slack.files(CHANNEL) == []
    assert [m for m in fake_slack.messages(CHANNEL) if m.get("thread_ts")] == []
    assert fake_slack.calls("chat.update") == []
    assert len(cloudwatch.calls_of("GetMetricWidgetImage")) == 2  # drawn, never shared
    assert [c.response.get("error") for c in fake_slack.calls("files.getUploadURLExternal")] == [
        "missing_scope",
        "missing_scope",
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for kind in ("graph", "logs", "runbook"):
        said = [w for w in warnings if w.startswith(f"{kind} enrichment is not allowed")]
        assert len(said) == 1, (kind, warnings)
    assert second["ts"] != first["ts"]
