"""InsightsLogQuery and AwsLogSources on their real botocore clients: Logs against the
Logs fake (tests/fakes_aws/logs.py), ECS on moto's server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from adapters.aws_session import own_client
from adapters.cloudwatch_logs import InsightsLogQuery
from adapters.factory import open_alarm_reads
from adapters.log_sources import AwsLogSources
from bot.config import Settings
from bot.enrich import error_lines
from bot.errors import AccessDeniedError, NotFoundError, RequestTimeoutError
from tests.contract.conftest import MOTO
from tests.e2e.test_sweep_aws import Ticks
from tests.fakes import FakeClock
from tests.fakes_aws.cloudwatch import FakeCloudWatch
from tests.fakes_aws.fixtures import RecordingClientFor
from tests.fakes_aws.logs import FakeLogs

GROUPS = ["/aws/lambda/api", "/aws/lambda/jobs"]
START, END = 1_700_000_000, 1_700_003_600
ROWS = [
    {"@timestamp": "2023-11-14 22:13:20.000", "@message": "ERROR boom", "@log": "1:/aws/lambda/api"}
]


def insights(ticks: Ticks, client_for: Any = own_client, timeout: float = 20.0) -> InsightsLogQuery:
    return InsightsLogQuery(
        client_for=client_for, timeout=timeout, clock=ticks.clock, sleep=ticks.sleep
    )


# --- InsightsLogQuery ---------------------------------------------------------------------


def test_a_query_returns_its_rows_and_asks_for_exactly_its_groups_window_and_query(
    fake_logs: FakeLogs,
) -> None:
    fake_logs.answer_queries(ROWS, running_polls=2)
    ticks = Ticks()
    rows = insights(ticks).query(GROUPS, error_lines.QUERY, START, END, region="eu-west-1")
    assert rows == ROWS
    [start] = fake_logs.calls_of("StartQuery")
    assert start.params == {
        "logGroupNames": GROUPS,
        "startTime": START,
        "endTime": END,
        "queryString": error_lines.QUERY,
    }
    assert start.region == "eu-west-1"
    assert len(fake_logs.calls_of("GetQueryResults")) == 3  # Running, Running, Complete
    assert ticks.sleeps == [1.0, 1.0]
    assert fake_logs.stopped() == []


def test_a_query_is_made_in_the_account_and_region_asked(fake_logs: FakeLogs) -> None:
    reach = RecordingClientFor()
    query = insights(Ticks(), reach)
    query.query(GROUPS, "fields @message", START, END, account="210987654321", region="ap-south-1")
    assert reach.asked == [("logs", "210987654321", "ap-south-1")]
    assert {call.region for call in fake_logs.calls} == {"ap-south-1"}


def test_a_query_scanning_past_its_byte_limit_is_stopped(fake_logs: FakeLogs) -> None:
    fake_logs.answer_queries(ROWS, running_polls=10, bytes_per_poll=400.0)
    ticks = Ticks()
    with pytest.raises(
        RequestTimeoutError, match="scanned 1200 bytes, past its byte limit of 1000"
    ):
        insights(ticks).query(GROUPS, "fields @message", START, END, max_bytes=1000)
    [query] = fake_logs.queries.values()
    assert fake_logs.stopped() == [query.id]
    assert query.status == "Cancelled"
    assert query.polls == 3  # 400, 800, then 1200 > 1000
    assert ticks.sleeps == [1.0, 1.0]


def test_a_query_under_its_byte_limit_completes(fake_logs: FakeLogs) -> None:
    fake_logs.answer_queries(ROWS, running_polls=2, bytes_per_poll=400.0)
    assert insights(Ticks()).query(GROUPS, "fields @message", START, END, max_bytes=1200) == ROWS
    assert fake_logs.stopped() == []


def test_a_query_past_its_own_timeout_is_stopped(fake_logs: FakeLogs) -> None:
    fake_logs.answer_queries(ROWS, running_polls=100)
    ticks = Ticks()
    with pytest.raises(RequestTimeoutError, match="did not finish in 5s"):
        insights(ticks, timeout=60.0).query(GROUPS, "fields @message", START, END, timeout_s=5)
    assert ticks.now == 5.0  # timeout_s won over the adapter's 60 s
    [query] = fake_logs.queries.values()
    assert fake_logs.stopped() == [query.id]


def test_a_denied_query_is_access_denied(fake_logs: FakeLogs) -> None:
    fake_logs.deny("StartQuery")
    with pytest.raises(AccessDeniedError, match="could not query /aws/lambda/api"):
        insights(Ticks()).query(GROUPS, "fields @message", START, END)
    assert fake_logs.queries == {}


def test_a_query_over_a_missing_group_is_not_found(fake_logs: FakeLogs) -> None:
    fake_logs.missing_groups("/aws/lambda/jobs")
    with pytest.raises(NotFoundError, match="ResourceNotFoundException"):
        insights(Ticks()).query(GROUPS, "fields @message", START, END)


def test_the_sweeps_one_client_construction_still_queries(fake_logs: FakeLogs) -> None:
    fake_logs.answer_queries(ROWS)
    ticks = Ticks()
    client = own_client("logs", None, "eu-west-1")
    sweep_query = InsightsLogQuery(client, timeout=15.0, clock=ticks.clock, sleep=ticks.sleep)
    assert sweep_query.query(GROUPS, "fields @message", START, END) == ROWS
    with pytest.raises(TypeError):
        InsightsLogQuery(client, client_for=own_client)
    with pytest.raises(TypeError):
        InsightsLogQuery()


# --- AwsLogSources: metric filters ----------------------------------------------------------


def test_metric_filter_groups_are_found_across_pages_once_each(fake_logs: FakeLogs) -> None:
    fake_logs.page_size = 1
    fake_logs.metric_filter("/app/orders", "Shop", "OrderErrors")
    fake_logs.metric_filter("/app/other", "Shop", "Latency")
    fake_logs.metric_filter("/app/orders-worker", "Shop", "OrderErrors")
    fake_logs.metric_filter("/app/orders", "Shop", "OrderErrors")  # a second filter, same group
    fake_logs.metric_filter("/app/elsewhere", "Other", "OrderErrors")
    sources = AwsLogSources(own_client)
    found = sources.metric_filter_groups("Shop", "OrderErrors", "eu-west-1")
    assert found == ["/app/orders", "/app/orders-worker"]
    calls = fake_logs.calls_of("DescribeMetricFilters")
    assert len(calls) == 3  # one filter a page
    assert all(
        (c.params["metricName"], c.params["metricNamespace"]) == ("OrderErrors", "Shop")
        for c in calls
    )


def test_metric_filter_groups_are_cached_an_hour_per_account_and_region(
    fake_logs: FakeLogs,
) -> None:
    fake_logs.metric_filter("/app/orders", "Shop", "OrderErrors")
    clock = FakeClock(0.0)
    sources = AwsLogSources(own_client, clock=clock.now)
    for _ in range(2):
        assert sources.metric_filter_groups("Shop", "OrderErrors", "eu-west-1") == ["/app/orders"]
    assert len(fake_logs.calls) == 1
    sources.metric_filter_groups("Shop", "OrderErrors", "us-east-1")
    sources.metric_filter_groups("Shop", "OrderErrors", "eu-west-1", account="210987654321")
    assert len(fake_logs.calls) == 3
    clock.advance(3600)
    sources.metric_filter_groups("Shop", "OrderErrors", "eu-west-1")
    assert len(fake_logs.calls) == 4


def test_denied_metric_filters_are_access_denied(fake_logs: FakeLogs) -> None:
    fake_logs.deny("DescribeMetricFilters")
    with pytest.raises(AccessDeniedError, match="DescribeMetricFilters of Shop/OrderErrors"):
        AwsLogSources(own_client).metric_filter_groups("Shop", "OrderErrors", "eu-west-1")


# --- AwsLogSources: ECS services, on moto ----------------------------------------------------


@pytest.fixture
def ecs(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An ECS client on the session's moto server, which own_client's ECS clients reach."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", MOTO.url())
    yield boto3.client("ecs", region_name="eu-west-1", endpoint_url=MOTO.url())


def container(name: str, group: str | None, driver: str = "awslogs") -> dict[str, Any]:
    found: dict[str, Any] = {"name": name, "image": "app:1", "memory": 256}
    if group is not None:
        found["logConfiguration"] = {
            "logDriver": driver,
            "options": {"awslogs-group": group, "awslogs-region": "eu-west-1"},
        }
    return found


def service(ecs: Any, cluster: str, name: str, containers: list[dict[str, Any]]) -> None:
    ecs.create_cluster(clusterName=cluster)
    family = f"{cluster}-{name}"
    task = ecs.register_task_definition(family=family, containerDefinitions=containers)
    arn = task["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=arn, desiredCount=1)


def test_an_ecs_services_awslogs_groups_are_found(ecs: Any, request: pytest.FixtureRequest) -> None:
    cluster = f"c-{request.node.name[-20:]}"
    service(
        ecs,
        cluster,
        "api",
        [
            container("app", "/ecs/api"),
            container("sidecar", "/ecs/api"),  # the same group once
            container("proxy", "/ecs/proxy"),
            container("fluent", "firelens", driver="awsfirelens"),
            container("bare", None),
        ],
    )
    assert AwsLogSources(own_client).ecs_service_groups(cluster, "api", "eu-west-1") == [
        "/ecs/api",
        "/ecs/proxy",
    ]


def test_ecs_groups_are_cached(ecs: Any, request: pytest.FixtureRequest) -> None:
    cluster = f"c-{request.node.name[-20:]}"
    service(ecs, cluster, "api", [container("app", "/ecs/api")])
    reach = RecordingClientFor()
    sources = AwsLogSources(reach, clock=FakeClock(0.0).now)
    for _ in range(2):
        assert sources.ecs_service_groups(cluster, "api", "eu-west-1") == ["/ecs/api"]
    assert reach.asked == [("ecs", None, "eu-west-1")]  # once: the second was the cache's


def test_an_unknown_service_or_cluster_has_no_groups(
    ecs: Any, request: pytest.FixtureRequest
) -> None:
    cluster = f"c-{request.node.name[-20:]}"
    service(ecs, cluster, "api", [container("app", "/ecs/api")])
    sources = AwsLogSources(own_client)
    assert sources.ecs_service_groups(cluster, "gone", "eu-west-1") == []
    assert sources.ecs_service_groups("no-such-cluster", "api", "eu-west-1") == []


# --- the factory -------------------------------------------------------------------------------


def test_the_factorys_alarm_readers_reach_cloudwatch_and_logs(
    fake_logs: FakeLogs, fake_cloudwatch: FakeCloudWatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """open_alarm_reads builds these adapters by name, on the bot's own clients (STS, on
    moto, says the bot's account is 123456789012, as moto's always is)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", MOTO.url())
    settings = Settings(_env_file=None, enrich_graph=True, enrich_logs=True, enrich_runbook=True)
    reads = open_alarm_reads(settings)
    assert reads.graphs and reads.logs and reads.log_sources and reads.tags
    arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a"
    fake_cloudwatch.tag_alarm(arn, {"runbook": "https://wiki/a"})
    fake_logs.answer_queries(ROWS)
    fake_logs.metric_filter("/app/orders", "Shop", "OrderErrors")
    widget = {"metrics": [["AWS/EC2", "CPUUtilization"]], "start": "-PT3H", "end": "P0D"}
    assert reads.graphs.render(widget, "eu-west-1").startswith(b"\x89PNG")
    assert reads.tags.tags(arn) == {"runbook": "https://wiki/a"}
    assert reads.logs.query(GROUPS, "fields @message", START, END, max_bytes=10**9) == ROWS
    assert reads.log_sources.metric_filter_groups("Shop", "OrderErrors", "eu-west-1") == [
        "/app/orders"
    ]
