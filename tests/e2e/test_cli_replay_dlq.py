"""`python app.py replay-dlq` against SQS queues on moto's server, storing to SQLite:
the ingest dead-letter queue's two senders' letters, and the messages SQS moved from the
ingest queue to its own dead-letter queue, are replayed once; garbage stays, and a
second run stores nothing new."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from adapters.sqlite import SqliteDatabase
from tests.corpus import load
from tests.e2e.conftest import run_cli
from tests.unit.test_replay import EVENTBRIDGE_ATTRIBUTES, destination_record

REGION = "us-east-1"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
GARBAGE = "this is not a dead letter"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def sqs(moto_url: str) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=moto_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def queue_url(sqs: Any) -> str:
    return sqs.create_queue(QueueName=f"ingest-dlq-{uuid.uuid4().hex[:12]}")["QueueUrl"]


@pytest.fixture
def cli_env(moto_url: str, queue_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The CLI's environment: moto's SQS, dummy credentials, the console chat."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return {
        **DUMMY_CREDENTIALS,
        "AWS_ENDPOINT_URL_SQS": moto_url,
        "AWS_REGION": REGION,
        "INGEST_DLQ_URL": queue_url,
        "SLACK_BOT_TOKEN": "",  # the console chat: alerts go to stderr
    }


def send(sqs: Any, queue_url: str, body: str, attributes: dict[str, str] | None = None) -> str:
    extra = {}
    if attributes:
        extra["MessageAttributes"] = {
            name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
        }
    return sqs.send_message(QueueUrl=queue_url, MessageBody=body, **extra)["MessageId"]


def in_queue(sqs: Any, queue_url: str) -> tuple[int, int]:
    """(visible, hidden) messages."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    found = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return int(found[names[0]]), int(found[names[1]])


def wait_visible(sqs: Any, queue_url: str, count: int) -> None:
    """Until `count` messages are visible again (a run hides them for --visibility 1)."""
    deadline = time.monotonic() + 5
    while in_queue(sqs, queue_url)[0] != count:
        assert time.monotonic() < deadline, f"queue holds {in_queue(sqs, queue_url)}"
        time.sleep(0.2)


def stored_ids(data_dir: Path) -> list[str]:
    path = data_dir / "monitoring.sqlite3"
    if not path.exists():
        return []
    db = SqliteDatabase(path)
    try:
        return [row[0] for row in db.execute("SELECT id FROM events ORDER BY id").fetchall()]
    finally:
        db.close()


def lines_by_message(stdout: str) -> dict[str, str]:
    return {
        line.split(": ", 1)[0]: line.split(": ", 1)[1]
        for line in stdout.splitlines()
        if ": " in line
    }


def test_replay_stores_each_dead_letter_once_and_keeps_garbage(sqs, queue_url, cli_env, tmp_path):
    stack, health, sns = (
        load("cloudformation_stack_status_change_create_complete.json"),
        load("health_ec2_issue_minimal.json"),
        load("sns_cloudwatch_alarm_ok.json"),
    )
    sns_id = sns["Records"][0]["Sns"]["MessageId"]
    expected = sorted([stack["id"], health["id"], sns_id])
    stack_record = send(sqs, queue_url, destination_record(stack))
    sns_record = send(sqs, queue_url, destination_record(sns))
    health_letter = send(sqs, queue_url, json.dumps(health), EVENTBRIDGE_ATTRIBUTES)
    garbage = send(sqs, queue_url, GARBAGE)
    stack_again = send(sqs, queue_url, json.dumps(stack), EVENTBRIDGE_ATTRIBUTES)

    dry = run_cli("replay-dlq", "--dry-run", "--visibility", "1", data_dir=tmp_path, env=cli_env)
    assert dry.returncode == 1, dry.stderr  # the garbage would be left
    assert "dry run: 5 messages: 4 valid, 1 rejected; nothing was ingested or deleted" in dry.stdout
    assert lines_by_message(dry.stdout)[sns_record].startswith(f"valid {sns_id} ")
    assert stored_ids(tmp_path) == []
    assert sum(in_queue(sqs, queue_url)) == 5
    wait_visible(sqs, queue_url, 5)

    first = run_cli("replay-dlq", "--visibility", "1", data_dir=tmp_path, env=cli_env)
    assert first.returncode == 1, first.stderr
    lines = lines_by_message(first.stdout)
    assert lines[sns_record] == f"stored {sns_id} (Lambda on-failure record)"
    assert lines[health_letter] == f"stored {health['id']} (EventBridge dead letter)"
    stack_outcomes = {lines[stack_record].split()[0], lines[stack_again].split()[0]}
    assert stack_outcomes == {"stored", "duplicate"}
    assert lines[garbage].startswith("rejected: not a dead letter: body is not JSON")
    summary = "replayed 5 messages: 3 stored, 1 duplicate, 1 rejected; 1 left in the queue"
    assert summary in first.stdout
    # Alerts follow as for any ingest: the console chat prints what it posts (the rest of
    # a burst waits, pending, for the next flush, as after `ingest`).
    assert "── console · " in first.stderr
    assert stored_ids(tmp_path) == expected
    assert sum(in_queue(sqs, queue_url)) == 1
    wait_visible(sqs, queue_url, 1)
    left = sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in left] == [GARBAGE]

    second = run_cli("replay-dlq", "--visibility", "1", data_dir=tmp_path, env=cli_env)
    assert second.returncode == 1, second.stderr
    assert "replayed 1 message: 0 stored, 0 duplicate, 1 rejected" in second.stdout
    assert "── console · " not in second.stderr  # nothing new, so nothing alerted
    assert stored_ids(tmp_path) == expected

    # The garbage removed by hand, and one event redelivered: a duplicate, deleted, exit 0.
    (message,) = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2)["Messages"]
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    redelivered = send(sqs, queue_url, destination_record(sns))
    env = {**cli_env, "INGEST_DLQ_URL": ""}
    third = run_cli("replay-dlq", "--queue-url", queue_url, data_dir=tmp_path, env=env)
    assert third.returncode == 0, third.stderr
    assert (
        lines_by_message(third.stdout)[redelivered]
        == f"duplicate {sns_id} (Lambda on-failure record)"
    )
    assert "replayed 1 message: 0 stored, 1 duplicate, 0 rejected; 0 left" in third.stdout
    assert in_queue(sqs, queue_url) == (0, 0)
    assert stored_ids(tmp_path) == expected


