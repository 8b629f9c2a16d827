"""Every Lambda handler that serverless.yml names, on a sample event of its trigger
(EventBridge, SNS, SQS, HTTP API v2, schedule), with the DynamoDB store, SSM, SQS,
Logs and EventBridge on moto, and Slack's Web API on the fake.

The functions read Slack's secrets from SSM parameters, as deployed. Bolt's lazy
listeners re-invoke the slack function through the Lambda API; moto's Lambda runs no code
without Docker, so an injected invoker runs that second invocation in-process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
import yaml
from moto import mock_aws

from adapters.sqs import NUDGE_WINDOW_S
from tests import lambdas
from tests.corpus import load, transition
from tests.fakes import FakeClock
from tests.lambdas import cold_start
from tests.slack.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
ACCOUNT = "123456789012"
SECRET = "lambda-signing-secret"
CHANNEL = "CLAMBDA"


@dataclass
class Context:
    """What Lambda passes as `context`, as far as the handlers and Bolt read it."""

    function_name: str = "aws-monitoring-bot-ci-slack"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:slack"
    aws_request_id: str = "req-1"


def serverless_functions() -> dict[str, str]:
    """Function name → handler, from serverless.yml (CloudFormation tags left as text)."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "serverless.yml").read_text(), Loader=Loader)
    return {name: spec["handler"] for name, spec in config["functions"].items()}


def scheduled() -> dict[str, Any]:
    return {
        "version": "0",
        "id": "sched-1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2026-11-28T01:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/schedule"],
        "detail": {},
    }


def http_v2(method: str, path: str, body: str = "", headers: dict[str, str] | None = None,
            query: str = "") -> dict[str, Any]:  # fmt: skip
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "api.example.com", **(headers or {})},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "api",
            "domainName": "api.example.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "Slackbot",
            },
            "requestId": "r1",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "28/Nov/2026:01:00:00 +0000",
            "timeEpoch": int(time.time() * 1000),
        },
        "body": base64.b64encode(body.encode()).decode(),
        "isBase64Encoded": True,
    }


def signed_post(body: str) -> dict[str, Any]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return http_v2(
        "POST",
        "/slack/events",
        body,
        {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": f"v0={digest}",
        },
    )


def signed_command(fake_slack: FakeSlack, text: str) -> dict[str, Any]:
    body = urlencode(
        {
            "command": "/events",
            "text": text,
            "user_id": "U1",
            "channel_id": CHANNEL,
            "team_id": "T0FAKETEAM",
            "response_url": fake_slack.response_url("lambda"),
            "trigger_id": "t1",
        }
    )
    return signed_post(body)


