"""The Lambda functions write the bot's metrics as CloudWatch's embedded metric format
at the end of each invocation."""

from __future__ import annotations

import json

import pytest

from bot.metrics import NAMESPACE
from tests import lambdas
from tests.corpus import load
from tests.lambdas import cold_start


@pytest.fixture(autouse=True)
def sqlite(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STORE", "sqlite")
    monkeypatch.setenv("AWS_DYNAMODB_TABLE", "monitoring-test")
    with cold_start():
        yield


def emf_lines(out: str) -> list[dict]:
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [line for line in lines if "_aws" in line]


def test_the_ingest_function_writes_its_counts_when_it_returns(capsys):
    ingest = lambdas.load("ingest")
    capsys.readouterr()
    ingest.handler(load("health_ec2_issue_minimal.json"), None)
    lines = emf_lines(capsys.readouterr().out)
    (stored,) = [line for line in lines if "EventsStored" in line]
    assert stored["EventsStored"] == [1.0]
    assert (stored["family"], stored["Table"]) == ("health", "monitoring-test")
    (directive,) = stored["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert directive["Dimensions"] == [["Table", "family"]]
    assert any("StoreCallSeconds" in line for line in lines)  # the stores' calls, timed


def test_the_flush_function_measures_the_gauges(capsys):
    flush = lambdas.load("flush")
    capsys.readouterr()
    flush.handler({}, None)
    lines = emf_lines(capsys.readouterr().out)
    (gauges,) = [line for line in lines if "DueWorkRecords" in line]
    assert gauges["DueWorkRecords"] == [0.0]
    assert gauges["StormChannels"] == [0.0]
