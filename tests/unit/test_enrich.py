"""Enrichment's pure parts: an alarm read as data, its graph's widget, its log groups and
its error lines grouped by signature."""

from __future__ import annotations

import copy
import dataclasses
import json

from bot.enrich import error_lines, graph, log_groups
from bot.enrich.alarm import read_alarm
from bot.models import Event
from bot.timeutil import parse_time
from tests.corpus import load

NOW = 1_700_000_000


def stored(raw: dict) -> Event:
    """The event as ingest stores it (only what the enrichments read)."""
    detail = raw.get("detail", raw)
    return Event(
        id=raw.get("id", "e1"),
        account=raw.get("account", "123456789012"),
        region=raw.get("region", "us-east-1"),
        source=raw.get("source", "aws.cloudwatch"),
        detail_type=raw.get("detail-type"),
        detail=detail,
        resources=raw.get("resources", []),
        published_at=NOW,
        updated_at=NOW,
        received_at=NOW,
    )


def lambda_errors_alarm(function: str = "api") -> dict:
    raw = copy.deepcopy(load("cloudwatch_alarm_state_change_single_metric.json"))
    metric = raw["detail"]["configuration"]["metrics"][0]["metricStat"]
    metric["metric"] = {
        "namespace": "AWS/Lambda",
        "name": "Errors",
        "dimensions": {"FunctionName": function},
    }
    metric["stat"] = "Sum"
    return raw


# ---------------------------------------------------------------------------------------------
# The alarm, read
# ---------------------------------------------------------------------------------------------


def test_an_eventbridge_alarm_is_read_with_its_threshold_from_reason_data():
    alarm = read_alarm(stored(load("cloudwatch_alarm_state_change_single_metric.json")))
    assert alarm is not None
    assert (alarm.name, alarm.state, alarm.threshold) == ("ServerCpuTooHigh", "ALARM", 50.0)
    (metric,) = alarm.metrics
    assert (metric.namespace, metric.name, metric.stat, metric.period) == (
        "AWS/EC2",
        "CPUUtilization",
        "Average",
        300,
    )
    assert metric.dimensions == (("InstanceId", "i-12345678901234567"),)
    assert alarm.changed_at == parse_time("2019-10-02T17:04:40.985+0000")


def test_a_classic_sns_alarm_is_read_from_its_trigger():
    raw = load("sns_cloudwatch_alarm_single_metric_insufficient_to_alarm.json")
    body = json.loads(raw["Records"][0]["Sns"]["Message"])
    alarm = read_alarm(stored({"detail": body, "source": "aws.sns"}))
    assert alarm is not None
    (metric,) = alarm.metrics
    assert metric.name == body["Trigger"]["MetricName"]
    assert alarm.threshold == float(body["Trigger"]["Threshold"])
    assert alarm.state == body["NewStateValue"]


def test_a_classic_metric_math_alarm_keeps_its_expression():
    raw = load("sns_cloudwatch_alarm_metric_math_insufficient_to_alarm.json")
    body = json.loads(raw["Records"][0]["Sns"]["Message"])
    alarm = read_alarm(stored({"detail": body, "source": "aws.sns"}))
    assert alarm is not None
    assert any(q.expression for q in alarm.queries) and alarm.metrics


def test_events_that_are_no_metric_alarm_give_nothing_to_draw():
    assert (
        read_alarm(stored(load("cloudwatch_alarm_state_change_composite_suppressor.json"))) is None
    )
    assert read_alarm(stored(load("guardduty_finding_high_minimal.json"))) is None


# ---------------------------------------------------------------------------------------------
# The graph
# ---------------------------------------------------------------------------------------------


def test_a_single_metric_graph_draws_the_threshold_and_marks_the_transition():
    alarm = read_alarm(stored(load("cloudwatch_alarm_state_change_single_metric.json")))
    assert alarm is not None
    widget = graph.widget(alarm, now=alarm.changed_at + 600)
    assert widget["metrics"] == [
        [
            "AWS/EC2",
            "CPUUtilization",
            "InstanceId",
            "i-12345678901234567",
            {"id": "m0", "period": 300, "stat": "Average"},
        ]
    ]
    assert not graph._VALID_ID.fullmatch(alarm.queries[0].id)  # EventBridge's UUID, renamed
    assert widget["annotations"]["horizontal"] == [{"label": "threshold", "value": 50.0}]
    assert widget["annotations"]["vertical"] == [
        {"label": "ALARM", "value": "2019-10-02T17:04:40Z"}
    ]
    assert widget["start"] == "2019-10-02T14:04:40Z"  # three hours before
    assert widget["end"] == "2019-10-02T17:14:40Z"  # now, within the hour after
    assert widget["region"] == "us-east-1"


def test_an_anomaly_band_is_drawn_as_its_expression_without_a_threshold_line():
    alarm = read_alarm(stored(load("cloudwatch_alarm_state_change_anomaly_detection.json")))
    assert alarm is not None and alarm.band is not None
    widget = graph.widget(alarm, now=NOW)
    band = widget["metrics"][1]
    assert band == [{"expression": "ANOMALY_DETECTION_BAND(m1, 0.8)", "id": "ad1",
                     "label": "CPUUtilization (expected)"}]  # fmt: skip
    assert "horizontal" not in widget["annotations"]
    assert widget["end"] == "2019-10-03T17:00:04Z"  # an hour after, long past


def test_metric_math_keeps_its_inputs_hidden_and_its_expression_shown():
    alarm = read_alarm(stored(load("cloudwatch_alarm_state_change_metric_math.json")))
    assert alarm is not None
    widget = graph.widget(alarm, now=NOW)
    expressions = [line[0] for line in widget["metrics"] if len(line) == 1]
    inputs = [line[-1] for line in widget["metrics"] if len(line) > 1]
    assert expressions and all(e["expression"] for e in expressions)
    assert inputs and all(options.get("visible") is False for options in inputs)


