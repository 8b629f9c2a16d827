"""The ingest Lambda entry point, invoked as EventBridge and SNS invoke it."""

from __future__ import annotations

import importlib
import json
import logging
import time

import pytest

from bot.config import get_settings
from tests.corpus import load


@pytest.fixture
def lambda_module(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STORE", "sqlite")
    get_settings.cache_clear()
    import handlers.aws_lambda.ingest as module
    import handlers.aws_lambda.wiring as wiring

    wiring.services.cache_clear()
    yield importlib.reload(module)
    wiring.services.cache_clear()
    get_settings.cache_clear()
    logging.getLogger().handlers.clear()


def test_eventbridge_invocation_stores_the_event(lambda_module):
    event = load("cloudformation_stack_status_change_create_complete.json")
    answer = lambda_module.handler(event, None)
    assert answer == {"stored": 1, "duplicates": 0, "ids": [event["id"]], "rejected": []}
    assert lambda_module.handler(event, None)["duplicates"] == 1
    stored = lambda_module.services().events.get(event["id"], now=int(time.time()))
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
