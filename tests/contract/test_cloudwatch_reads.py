"""CloudWatchGraphs and CloudWatchAlarmTags on their real botocore clients, against the
CloudWatch fake (tests/fakes_aws/cloudwatch.py), which checks what they send."""

from __future__ import annotations

import json

import pytest

from adapters.alarm_tags import CloudWatchAlarmTags
from adapters.aws_session import own_client
from adapters.cloudwatch_graph import CloudWatchGraphs
from bot.enrich import graph
from bot.enrich.alarm import AlarmFacts, read_alarm
from bot.errors import AccessDeniedError, NotFoundError, UnprocessedError, ValidationError
from bot.timeutil import to_iso
from tests.corpus import load
from tests.fakes import FakeClock
from tests.fakes_aws.cloudwatch import FakeCloudWatch
from tests.fakes_aws.fixtures import RecordingClientFor
from tests.unit.test_enrich import stored

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ARN = "arn:aws:cloudwatch:eu-central-1:210987654321:alarm:api-errors"


def alarm_of(name: str) -> AlarmFacts:
    alarm = read_alarm(stored(load(name)))
    assert alarm is not None
    return alarm


def drawn(fake: FakeCloudWatch, alarm: AlarmFacts) -> dict:
    """The widget of `alarm` as the fake received it, once drawn through the adapter."""
    widget = graph.widget(alarm, now=alarm.changed_at + 600)
    png = CloudWatchGraphs(own_client).render(widget, alarm.region, account=alarm.account)
    assert png.startswith(PNG_MAGIC)
    [received] = fake.widgets
    assert received == widget  # nothing lost or changed on the way
    return received


# --- CloudWatchGraphs --------------------------------------------------------------------


def classic_single_metric_alarm() -> AlarmFacts:
    """A single-metric alarm as SNS carries it (its metric gets the id "m1").

    EventBridge's shape names a single metric by a UUID, which CloudWatch refuses as a
    widget id (an id starts with a lower-case letter): the widget renames it (below)."""
    raw = load("sns_cloudwatch_alarm_single_metric_insufficient_to_alarm.json")
    body = json.loads(raw["Records"][0]["Sns"]["Message"])
    alarm = read_alarm(stored({"detail": body, "source": "aws.sns", "region": "eu-west-1"}))
    assert alarm is not None
    return alarm


def test_a_single_metric_widget_reaches_cloudwatch_intact(fake_cloudwatch: FakeCloudWatch) -> None:
    alarm = classic_single_metric_alarm()
    widget = drawn(fake_cloudwatch, alarm)
    [metric] = alarm.metrics
    assert widget["metrics"][0][:2] == [metric.namespace, metric.name]
    assert widget["metrics"][0][-1]["id"] == "m1"
    assert widget["annotations"]["horizontal"] == [{"label": "threshold", "value": alarm.threshold}]
    assert widget["annotations"]["vertical"][0]["value"] == to_iso(alarm.changed_at)
    assert (widget["start"], widget["end"]) == (
        to_iso(alarm.changed_at - graph.BEFORE_S),
        to_iso(alarm.changed_at + 600),
    )
    [call] = fake_cloudwatch.calls_of("GetMetricWidgetImage")
    assert call.params["OutputFormat"] == "png"
    assert call.region == "eu-west-1"  # the alarm's region, read from the request's signature


def test_an_eventbridge_single_metric_widget_is_drawn_despite_its_uuid_id(
    fake_cloudwatch: FakeCloudWatch,
) -> None:
    alarm = alarm_of("cloudwatch_alarm_state_change_single_metric.json")
    widget = drawn(fake_cloudwatch, alarm)
    assert widget["metrics"][0][-1]["id"] == "m0"


def test_a_metric_math_widget_reaches_cloudwatch_with_its_expression(
    fake_cloudwatch: FakeCloudWatch,
) -> None:
    widget = drawn(fake_cloudwatch, alarm_of("cloudwatch_alarm_state_change_metric_math.json"))
    expressions = [line[0]["expression"] for line in widget["metrics"] if len(line) == 1]
    inputs = [line for line in widget["metrics"] if len(line) > 1]
    assert expressions and all(expressions)
    assert inputs and all(line[-1]["visible"] is False for line in inputs)


def test_an_anomaly_band_widget_reaches_cloudwatch_without_a_threshold(
    fake_cloudwatch: FakeCloudWatch,
) -> None:
    alarm = alarm_of("cloudwatch_alarm_state_change_anomaly_detection.json")
    widget = drawn(fake_cloudwatch, alarm)
    assert widget["metrics"][0][-1]["id"] == "m1"  # the band's input, which it refers to
    assert widget["metrics"][1][0]["expression"] == "ANOMALY_DETECTION_BAND(m1, 0.8)"
    assert "horizontal" not in widget["annotations"]
    assert widget["annotations"]["vertical"] == [
        {"label": "ALARM", "value": to_iso(alarm.changed_at)}
    ]


def test_the_graph_is_drawn_in_the_account_and_region_asked(
    fake_cloudwatch: FakeCloudWatch,
) -> None:
    reach = RecordingClientFor()
    widget = graph.widget(classic_single_metric_alarm(), 0)
    CloudWatchGraphs(reach).render(widget, "ap-southeast-2", account="210987654321")
    assert reach.asked == [("cloudwatch", "210987654321", "ap-southeast-2")]
    assert [c.region for c in fake_cloudwatch.calls] == ["ap-southeast-2"]