class InProcessInvoker:
    """A Lambda client whose async `invoke` runs the slack handler here and now."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.invocations: list[dict[str, Any]] = []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: str) -> dict[str, Any]:  # noqa: N803 (boto3's names)
        self.invocations.append({"function": FunctionName, "type": InvocationType})
        self.handler(json.loads(Payload), Context())
        return {"StatusCode": 202}


@pytest.fixture
def aws(tmp_path, monkeypatch, fake_slack: FakeSlack) -> Iterator[dict[str, str]]:
    """moto with the table, the Slack secrets in SSM, the FIFO send queue, a log group and
    a bus; the environment the functions are deployed with."""
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "STORE": "dynamodb",
        "AWS_DYNAMODB_TABLE": "monitoring-ci",
        "SLACK_BOT_TOKEN_SSM_PARAM": "/monitoring/ci/slack-bot-token",
        "SLACK_SIGNING_SECRET_SSM_PARAM": "/monitoring/ci/slack-signing-secret",
        "SLACK_API_URL": fake_slack.url,
        "SLACK_ALERTS_CHANNEL": CHANNEL,
        "SLACK_REPORT_CHANNEL": CHANNEL,
        "LOG_GROUPS": "/app/api",
        "EVENT_BUS_NAME": "monitoring",
        "DATA_DIR": str(tmp_path),
    }
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "AWS_ENDPOINT",
                 "HEARTBEAT_URL", "API_TOKEN", "INGEST_TOKEN", "ROUTES_FILE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)  # no stray .env
    fake_slack.rate_limits = False
    with mock_aws(), cold_start():
        from adapters.dynamodb.schema import create_table
        from bot.config import Settings

        create_table(Settings(_env_file=None))
        ssm = boto3.client("ssm", region_name=REGION)
        ssm.put_parameter(Name=env["SLACK_BOT_TOKEN_SSM_PARAM"], Value="xoxb-from-ssm",
                          Type="SecureString")  # fmt: skip
        ssm.put_parameter(Name=env["SLACK_SIGNING_SECRET_SSM_PARAM"], Value=SECRET,
                          Type="SecureString")  # fmt: skip
        queue = boto3.client("sqs", region_name=REGION).create_queue(
            QueueName="send.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"},
        )
        monkeypatch.setenv("SEND_QUEUE_URL", queue["QueueUrl"])
        logs = boto3.client("logs", region_name=REGION)
        logs.create_log_group(logGroupName="/app/api")
        boto3.client("events", region_name=REGION).create_event_bus(Name="monitoring")
        yield {**env, "SEND_QUEUE_URL": queue["QueueUrl"]}


def test_serverless_names_only_handlers_that_this_suite_runs():
    functions = serverless_functions()
    assert set(functions) == set(SAMPLES)
    for name, handler in functions.items():
        assert handler == f"handlers/aws_lambda/{name}.handler"


def test_ingest_on_eventbridge_and_sns_posts_and_nudges_the_send_queue(aws, fake_slack):
    module = lambdas.load("ingest")
    # The clock stands at the start of a nudge window, so that the three events share it.
    lambdas.clock.use(FakeClock(time.time() // NUDGE_WINDOW_S * NUDGE_WINDOW_S + 1))
    answer = module.handler(load("cloudwatch_alarm_state_change_single_metric.json"), Context())
    assert answer["stored"] == 1
    posts = fake_slack.calls("chat.postMessage")
    assert posts and posts[0].params["channel"] == CHANNEL
    sns = module.handler(load("sns_cloudwatch_alarm_ok.json"), Context())
    assert sns["stored"] + sns["duplicates"] >= 1

    # A repeat inside the coalescing window leaves work due: the channel is nudged.
    again = load("cloudwatch_alarm_state_change_single_metric.json")
    module.handler({**transition(again), "id": "repeat-1"}, Context())
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=aws["SEND_QUEUE_URL"], MaxNumberOfMessages=10,
                                   AttributeNames=["MessageGroupId"])["Messages"]  # fmt: skip
    assert [json.loads(m["Body"]) for m in messages] == [{"channel": CHANNEL}]
    assert messages[0]["Attributes"]["MessageGroupId"] == CHANNEL


def test_notify_consumes_the_fifo_queue_and_does_the_due_work(aws, fake_slack):
    ingest = lambdas.load("ingest")
    alarm = load("cloudwatch_alarm_state_change_single_metric.json")
    ingest.handler(alarm, Context())
    ingest.handler({**transition(alarm), "id": "repeat-1"}, Context())  # its edit and reply wait
    assert fake_slack.calls("chat.update") == []
    module = importlib.import_module("handlers.aws_lambda.notify")  # warm: same services
    lambdas.clock.use(FakeClock(time.time() + 15))  # the window has passed
    event = {
        "Records": [
            {
                "messageId": "m1",
                "receiptHandle": "r1",
                "body": json.dumps({"channel": CHANNEL}),
                "attributes": {"MessageGroupId": CHANNEL, "SequenceNumber": "1"},
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:send.fifo",
                "awsRegion": REGION,
            }
        ]
    }
    assert module.handler(event, Context()) == {"batchItemFailures": []}
    assert len(fake_slack.calls("chat.update")) == 1  # the root shows the repeat
    replies = [c for c in fake_slack.calls("chat.postMessage") if c.params.get("thread_ts")]
    assert len(replies) == 1

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("store down")

    lambdas.services().alerts.list_pending = broken
    failed = module.handler(event, Context())
    assert failed == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_the_slack_function_answers_a_signed_slash_command_and_runs_its_lazy_listener(
    aws, fake_slack
):
    module = lambdas.load("slack")
    invoker = InProcessInvoker(module.handler)
    module.use_invoker(invoker)
    answer = module.handler(signed_command(fake_slack, "help"), Context())
    assert answer["statusCode"] == 200
    assert invoker.invocations == [{"function": Context.invoked_function_arn, "type": "Event"}]
    (reply,) = fake_slack.calls("response_url")
    assert "since:" in json.dumps(reply.params)  # the /events usage, through response_url

    forged = signed_command(fake_slack, "help")
    forged["headers"]["x-slack-signature"] = "v0=" + "0" * 64
    assert module.handler(forged, Context())["statusCode"] == 401
    garbled = signed_command(fake_slack, "help")
    garbled["headers"]["x-slack-request-timestamp"] = "soon"  # Bolt's verifier would raise
    assert module.handler(garbled, Context())["statusCode"] == 401
    garbled["headers"]["x-slack-request-timestamp"] = "1" * 5000  # past int()'s digits
    assert module.handler(garbled, Context())["statusCode"] == 401
    not_utf8 = signed_post("command=%2Fevents&text=\xff")
    not_utf8.update(body=base64.b64encode(b"command=%2Fevents&text=\xff").decode(),
                    isBase64Encoded=True)  # fmt: skip
    assert module.handler(not_utf8, Context())["statusCode"] == 401
    listed = module.handler(signed_post("payload=%5B1%2C2%2C3%5D"), Context())
    assert listed["statusCode"] == 400 and "not an interaction" in listed["body"]


def test_the_slack_function_takes_events_api_json_and_refuses_other_json(aws, fake_slack):
    module = lambdas.load("slack")
    verification = json.dumps({"type": "url_verification", "challenge": "c-7", "token": "x"})
    request = signed_post(verification)
    request["headers"]["content-type"] = "application/json"
    answer = module.handler(request, Context())
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == {"challenge": "c-7"}

    click = json.dumps({"type": "block_actions", "actions": []})  # interactions are forms
    request = signed_post(click)
    request["headers"]["content-type"] = "application/json"
    answer = module.handler(request, Context())
    assert answer["statusCode"] == 400 and "Events API" in json.loads(answer["body"])["error"]
    request["headers"]["x-slack-signature"] = "v0=" + "0" * 64
    assert module.handler(request, Context())["statusCode"] == 401  # unsigned first


def test_the_slack_function_drops_a_replayed_command(aws, fake_slack):
    """The same signed bytes again, inside Slack's 5 minutes: acked, not run again (its
    lazy listener, invoked with the same signature, is not taken for a replay)."""
    module = lambdas.load("slack")
    invoker = InProcessInvoker(module.handler)
    module.use_invoker(invoker)
    request = signed_command(fake_slack, "help")
    assert module.handler(request, Context())["statusCode"] == 200
    assert module.handler(request, Context())["statusCode"] == 200
    assert len(invoker.invocations) == 1
    assert len(fake_slack.calls("response_url")) == 1


def test_an_acknowledge_click_on_the_slack_function_acks_then_does_the_work_lazily(aws, fake_slack):
    lambdas.load("ingest").handler(
        load("cloudwatch_alarm_state_change_single_metric.json"), Context()
    )
    module = lambdas.load("slack")
    (alert,) = [a for a in lambdas.services().alerts.list_alerts() if a.kind == "alert"]
    invoker = InProcessInvoker(module.handler)
    module.use_invoker(invoker)
    payload = {
        "type": "block_actions",
        "team": {"id": "T0FAKETEAM"},
        "user": {"id": "U0ALICE", "team_id": "T0FAKETEAM"},
        "api_app_id": "A0APP",
        "channel": {"id": CHANNEL},
        "trigger_id": "t-1",
        "container": {"type": "message", "channel_id": CHANNEL},
        "actions": [{"action_id": "alert_ack", "type": "button", "block_id": "b",
                     "value": f"{alert.id}:{alert.state_version}", "action_ts": "1"}],
    }  # fmt: skip
    answer = module.handler(signed_post(urlencode({"payload": json.dumps(payload)})), Context())
    assert answer["statusCode"] == 200
    assert len(invoker.invocations) == 1  # the work ran as a lazy listener
    acked = lambdas.services().alerts.get_alert(alert.id)
    assert acked.status.value == "acked" and acked.acked_by == "U0ALICE"
    assert fake_slack.calls("chat.update")


def test_the_api_function_serves_the_rest_routes(aws):
    module = lambdas.load("api")
    answer = module.handler(http_v2("GET", "/events", query="limit=5"), Context())
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["limit"] == 5
    missing = module.handler(http_v2("GET", "/events/nope"), Context())
    assert missing["statusCode"] == 404


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("daily_report", {"status": "posted"}),
        ("query_error_logs", {"groups": 0, "published": 0}),
        ("redeliver", {"redelivered": 0}),
        ("escalate", None),
        ("expire_silences", {"changed": 0}),
        ("flush", {"flushed": 0}),
        ("check_agents", {"changed": 0}),
        ("refresh_home", {"published": 0}),
        ("heartbeat", {"metric": True, "url": False}),
    ],
)
def test_scheduled_functions_run_on_a_schedule_event(aws, fake_slack, name, expected):
    answer = lambdas.load(name).handler(scheduled(), Context())
    assert isinstance(answer, dict)
    for key, value in (expected or {}).items():
        assert answer[key] == value, answer
    if name == "daily_report":
        (summary,) = fake_slack.calls("chat.postMessage")
        assert summary.params["channel"] == CHANNEL


def test_refresh_accounts_reads_the_organisation_into_the_cache(aws, fake_slack):
    organizations = boto3.client("organizations", region_name=REGION)
    module = lambdas.load("refresh_accounts")
    organizations.create_organization(FeatureSet="ALL")
    created = organizations.create_account(AccountName="payments-prod", Email="p@example.com")
    account = created["CreateAccountStatus"]["AccountId"]
    organizations.tag_resource(ResourceId=account, Tags=[{"Key": "team", "Value": "payments"}])
    answer = module.handler(scheduled(), Context())
    assert answer["refreshed"] is True and answer["accounts"] >= 2  # the management's too
    from bot.accounts import load_accounts
    from handlers.aws_lambda.wiring import services

    cached = load_accounts(services().alerts)
    assert cached[account].name == "payments-prod"
    assert cached[account].tags == {"team": "payments"}


def test_enrich_consumes_its_queue_and_shares_the_graph_in_the_alert_s_thread(
    aws, fake_slack, fake_cloudwatch, monkeypatch
):
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="enrich")["QueueUrl"]
    monkeypatch.setenv("ENRICH_QUEUE_URL", queue_url)
    monkeypatch.setenv("ENRICH_LOGS", "false")  # moto's Logs Insights ignores the query
    lambdas.load("ingest").handler(load("cloudwatch_alarm_state_change_single_metric.json"),
                                   Context())  # fmt: skip
    (root,) = fake_slack.calls("chat.postMessage")
    (message,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    records = [{"messageId": message["MessageId"], "body": message["Body"]},
               {"messageId": "not-ours", "body": "{}"}]  # fmt: skip
    answer = lambdas.load("enrich").handler({"Records": records}, Context())
    assert answer == {"batchItemFailures": []}  # a message naming no alert is dropped
    (widget,) = fake_cloudwatch.widgets
    assert widget["metrics"][0][:2] == ["AWS/EC2", "CPUUtilization"]
    (shared,) = fake_slack.files(CHANNEL)
    assert shared["thread_ts"] == root.response["ts"]


def test_update_deployment_on_its_payload_and_as_an_event_detail(aws, fake_slack):
    module = lambdas.load("update_deployment")
    payload = {"agent_id": ACCOUNT, "region": REGION, "status": "UPDATE_COMPLETE",
               "deployed_at": 1_795_000_000}  # fmt: skip
    first = module.handler(payload, Context())
    assert first["created"] is True
    second = module.handler({**scheduled(), "detail": {**payload, "status": "DONE"}}, Context())
    assert second["created"] is False
    assert second["agent"]["status"] == "DONE"
    assert "bad deployment payload" in module.handler({"agent_id": "x"}, Context())["error"]


SAMPLES = {
    "ingest",
    "notify",
    "slack",
    "api",
    "daily_report",
    "query_error_logs",
    "redeliver",
    "escalate",
    "expire_silences",
    "flush",
    "check_agents",
    "heartbeat",
    "update_deployment",
    "enrich",
    "refresh_accounts",
    "refresh_home",
}
