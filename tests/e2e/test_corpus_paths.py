"""The whole corpus through every way in: POST /ingest under uvicorn, `python app.py
ingest` (one process), and the ingest Lambda invoked directly, by SNS and by SQS (one
process each). Every stored event is what tests/data/aws/expected.csv says of the unit it
came from, and every refused unit is refused, by its index."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.envelopes import read_unit
from bot.errors import ValidationError
from tests import lambdas
from tests.corpus import (
    Expectation,
    FirstSeen,
    corpus_files,
    expected_for,
    mismatch,
    units,
)
from tests.e2e.conftest import run_cli
from tests.lambdas import cold_start

Lookup = Callable[[str], Any]  # event id → the stored Event


def unit_ids(unit: Any) -> list[str]:
    """The ids the unit's events get (as ingest reads them); [] for a refused unit."""
    try:
        return [raw.id for raw in read_unit(unit)]
    except ValidationError:
        return []


class Audit:
    """Checks each file's answer (ids, rejections) against its rows, in one store."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self.first = FirstSeen()
        self.problems: list[str] = []
        self.events = 0

    def file(self, path: Path, answer: dict[str, Any], bodies: list[Any] | None = None) -> None:
        """`answer` for `path` sent whole, or unit by unit as `bodies` (one answer each)."""
        parts = units(path)
        rejected = {r["index"] for r in answer["rejected"]}
        for index, unit in enumerate(parts):
            expected = expected_for(path.name, index)
            where = f"{path.name}[{index}]"
            if bodies and expected.refused and expected.shape != "ingest-failure-record":
                # Inside a notification, another service's payload is that message's
                # text: shown, not refused (the bot's own failure records still are).
                if index in rejected:
                    self.problems.append(f"{where}: refused inside a notification")
                for event_id in unit_ids(bodies[index]):
                    if self.lookup(event_id).family != "generic":
                        self.problems.append(f"{where}: not shown as a message")
                continue
            if expected.refused:
                if index not in rejected:
                    self.problems.append(f"{where}: not refused")
                continue
            if index in rejected:
                self.problems.append(f"{where}: refused: {answer['rejected']}")
                continue
            for event_id in unit_ids(bodies[index] if bodies else unit):
                self.check(event_id, expected)

    def check(self, event_id: str, expected: Expectation) -> None:
        row = self.first.claim(event_id, expected)
        event = self.lookup(event_id)
        self.events += 1
        problem = mismatch(row, event.family, event.state.value, event.severity.value)
        if problem:
            self.problems.append(problem)


def test_every_file_through_http_ingest(service_factory, client_for):
    service = service_factory()
    client = client_for(service)
    now = int(time.time()) + 3600
    audit = Audit(lambda event_id: service.services.events.get(event_id, now=now))
    for path in corpus_files():
        answer = client.post("/ingest", content=path.read_bytes())
        parts = units(path)
        troubled = [expected_for(path.name, i).state for i in range(len(parts))]
        if all(state == "rejected" for state in troubled):  # nothing usable: 400, saying why
            assert answer.status_code == 400, (path.name, answer.text)
            assert answer.json()["error"].startswith("no usable event"), path.name
        else:
            assert answer.status_code == 202, (path.name, answer.text)
        audit.file(path, {"rejected": [], **answer.json()})
    assert audit.problems == []
    assert audit.events > len(corpus_files())


def test_every_file_through_the_cli_in_one_process(tmp_path, monkeypatch):
    files = corpus_files()
    proc = run_cli("ingest", "--json", *map(str, files), data_dir=tmp_path)
    assert "Traceback" not in proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [Path(line["file"]).name for line in lines] == [p.name for p in files]
    assert proc.returncode == 1  # the refused payloads are rejections
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STORE", "sqlite")
    with cold_start():
        store = lambdas.load("ingest").services().events
        now = int(time.time()) + 3600
        audit = Audit(lambda event_id: store.get(event_id, now=now))
        for path, line in zip(files, lines, strict=True):
            audit.file(path, line)
    assert audit.problems == []


def sns_record(unit: Any, message_id: str) -> dict[str, Any]:
    return {
        "EventSource": "aws:sns",
        "Sns": {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": "arn:aws:sns:eu-west-1:123456789012:monitoring",
            "Message": json.dumps(unit),
            "Timestamp": "2024-01-01T00:00:00.000Z",
        },
    }


def sqs_record(unit: Any, message_id: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "body": json.dumps(unit),
        "attributes": {"SentTimestamp": "1704067200000"},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:monitoring-ingest",
        "awsRegion": "eu-west-1",
    }


@pytest.mark.parametrize("trigger", ["direct", "sns", "sqs"])
def test_every_file_through_the_ingest_lambda(trigger, tmp_path, monkeypatch):
    """Direct: each file as an alarm action, a log subscription or an EventBridge rule
    hands it over. SNS and SQS: each unit wrapped as those triggers deliver it."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STORE", "sqlite")
    with cold_start():
        module = lambdas.load("ingest")
        store = lambdas.services().events
        now = int(time.time()) + 3600
        audit = Audit(lambda event_id: store.get(event_id, now=now))
        for path in corpus_files():
            if trigger == "direct":
                audit.file(path, module.handler(json.loads(path.read_text()), None))
                continue
            wrap = sns_record if trigger == "sns" else sqs_record
            parts = units(path)
            records = [wrap(u, f"{trigger}-{path.stem}-{i}") for i, u in enumerate(parts)]
            answer = module.handler({"Records": records}, None)
            audit.file(path, answer, bodies=records)
            if trigger == "sqs":
                failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
                refused = {
                    records[i]["messageId"]
                    for i in range(len(parts))
                    if expected_for(path.name, i).shape == "ingest-failure-record"
                }
                assert failed == refused, path.name
    assert audit.problems == []
