"""The ingest Lambda entry point, invoked as EventBridge and SNS invoke it."""

from __future__ import annotations

import json
import logging
import time

import pytest

from tests import lambdas
from tests.corpus import load, transition
from tests.lambdas import cold_start


@pytest.fixture
def lambda_module(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STORE", "sqlite")
    with cold_start():
        yield lambdas.load("ingest")


def test_eventbridge_invocation_stores_the_event(lambda_module):
    event = load("cloudformation_stack_status_change_create_complete.json")
    answer = lambda_module.handler(event, None)
    assert answer == {
        "stored": 1,
        "duplicates": 0,
        "ids": [event["id"]],
        "rejected": [],
        "rejected_count": 0,
    }
    assert lambda_module.handler(event, None)["duplicates"] == 1
    stored = lambdas.services().events.get(event["id"], now=int(time.time()))
    assert stored.family == "cloudformation"


def test_sns_invocation_stores_each_record(lambda_module):
    answer = lambda_module.handler(load("sns_backup_job_notifications.json"), None)
    assert (answer["stored"], answer["duplicates"]) == (2, 2)


def test_bad_input_is_answered_and_logged_not_raised(lambda_module, caplog):
    answer = lambda_module.handler({"unexpected": "shape"}, None)
    assert answer["stored"] == 0
    assert "unrecognised event shape" in answer["rejected"][0]["error"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("unrecognised event shape" in r.getMessage() for r in warnings)


def test_logs_are_powertools_json(lambda_module):
    (handler,) = [h for h in logging.getLogger().handlers if h.formatter is not None][:1]
    record = logging.LogRecord("bot.ingest", logging.WARNING, __file__, 1, "hello %s", ("x",), None)
    line = json.loads(handler.format(record))
    assert line["level"] == "WARNING"
    assert line["message"] == "hello x"
    assert line["service"] == "aws-monitoring-bot"


def test_held_back_work_is_done_by_the_flush_function(lambda_module):
    import handlers.aws_lambda.flush as flush_module
    from tests.fakes import FakeClock

    alarm = load("cloudwatch_alarm_state_change_single_metric.json")
    lambda_module.handler(alarm, None)
    svc = lambdas.services()
    (alert,) = svc.alerts.list_alerts()
    clock = FakeClock(start=time.time())
    lambdas.clock.use(clock)  # the clock the next invocations read
    lambda_module.handler({**transition(alarm), "id": "again"}, None)  # a repeat inside the window
    assert svc.alerts.get_alert(alert.id).outbox.pending  # its edit and reply are held back
    clock.advance(15)
    assert flush_module.handler({}, None) == {"flushed": 1}
    assert not svc.alerts.get_alert(alert.id).outbox.pending


def test_each_ingest_also_moves_due_work_on(lambda_module):
    from tests.fakes import FakeClock

    alarm = load("cloudwatch_alarm_state_change_single_metric.json")
    lambda_module.handler(alarm, None)
    svc = lambdas.services()
    clock = FakeClock(start=time.time())
    lambdas.clock.use(clock)
    lambda_module.handler({**transition(alarm), "id": "again"}, None)
    (alert,) = [a for a in svc.alerts.list_alerts() if a.kind == "alert"]
    assert alert.outbox.pending
    clock.advance(15)
    lambda_module.handler(load("cloudformation_stack_status_change_create_complete.json"), None)
    assert not svc.alerts.get_alert(alert.id).outbox.pending  # done by another event's invocation


def _http_api_event(path: str, query: str = "", headers: dict | None = None) -> dict:
    """An API Gateway HTTP API (payload 2.0) request, as the api Lambda receives it."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "api.example", **(headers or {})},
        "requestContext": {
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4"},
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def test_the_api_lambda_serves_the_rest_api_through_mangum(lambda_module, monkeypatch):
    import handlers.aws_lambda.api as api

    monkeypatch.setattr(api, "_asgi", None)
    event = load("cloudformation_stack_status_change_create_complete.json")
    lambda_module.handler(event, None)
    answer = api.handler(_http_api_event(f"/events/{event['id']}"), None)
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["id"] == event["id"]
    bad = api.handler(_http_api_event("/events", "limit=0"), None)
    assert bad["statusCode"] == 400 and "error" in json.loads(bad["body"])


def test_the_update_deployment_lambda_registers_then_updates(lambda_module):
    import handlers.aws_lambda.update_deployment as deploy

    payload = {"agent_id": "123456789012", "region": "eu-west-1", "status": "CREATE_COMPLETE",
               "deployed_at": 1_790_000_000}  # fmt: skip
    assert deploy.handler(payload)["created"] is True
    again = deploy.handler({"detail": {**payload, "status": "UPDATE_COMPLETE"}})
    assert again["created"] is False and again["agent"]["status"] == "UPDATE_COMPLETE"
    assert "bad deployment payload" in deploy.handler({"agent_id": "x"})["error"]


def test_the_update_deployment_lambda_takes_an_iso_8601_time(lambda_module):
    import handlers.aws_lambda.update_deployment as deploy

    payload = {"agent_id": "123456789012", "region": "eu-west-1", "status": "CREATE_COMPLETE",
               "deployed_at": "2026-12-03T10:00:00Z"}  # fmt: skip
    assert deploy.handler({"detail": payload})["agent"]["deployed_at"] == 1_796_292_000
    bad = deploy.handler({**payload, "deployed_at": "next tuesday"})
    assert bad["error"] == (
        "bad deployment payload: deployed_at: 'next tuesday' is neither epoch seconds nor "
        "an ISO 8601 time with an offset, such as 2026-12-03T10:00:00Z (years 1971 to 9998)"
    )


def test_an_sqs_batch_names_every_failed_message_though_the_answer_lists_100(lambda_module):
    """SQS deletes every message the answer does not name: each unreadable one must be
    named, however many, or it is lost instead of dead-lettered."""
    from tests.e2e.test_corpus_paths import sqs_record

    good = load("ecs_task_state_change_running.json")
    units = [good if n % 50 == 0 else {"source": "aws.ec2", "detail": []} for n in range(300)]
    records = [sqs_record(unit, f"m-{n}") for n, unit in enumerate(units)]
    answer = lambda_module.handler({"Records": records}, None)
    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    assert failed == [f"m-{n}" for n in range(300) if n % 50]
    assert (answer["rejected_count"], len(answer["rejected"])) == (294, 100)
