"""The daily_report Lambda: the scheduled run reports yesterday once; a manual run names
a day and may force it. Console chat (no token), SQLite in a temporary directory."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import ValidationError
from tests import lambdas
from tests.corpus import load
from tests.lambdas import cold_start


@pytest.fixture
def lambda_module(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STORE", "sqlite")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    with cold_start():
        yield lambdas.load("daily_report")


def yesterday() -> str:
    return (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


def test_the_scheduled_run_reports_yesterday_once(lambda_module):
    svc = lambdas.services()
    event = load("cloudwatch_alarm_state_change_single_metric.json")
    event["time"] = f"{yesterday()}T12:00:00Z"
    event["id"] = f"lambda-report-{time.time_ns()}"
    assert svc.ingest(event).stored == 1
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    first = lambda_module.handler(scheduled, None)
    assert first == {"day": yesterday(), "status": "posted", "posted": 2}
    assert lambda_module.handler(scheduled, None)["status"] == "already_posted"


def test_a_manual_run_names_a_day_and_may_force_it(lambda_module):
    day = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
    assert lambda_module.handler({"date": day}, None)["posted"] == 1  # a quiet day
    assert lambda_module.handler({"date": day}, None)["status"] == "already_posted"
    assert lambda_module.handler({"date": day, "force": True}, None)["posted"] == 1
    with pytest.raises(ValidationError, match="not over yet"):
        lambda_module.handler({"date": datetime.now(UTC).date().isoformat()}, None)