def test_a_denied_graph_is_access_denied(fake_cloudwatch: FakeCloudWatch) -> None:
    fake_cloudwatch.deny("GetMetricWidgetImage")
    widget = graph.widget(classic_single_metric_alarm(), 0)
    with pytest.raises(AccessDeniedError, match=r"GetMetricWidgetImage in account 1234"):
        CloudWatchGraphs(own_client).render(widget, "us-east-1", account="123456789012")
    assert fake_cloudwatch.widgets == []


def test_a_widget_cloudwatch_refuses_is_unprocessed(fake_cloudwatch: FakeCloudWatch) -> None:
    widget = {"metrics": [["AWS/EC2"]], "start": "-PT3H", "end": "P0D"}
    with pytest.raises(UnprocessedError, match=r"ValidationError.*namespace, a metric name"):
        CloudWatchGraphs(own_client).render(widget, "us-east-1")


def test_the_client_follows_aws_endpoint_url_cloudwatch(
    fake_cloudwatch: FakeCloudWatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    widget = {"metrics": [["AWS/EC2", "CPUUtilization"]], "start": "-PT3H", "end": "P0D"}
    CloudWatchGraphs(own_client).render(widget, "us-east-1")
    assert len(fake_cloudwatch.calls) == 1
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", "http://127.0.0.1:1")  # nobody there
    with pytest.raises(UnprocessedError, match="Could not connect"):
        CloudWatchGraphs(own_client).render(widget, "us-east-1")
    assert len(fake_cloudwatch.calls) == 1


# --- CloudWatchAlarmTags ----------------------------------------------------------------


def test_tags_are_read_in_the_account_and_region_of_the_arn(
    fake_cloudwatch: FakeCloudWatch,
) -> None:
    fake_cloudwatch.tag_alarm(ARN, {"runbook": "https://wiki/api", "team": "payments"})
    reach = RecordingClientFor()
    assert CloudWatchAlarmTags(reach).tags(ARN) == {
        "runbook": "https://wiki/api",
        "team": "payments",
    }
    assert reach.asked == [("cloudwatch", "210987654321", "eu-central-1")]
    [call] = fake_cloudwatch.calls_of("ListTagsForResource")
    assert (call.region, call.params) == ("eu-central-1", {"ResourceARN": ARN})


def test_tags_are_cached_for_an_hour(fake_cloudwatch: FakeCloudWatch) -> None:
    fake_cloudwatch.tag_alarm(ARN, {"runbook": "https://wiki/old"})
    clock = FakeClock(0.0)
    tags = CloudWatchAlarmTags(own_client, clock=clock.now)
    assert tags.tags(ARN) == {"runbook": "https://wiki/old"}
    fake_cloudwatch.tag_alarm(ARN, {"runbook": "https://wiki/new"})
    clock.advance(3599)
    assert tags.tags(ARN) == {"runbook": "https://wiki/old"}
    assert len(fake_cloudwatch.calls) == 1
    clock.advance(1)
    assert tags.tags(ARN) == {"runbook": "https://wiki/new"}
    assert len(fake_cloudwatch.calls) == 2


def test_denied_tags_are_access_denied_and_not_cached(fake_cloudwatch: FakeCloudWatch) -> None:
    fake_cloudwatch.tag_alarm(ARN, {"runbook": "https://wiki/api"})
    fake_cloudwatch.deny("ListTagsForResource")
    tags = CloudWatchAlarmTags(own_client)
    with pytest.raises(AccessDeniedError, match="ListTagsForResource of arn:aws:cloudwatch"):
        tags.tags(ARN)
    fake_cloudwatch.reset()
    fake_cloudwatch.tag_alarm(ARN, {"runbook": "https://wiki/api"})
    assert tags.tags(ARN) == {"runbook": "https://wiki/api"}


def test_a_deleted_alarm_is_not_found(fake_cloudwatch: FakeCloudWatch) -> None:
    with pytest.raises(NotFoundError):
        CloudWatchAlarmTags(own_client).tags(ARN)


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "arn:aws:sns:eu-west-1:210987654321:topic",
        "arn:aws:cloudwatch:eu-west-1:210987654321:dashboard/x",
        "arn:aws:cloudwatch::210987654321:alarm:no-region",
    ],
)
def test_what_is_no_alarm_arn_is_refused_before_any_call(
    fake_cloudwatch: FakeCloudWatch, arn: str
) -> None:
    with pytest.raises(ValidationError):
        CloudWatchAlarmTags(own_client).tags(arn)
    assert fake_cloudwatch.calls == []


def test_the_cache_keeps_at_most_its_bound(fake_cloudwatch: FakeCloudWatch) -> None:
    arns = [ARN.replace("api-errors", f"alarm-{n}") for n in range(3)]
    for arn in arns:
        fake_cloudwatch.tag_alarm(arn, {"n": arn[-1]})
    tags = CloudWatchAlarmTags(own_client, clock=FakeClock(0.0).now, max_entries=2)
    for arn in arns:
        tags.tags(arn)
    tags.tags(arns[0])  # the oldest was dropped for the third: read again
    assert [c.params["ResourceARN"] for c in fake_cloudwatch.calls] == [*arns, arns[0]]