def test_an_empty_queue_is_nothing_to_do(cli_env, tmp_path):
    proc = run_cli("replay-dlq", data_dir=tmp_path, env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert "replayed 0 messages: 0 stored, 0 duplicate, 0 rejected; 0 left" in proc.stdout


def test_a_missing_queue_url_is_exit_2_saying_what_to_set(tmp_path):
    proc = run_cli("replay-dlq", data_dir=tmp_path, env={"INGEST_DLQ_URL": ""})
    assert proc.returncode == 2
    assert "no queue: set INGEST_DLQ_URL or pass --queue-url" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "monitoring.sqlite3").exists()  # checked before the store opens


def test_a_queue_that_does_not_exist_is_exit_1_with_the_reason(cli_env, queue_url, tmp_path):
    env = {**cli_env, "INGEST_DLQ_URL": queue_url + "-missing"}
    proc = run_cli("replay-dlq", data_dir=tmp_path, env=env)
    assert proc.returncode == 1
    assert "replay-dlq stopped: could not read the queue: SQS ReceiveMessage failed" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture
def ingest_queue(sqs: Any) -> tuple[str, str]:
    """(the ingest queue's URL, its dead-letter queue's URL), with serverless.yml's redrive."""
    suffix = uuid.uuid4().hex[:12]
    dlq_url = sqs.create_queue(QueueName=f"ingest-queue-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    redrive = {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": "5"}
    url = sqs.create_queue(
        QueueName=f"ingest-{suffix}", Attributes={"RedrivePolicy": json.dumps(redrive)}
    )["QueueUrl"]
    return url, dlq_url


def fail_until_dead_lettered(sqs: Any, queue_url: str, dlq_url: str, count: int) -> None:
    """Receive without deleting, as a function that fails does, until SQS has moved
    `count` messages to the dead-letter queue."""
    for _ in range(20):
        sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        if in_queue(sqs, dlq_url)[0] == count:
            return
    raise AssertionError(f"the dead-letter queue holds {in_queue(sqs, dlq_url)}")


def test_what_sqs_moved_from_the_ingest_queue_is_replayed_as_the_function_reads_it(
    sqs, ingest_queue, cli_env, tmp_path
):
    queue_url, dlq_url = ingest_queue
    health = load("health_ec2_issue_minimal.json")
    sns = load("sns_cloudwatch_alarm_ok.json")
    sns_id = sns["Records"][0]["Sns"]["MessageId"]
    text = send(sqs, queue_url, "the nightly export failed")  # SNS raw delivery: text
    notification = send(sqs, queue_url, json.dumps(sns["Records"][0]["Sns"]))  # not raw
    event = send(sqs, queue_url, json.dumps(health))  # an EventBridge rule's target
    bad = send(sqs, queue_url, json.dumps({"detail-type": "X", "detail": "x"}))
    fail_until_dead_lettered(sqs, queue_url, dlq_url, 4)
    env = {**cli_env, "INGEST_DLQ_URL": ""}

    dry = run_cli("replay-dlq", "--queue-url", dlq_url, "--dry-run", "--visibility", "1",
                  data_dir=tmp_path, env=env)  # fmt: skip
    assert dry.returncode == 1, dry.stderr
    assert "dry run: 4 messages: 3 valid, 1 rejected" in dry.stdout
    assert stored_ids(tmp_path) == []
    wait_visible(sqs, dlq_url, 4)

    first = run_cli("replay-dlq", "--queue-url", dlq_url, "--visibility", "1",
                    data_dir=tmp_path, env=env)  # fmt: skip
    assert first.returncode == 1, first.stderr
    lines = lines_by_message(first.stdout)
    assert lines[text] == f"stored {text} (SQS dead letter)"  # a text's id: its message's
    assert lines[notification] == f"stored {sns_id} (SQS dead letter)"
    assert lines[event] == f"stored {health['id']} (SQS dead letter)"
    assert lines[bad] == "rejected (SQS dead letter): detail must be a JSON object, not a string"
    assert "replayed 4 messages: 3 stored, 0 duplicate, 1 rejected; 1 left" in first.stdout
    assert stored_ids(tmp_path) == sorted([text, sns_id, health["id"]])
    wait_visible(sqs, dlq_url, 1)

    second = run_cli("replay-dlq", "--queue-url", dlq_url, data_dir=tmp_path, env=env)
    assert second.returncode == 1, second.stderr
    assert "replayed 1 message: 0 stored, 0 duplicate, 1 rejected" in second.stdout
    assert stored_ids(tmp_path) == sorted([text, sns_id, health["id"]])
