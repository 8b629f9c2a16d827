"""The sweep's boto3 plumbing: Logs Insights and EventBridge on moto, a bus rule delivering to
SQS, and InsightsLogQuery's polling on a stubbed client.

What moto 5.2.5 does with Insights (pinned by the first test): a query completes at once;
rows carry @ptr and the asked-for @timestamp (epoch milliseconds, as text), @message,
@logStream and @log (the bare group name, without AWS's "<account>:" prefix); `sort` and
`limit` are applied, `filter` clauses are ignored; the range keeps startTime*1000 <=
timestamp <= endTime*1000. stop_query is not implemented.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from adapters.cloudwatch_logs import InsightsLogQuery
from adapters.eventbridge import EventBridgePublisher
from adapters.factory import open_log_sweep
from adapters.memory import MemoryEventStore
from bot.config import Settings
from bot.error_logs import DEFAULT_QUERY, DETAIL_TYPE, SOURCE, ErrorLogSweep, last_hour
from bot.errors import NotFoundError, RequestTimeoutError, UnprocessedError
from bot.ingest import ingest
from bot.sources import interpret
from tests import lambdas
from tests.fakes import FakeClock
from tests.lambdas import cold_start

REGION = "eu-west-1"
BUS = "monitoring"
PER_GROUP_QUERY = "fields @timestamp, @message | sort @timestamp desc | limit 20"


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"moto's queries complete at once; nothing should wait {seconds}s")


@dataclass
class Aws:
    logs: Any
    events: Any
    sqs: Any
    queue: str
    now: float  # half past the current real hour: moto refuses lines over 14 days old
    start: int
    end: int

    def lines(self, group: str, *lines: tuple[float, str]) -> None:
        """A log group with lines at seconds after the hour's start."""
        self.logs.create_log_group(logGroupName=group)
        if not lines:
            return
        self.logs.create_log_stream(logGroupName=group, logStreamName="app")
        events = [
            {"timestamp": int((self.start + offset) * 1000), "message": message}
            for offset, message in sorted(lines)
        ]
        answer = self.logs.put_log_events(logGroupName=group, logStreamName="app", logEvents=events)
        assert "rejectedLogEventsInfo" not in answer

    def delivered(self) -> list[dict[str, Any]]:
        """Every event the bus's rule delivered to the queue."""
        bodies = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10)
            messages = got.get("Messages", [])
            if not messages:
                return bodies
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])

    def by_group(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for event in self.delivered():
            assert (event["source"], event["detail-type"]) == (SOURCE, DETAIL_TYPE)
            detail = event["detail"]
            assert {line["log_group"] for line in detail["logs"]} == {detail["log_group_name"]}
            found.setdefault(detail["log_group_name"], []).extend(
                line["message"] for line in detail["logs"]
            )
        return found

    def sweep(self, query: str = DEFAULT_QUERY) -> ErrorLogSweep:
        return ErrorLogSweep(
            logs=InsightsLogQuery(self.logs, sleep=no_sleep),
            publisher=EventBridgePublisher(self.events),
            bus=BUS,
            query=query,
            pause=no_sleep,
        )


@pytest.fixture
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_LOGS",
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_EVENTS", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def aws(creds: None) -> Iterator[Aws]:
    with mock_aws():
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        events.create_event_bus(Name=BUS)
        queue = sqs.create_queue(QueueName="findings")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        pattern = {"source": [SOURCE], "detail-type": [DETAIL_TYPE]}
        events.put_rule(Name="findings", EventBusName=BUS, EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule="findings",
            EventBusName=BUS,
            Targets=[{"Id": "queue", "Arn": arn["Attributes"]["QueueArn"]}],
        )
        now = float(int(time.time()) // 3600 * 3600 + 1800)
        start, end = last_hour(now)
        yield Aws(boto3.client("logs", region_name=REGION), events, sqs, queue, now, start, end)


# --- moto's Insights ---------------------------------------------------------------------


def test_moto_insights_returns_the_asked_fields_in_range_and_ignores_filters(aws: Aws) -> None:
    hour = aws.end - aws.start + 1
    aws.lines(
        "/app/api",
        (-1, "ERROR the hour before"),
        (0, "ERROR first second"),
        (10, "INFO not an error"),
        (hour - 1, "ERROR last second"),
        (hour - 0.5, "ERROR last half second"),
        (hour, "ERROR next hour"),
    )
    insights = InsightsLogQuery(aws.logs, sleep=no_sleep)
    rows = insights.query(["/app/api"], DEFAULT_QUERY, aws.start, aws.end)
    assert [row["@message"] for row in rows] == [
        "ERROR last second",
        "INFO not an error",  # moto ignores `filter`
        "ERROR first second",
    ]  # and cuts at endTime*1000: the last half second is not there
    assert set(rows[0]) == {"@ptr", "@timestamp", "@message", "@log"}
    assert rows[0]["@log"] == "/app/api"  # AWS says "<account>:/app/api"
    assert rows[0]["@timestamp"] == str(aws.end * 1000)
    [row] = insights.query(["/app/api"], "fields @message | limit 1", aws.start, aws.end)
    assert row == {"@ptr": row["@ptr"], "@message": "ERROR last second"}


# --- the sweep on moto -------------------------------------------------------------------


def test_sweep_publishes_one_event_per_finding_to_the_bus(aws: Aws) -> None:
    aws.lines("/app/api", (60, "ERROR first"), (120, "ERROR second"))
    aws.lines("/app/jobs", (1800, "ERROR job failed"))
    aws.lines("/app/quiet", (-60, "ERROR before the hour"), (3600, "ERROR after it"))
    result = aws.sweep().run(["/app/api", "/app/jobs", "/app/quiet"], aws.start, aws.end)
    assert (result.groups, result.lines, result.published, result.failed) == (2, 3, 2, [])
    delivered = aws.delivered()
    assert len(delivered) == 2
    by_group = {event["detail"]["log_group_name"]: event for event in delivered}
    assert set(by_group) == {"/app/api", "/app/jobs"}
    api = by_group["/app/api"]
    assert (api["source"], api["detail-type"]) == (SOURCE, DETAIL_TYPE)
    assert api["time"] == datetime.fromtimestamp(aws.end, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert api["detail"]["logs"] == [
        {"message": m, "timestamp": str((aws.start + s) * 1000), "log_group": "/app/api"}
        for s, m in ((120, "ERROR second"), (60, "ERROR first"))
    ]
    store, clock = MemoryEventStore(), FakeClock(aws.now)
    ingested = ingest(delivered, store, clock, ttl=3600)
    assert (ingested.stored, ingested.rejected) == (2, [])
    titles = set()
    for event_id in ingested.ids:
        for signal in interpret(store.get(event_id, now=int(clock.now()))):
            assert signal.family == "logs"
            titles.add(signal.title)
    # One alert per group and error signature: "first" and "second" are two errors.
    assert titles == {
        "Error in /app/api: ERROR first",
        "Error in /app/api: ERROR second",
        "Error in /app/jobs: ERROR job failed",
    }


def test_a_query_without_at_log_keeps_each_line_in_its_group(aws: Aws) -> None:
    aws.lines("/app/a", (5, "ERROR a1"), (6, "ERROR a2"))
    aws.lines("/app/b", (7, "ERROR b1"))
    aws.sweep(PER_GROUP_QUERY).run(["/app/a", "/app/b"], aws.start, aws.end)
    assert aws.by_group() == {"/app/a": ["ERROR a2", "ERROR a1"], "/app/b": ["ERROR b1"]}


def test_a_missing_log_group_costs_only_itself(aws: Aws) -> None:
    for name in ("a", "b", "c"):
        aws.lines(f"/app/{name}", (5, f"ERROR {name}"))
    with pytest.raises(UnprocessedError, match="failed on 1 log group") as raised:
        aws.sweep().run(["/app/a", "/app/deleted", "/app/b", "/app/c"], aws.start, aws.end)
    assert "/app/deleted" in str(raised.value)
    assert aws.by_group() == {f"/app/{n}": [f"ERROR {n}"] for n in "abc"}


def test_open_log_sweep_builds_a_working_sweep_from_settings(aws: Aws) -> None:
    aws.lines("/app/api", (5, "ERROR api"))
    aws.lines("/app/jobs", (6, "ERROR jobs"))
    settings = Settings(
        _env_file=None,
        aws_region=REGION,
        log_groups="/app/api, /app/jobs",
        event_bus_name=BUS,
        query_string=PER_GROUP_QUERY,
    )
    sweep = open_log_sweep(settings)
    assert sweep is not None
    assert (sweep.bus, sweep.query) == (BUS, PER_GROUP_QUERY)
    sweep.pause = no_sleep
    result = sweep.run(settings.log_groups, aws.start, aws.end)
    assert result.published == 2
    assert aws.by_group() == {"/app/api": ["ERROR api"], "/app/jobs": ["ERROR jobs"]}
    assert open_log_sweep(Settings(_env_file=None)) is None
    assert isinstance(open_log_sweep(Settings(_env_file=None), always=True), ErrorLogSweep)


def test_eventbridge_publisher_answers_per_entry_and_fails_on_a_missing_bus(aws: Aws) -> None:
    publisher = EventBridgePublisher(aws.events)
    entry = {"Source": SOURCE, "DetailType": DETAIL_TYPE, "EventBusName": BUS}
    codes = publisher.put_events([{**entry, "Detail": "{}"}, {**entry, "Detail": "not json"}])
    assert codes == [None, "MalformedDetail"]
    assert len(aws.delivered()) == 1
    with pytest.raises(UnprocessedError, match="ResourceNotFoundException"):
        publisher.put_events([{**entry, "Detail": "{}", "EventBusName": "no-such-bus"}])


# --- InsightsLogQuery's polling, on a stubbed client ---------------------------------------


class Ticks:
    """A clock and a sleep: sleeping moves the clock, and is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


START_ARGS = {
    "logGroupNames": ["/app/api", "/app/jobs"],
    "startTime": 1_000,
    "endTime": 4_599,
    "queryString": DEFAULT_QUERY,
}


@pytest.fixture
def stubbed(creds: None) -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("logs", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber


def ask(client: Any, ticks: Ticks, **kw: Any) -> list[dict[str, str]]:
    insights = InsightsLogQuery(client, clock=ticks.clock, sleep=ticks.sleep, **kw)
    return insights.query(START_ARGS["logGroupNames"], DEFAULT_QUERY, 1_000, 4_599)


def test_insights_polls_until_the_query_completes(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("start_query", {"queryId": "q-1"}, START_ARGS)
    for status in ("Scheduled", "Running"):
        stubber.add_response("get_query_results", {"status": status}, {"queryId": "q-1"})
    row = [
        {"field": "@timestamp", "value": "2026-03-04 11:00:00.000"},
        {"field": "@message", "value": "ERROR x"},
        {"field": "@log", "value": "123456789012:/app/api"},
    ]
    stubber.add_response(
        "get_query_results", {"status": "Complete", "results": [row]}, {"queryId": "q-1"}
    )
    ticks = Ticks()
    assert ask(client, ticks, delay=2.0) == [
        {
            "@timestamp": "2026-03-04 11:00:00.000",
            "@message": "ERROR x",
            "@log": "123456789012:/app/api",
        }
    ]
    assert ticks.sleeps == [2.0, 2.0]
    stubber.assert_no_pending_responses()


def test_insights_gives_up_after_its_timeout_and_stops_the_query(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    stubber.add_response("start_query", {"queryId": "q-2"}, START_ARGS)
    for _ in range(16):  # at 0, 1, ... 15 s: the 15 s timeout is reached on the last
        stubber.add_response("get_query_results", {"status": "Running"}, {"queryId": "q-2"})
    stubber.add_response("stop_query", {"success": True}, {"queryId": "q-2"})
    ticks = Ticks()
    with pytest.raises(RequestTimeoutError, match=r"/app/api, /app/jobs did not finish in 15s"):
        ask(client, ticks, timeout=15.0, delay=1.0)
    assert ticks.sleeps == [1.0] * 15
    stubber.assert_no_pending_responses()  # stop_query was called


def test_a_query_that_cannot_be_stopped_still_times_out(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("start_query", {"queryId": "q-3"}, START_ARGS)
    for _ in range(3):
        stubber.add_response("get_query_results", {"status": "Running"}, {"queryId": "q-3"})
    stubber.add_client_error("stop_query", "InvalidParameterException", "query already done")
    with pytest.raises(RequestTimeoutError):
        ask(client, Ticks(), timeout=2.0, delay=1.0)
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("status", ["Failed", "Cancelled", "Timeout", "Unknown"])
def test_a_query_ending_badly_is_unprocessed(stubbed: tuple[Any, Stubber], status: str) -> None:
    client, stubber = stubbed
    stubber.add_response("start_query", {"queryId": "q-4"}, START_ARGS)
    stubber.add_response("get_query_results", {"status": "Running"}, {"queryId": "q-4"})
    stubber.add_response("get_query_results", {"status": status}, {"queryId": "q-4"})
    ticks = Ticks()
    with pytest.raises(UnprocessedError, match=f"q-4 over /app/api, /app/jobs: {status}"):
        ask(client, ticks)
    assert ticks.sleeps == [1.0]
    stubber.assert_no_pending_responses()


def test_a_query_that_cannot_start_names_its_groups(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "start_query",
        "ResourceNotFoundException",
        "The specified log group does not exist.",
        400,
        expected_params=START_ARGS,
    )
    with pytest.raises(NotFoundError) as raised:  # the sweep gives up its groups alone
        ask(client, Ticks())
    assert "could not query /app/api, /app/jobs" in str(raised.value)
    assert "ResourceNotFoundException" in str(raised.value)


def test_a_failing_poll_is_unprocessed(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("start_query", {"queryId": "q-5"}, START_ARGS)
    stubber.add_client_error("get_query_results", "ThrottlingException", "slow down")
    with pytest.raises(UnprocessedError, match=r"q-5: .*ThrottlingException"):
        ask(client, Ticks())


# --- the Lambda --------------------------------------------------------------------------


@pytest.fixture
def lambda_env(aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """query_error_logs with fresh settings and services, its clock at `aws.now`."""
    for name in ("SLACK_BOT_TOKEN", "HEARTBEAT_URL", "AGENT_ECS_CLUSTER", "QUERY_STRING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("STORE", "sqlite")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)

    def fresh() -> Any:
        module = lambdas.load("query_error_logs")
        lambdas.clock.use(FakeClock(aws.now))
        return module

    with cold_start():
        yield fresh


def test_the_lambda_sweeps_the_configured_groups(
    aws: Aws, lambda_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.lines("/app/api", (5, "ERROR api"), (6, "INFO x"), (3600, "ERROR next hour"))
    aws.lines("/app/jobs", (7, "ERROR jobs"))
    monkeypatch.setenv("LOG_GROUPS", "/app/api,/app/jobs")
    monkeypatch.setenv("QUERY_STRING", "fields @timestamp, @message, @log | limit 20")
    module = lambda_env()
    assert module.handler({}, None) == {
        "groups": 2, "lines": 3, "published": 2, "failed": 0, "timed_out": 0, "unqueried": 0
    }  # fmt: skip
    assert aws.by_group() == {"/app/api": ["INFO x", "ERROR api"], "/app/jobs": ["ERROR jobs"]}


def test_the_lambda_takes_its_groups_from_the_schedule_input(
    aws: Aws, lambda_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.lines("/app/api", (5, "ERROR api"))
    aws.lines("/app/jobs", (7, "ERROR jobs"))
    monkeypatch.setenv("LOG_GROUPS", "")
    module = lambda_env()
    assert module.handler({}, None) == {
        "groups": 0, "lines": 0, "published": 0, "failed": 0, "timed_out": 0, "unqueried": 0
    }  # fmt: skip
    assert module.handler({"log_groups": "/app/jobs"}, None)["published"] == 1
    assert aws.by_group() == {"/app/jobs": ["ERROR jobs"]}


def test_the_lambda_publishes_what_it_found_and_does_not_raise_for_a_missing_group(
    aws: Aws, lambda_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A raise would make Lambda retry the whole sweep and publish the found lines again."""
    aws.lines("/app/api", (5, "ERROR api"))
    monkeypatch.setenv("LOG_GROUPS", "/app/api,/app/deleted")
    module = lambda_env()
    answer = module.handler({}, None)
    assert (answer["unqueried"], answer["published"]) == (1, 1)
    assert aws.by_group() == {"/app/api": ["ERROR api"]}