def test_ids_cloudwatch_refuses_are_renamed_and_the_expressions_naming_them_follow():
    alarm = read_alarm(stored(load("cloudwatch_alarm_state_change_metric_math.json")))
    assert alarm is not None
    first, second = alarm.queries[0], alarm.queries[1]
    uuid = "5f2b0c1e-4a3d-4e8b-9a77-0c2d1e3f4a5b"
    odd = [
        dataclasses.replace(first, id=uuid, expression=""),
        dataclasses.replace(second, id="e1", expression=f"{uuid} * 100 + m{uuid}x", name=""),
    ]
    widget = graph.widget(dataclasses.replace(alarm, queries=tuple(odd)), now=NOW)
    metric_line, expression_line = widget["metrics"]
    assert metric_line[-1]["id"] == "m0"
    assert expression_line[0]["id"] == "e1"  # a valid id stays
    # the whole id is rewritten where it stands alone, not inside another name
    assert expression_line[0]["expression"] == f"m0 * 100 + m{uuid}x"


def test_a_long_window_widens_the_period_to_stay_under_the_points_a_line_takes():
    alarm = read_alarm(stored(lambda_errors_alarm()))
    assert alarm is not None
    narrow = dataclass_replace(alarm, period=10)
    widget = graph.widget(narrow, now=narrow.changed_at + 3600)
    start, end = graph.window(narrow, narrow.changed_at + 3600)
    assert (end - start) // widget["period"] <= graph.MAX_POINTS


def dataclass_replace(alarm, *, period: int):
    import dataclasses

    queries = tuple(dataclasses.replace(q, period=period) for q in alarm.queries)
    return dataclasses.replace(alarm, queries=queries)


# ---------------------------------------------------------------------------------------------
# Log groups
# ---------------------------------------------------------------------------------------------


class Sources:
    def __init__(self) -> None:
        self.asked: list[tuple] = []

    def metric_filter_groups(self, namespace, metric_name, region, *, account=None):
        self.asked.append(("filters", namespace, metric_name, region, account))
        return ["/app/orders", "/app/orders"]

    def ecs_service_groups(self, cluster, service, region, *, account=None):
        self.asked.append(("ecs", cluster, service, region, account))
        return ["/ecs/web"]


def alarm_on(namespace: str, name: str, dimensions: dict[str, str]):
    raw = lambda_errors_alarm()
    raw["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"] = {
        "namespace": namespace,
        "name": name,
        "dimensions": dimensions,
    }
    alarm = read_alarm(stored(raw))
    assert alarm is not None
    return alarm


def test_a_lambda_errors_alarm_reads_its_function_log_group():
    sources = Sources()
    alarm = alarm_on("AWS/Lambda", "Errors", {"FunctionName": "orders-api"})
    assert log_groups.derive(alarm, sources) == ["/aws/lambda/orders-api"]
    assert sources.asked == []  # no AWS call needed


def test_an_ecs_alarm_reads_its_task_definition_log_groups():
    sources = Sources()
    alarm = alarm_on("AWS/ECS", "CPUUtilization", {"ClusterName": "prod", "ServiceName": "web"})
    assert log_groups.derive(alarm, sources) == ["/ecs/web"]
    assert sources.asked == [("ecs", "prod", "web", "us-east-1", "123456789012")]


def test_a_metric_filter_alarm_reads_the_filter_group_once():
    sources = Sources()
    alarm = alarm_on("Orders", "ErrorCount", {})
    assert log_groups.derive(alarm, sources) == ["/app/orders"]
    assert sources.asked == [("filters", "Orders", "ErrorCount", "us-east-1", "123456789012")]


def test_an_api_gateway_alarm_reads_its_execution_logs_and_ec2_has_none():
    alarm = alarm_on("AWS/ApiGateway", "5XXError", {"ApiId": "a1b2c3", "Stage": "prod"})
    assert log_groups.derive(alarm, None) == ["API-Gateway-Execution-Logs_a1b2c3/prod"]
    assert log_groups.derive(alarm_on("AWS/EC2", "CPUUtilization", {}), Sources()) == []


# ---------------------------------------------------------------------------------------------
# Error lines
# ---------------------------------------------------------------------------------------------


def row(message: str, group: str = "/aws/lambda/api", at: str = "2026-12-04 10:00:00") -> dict:
    return {"@message": message, "@log": f"123456789012:{group}", "@timestamp": at}


def test_alike_lines_group_under_one_signature_with_counts_most_frequent_first():
    rows = [
        row("ERROR timeout after 3001 ms calling db-1 (req 8a5f3c2e-1111-2222-3333-444455556666)"),
        row('KeyError: "order-77"'),
        row("ERROR timeout after 2999 ms calling db-2 (req 1b2c3d4e-aaaa-bbbb-cccc-ddddeeeeffff)"),
        row("ERROR timeout after 3100 ms calling db-1 (req 00000000-aaaa-bbbb-cccc-ddddeeeeffff)"),
        row("   "),
    ]
    top = error_lines.group(rows)
    assert [line.count for line in top] == [3, 1]
    assert top[0].example.startswith("ERROR timeout after 3001 ms")  # the newest shown
    assert top[1].example == 'KeyError: "order-77"'


def test_signatures_differ_where_the_words_differ():
    assert error_lines.signature("Task 12 failed") == error_lines.signature("Task 977 failed")
    assert error_lines.signature("Task 12 failed") != error_lines.signature("Task 12 timed out")


def test_at_most_the_top_groups_are_kept():
    rows = [row(f"failure kind {chr(97 + i)}") for i in range(10)]
    assert len(error_lines.group(rows)) == error_lines.TOP
