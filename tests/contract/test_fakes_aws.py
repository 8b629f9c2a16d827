"""The AWS fakes refuse what AWS refuses: requests signed for another service, unknown
operations and members, widgets CloudWatch would not draw, Insights queries Logs would
not start. Requests here are signed by hand (botocore's SigV4) where a botocore client
would refuse to send them."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from adapters.aws_session import own_client
from tests.fakes_aws.cloudwatch import FakeCloudWatch, widget_problems
from tests.fakes_aws.logs import FakeLogs

JSON_10 = "application/x-amz-json-1.0"
JSON_11 = "application/x-amz-json-1.1"
GOOD_WIDGET = {
    "metrics": [
        ["AWS/Lambda", "Errors", "FunctionName", "api", {"id": "m1", "stat": "Sum"}],
        [{"expression": "m1 * 2", "id": "e1", "label": "doubled"}],
    ],
    "annotations": {
        "horizontal": [{"label": "threshold", "value": 5}],
        "vertical": [{"label": "ALARM", "value": "2026-01-01T10:00:00Z"}],
    },
    "start": "2026-01-01T07:00:00Z",
    "end": "2026-01-01T11:00:00Z",
    "width": 800,
    "height": 400,
}


def signed_post(
    url: str, service: str, target: str, body: Any, content_type: str, region: str = "eu-west-1"
) -> httpx.Response:
    """A request as botocore would sign it, whatever its content."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = AWSRequest(
        "POST", url + "/", data=data, headers={"Content-Type": content_type, "X-Amz-Target": target}
    )
    SigV4Auth(Credentials("testing", "testing"), service, region).add_auth(request)
    return httpx.post(url + "/", content=data, headers=dict(request.headers.items()))


def error_of(response: httpx.Response) -> str:
    assert response.status_code >= 400
    return str(response.json()["__type"])


# --- the wire ---------------------------------------------------------------------------------


def test_a_request_signed_for_another_service_is_refused(fake_cloudwatch: FakeCloudWatch) -> None:
    answer = signed_post(
        fake_cloudwatch.url,
        "logs",
        "GraniteServiceVersion20100801.ListTagsForResource",
        {"ResourceARN": "x"},
        JSON_10,
    )
    assert (answer.status_code, error_of(answer)) == (403, "InvalidSignatureException")
    assert fake_cloudwatch.calls == []


def test_an_unsigned_request_is_refused(fake_logs: FakeLogs) -> None:
    answer = httpx.post(fake_logs.url + "/", content=b"{}", headers={"Content-Type": JSON_11})
    assert error_of(answer) == "MissingAuthenticationTokenException"


@pytest.mark.parametrize(
    ("target", "body", "content_type", "code"),
    [
        (
            "Logs_20140328.DeleteLogGroup",
            {"logGroupName": "x"},
            JSON_11,
            "UnknownOperationException",
        ),
        ("Logs_20140328.NoSuchThing", {}, JSON_11, "UnknownOperationException"),
        ("Wrong_20140328.StopQuery", {"queryId": "q"}, JSON_11, "UnknownOperationException"),
        ("Logs_20140328.StopQuery", {"queryId": "q"}, JSON_10, "SerializationException"),
        ("Logs_20140328.StopQuery", b"not json", JSON_11, "SerializationException"),
        (
            "Logs_20140328.StopQuery",
            {"queryId": "q", "extra": 1},
            JSON_11,
            "SerializationException",
        ),
        ("Logs_20140328.StopQuery", {}, JSON_11, "ValidationException"),
    ],
)
def test_what_is_not_an_operation_of_the_service_is_refused(
    fake_logs: FakeLogs, target: str, body: Any, content_type: str, code: str
) -> None:
    answer = signed_post(fake_logs.url, "logs", target, body, content_type)
    assert error_of(answer) == code
    assert fake_logs.calls == []


def test_a_denied_operation_answers_access_denied_and_is_recorded(
    fake_cloudwatch: FakeCloudWatch,
) -> None:
    fake_cloudwatch.deny("ListTagsForResource")
    client = own_client("cloudwatch", None, "eu-west-1")
    with pytest.raises(ClientError) as raised:
        client.list_tags_for_resource(ResourceARN="arn:aws:cloudwatch:eu-west-1:1:alarm:a")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"  # the query code
    assert len(fake_cloudwatch.calls_of("ListTagsForResource")) == 1


# --- CloudWatch ------------------------------------------------------------------------------


def test_a_good_widget_has_no_problems() -> None:
    assert widget_problems(GOOD_WIDGET) == []
    assert widget_problems({**GOOD_WIDGET, "start": "-PT3H", "end": "P0D"}) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"metrics": []}, "metrics is required"),
        ({"metrics": [["AWS/Lambda"]]}, "a namespace, a metric name"),
        ({"metrics": [["AWS/Lambda", "Errors", "FunctionName"]]}, "name/value pairs"),
        ({"metrics": [[{"label": "no expression"}]]}, "neither a metric nor an expression"),
        ({"metrics": [["AWS/Lambda", "Errors", {"id": "30b6c6b2-a864"}]]}, "lower-case letter"),
        ({"metrics": [["A", "B", {"id": "m1"}], ["A", "C", {"id": "m1"}]]}, "must be unique"),
        ({"metrics": [[{"expression": "m9 * 2", "id": "e1"}]]}, "Unrecognized metric id"),
        ({"start": None}, "The field start"),
        ({"end": "yesterday"}, "The field end"),
        ({"start": "2026-01-01T12:00:00Z"}, "start must be before the end"),
        ({"annotations": {"horizontal": [{"label": "t"}]}}, "annotations.horizontal"),
        ({"annotations": {"vertical": [{"value": "-PT1H"}]}}, "annotations.vertical"),
        ({"width": 5000}, "width"),
    ],
)
def test_a_widget_cloudwatch_would_refuse_has_its_problem_named(
    change: dict[str, Any], problem: str
) -> None:
    widget = {k: v for k, v in {**GOOD_WIDGET, **change}.items() if v is not None}
    assert any(problem in p for p in widget_problems(widget)), widget_problems(widget)


def test_a_refused_widget_is_a_validation_error_and_not_drawn(
    fake_cloudwatch: FakeCloudWatch,
) -> None:
    client = own_client("cloudwatch", None, "eu-west-1")
    with pytest.raises(ClientError) as raised:
        client.get_metric_widget_image(MetricWidget="{not json", OutputFormat="png")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert fake_cloudwatch.widgets == []


def test_image_png_answers_the_bare_png_that_sdks_cannot_read(
    fake_cloudwatch: FakeCloudWatch,
) -> None:
    body = {"MetricWidget": json.dumps(GOOD_WIDGET), "OutputFormat": "image/png"}
    target = "GraniteServiceVersion20100801.GetMetricWidgetImage"
    answer = signed_post(fake_cloudwatch.url, "monitoring", target, body, JSON_10)
    assert answer.headers["content-type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG\r\n\x1a\n")
    png = own_client("cloudwatch", None, "eu-west-1").get_metric_widget_image(
        MetricWidget=json.dumps(GOOD_WIDGET), OutputFormat="png"
    )["MetricWidgetImage"]
    assert png == answer.content  # the same image, base64 in the answer for "png"


# --- Logs ------------------------------------------------------------------------------------

QUERY = {"logGroupNames": ["/a"], "startTime": 100, "endTime": 200, "queryString": "fields @m"}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"logGroupNames": []}, "InvalidParameterException"),
        ({"logGroupNames": [f"/g{n}" for n in range(51)]}, "InvalidParameterException"),
        ({"logGroupIdentifiers": ["/b"]}, "InvalidParameterException"),  # two ways at once
        ({"startTime": 200}, "InvalidParameterException"),
        ({"queryString": "  "}, "MalformedQueryException"),
    ],
)
def test_a_query_logs_would_not_start_is_refused(
    fake_logs: FakeLogs, change: dict[str, Any], code: str
) -> None:
    answer = signed_post(
        fake_logs.url, "logs", "Logs_20140328.StartQuery", {**QUERY, **change}, JSON_11
    )
    assert error_of(answer) == code
    assert fake_logs.queries == {}


def test_fifty_groups_by_identifier_are_one_query(fake_logs: FakeLogs) -> None:
    client = own_client("logs", None, "eu-west-1")
    groups = [f"arn:aws:logs:eu-west-1:1:log-group:/g{n}" for n in range(50)]
    started = client.start_query(
        logGroupIdentifiers=groups, startTime=100, endTime=200, queryString="fields @m"
    )
    assert fake_logs.queries[started["queryId"]].groups == groups


def test_results_of_an_unknown_query_are_not_found(fake_logs: FakeLogs) -> None:
    client = own_client("logs", None, "eu-west-1")
    with pytest.raises(ClientError) as raised:
        client.get_query_results(queryId="q-nope")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_metric_filters_want_name_and_namespace_together(fake_logs: FakeLogs) -> None:
    client = own_client("logs", None, "eu-west-1")
    with pytest.raises(ClientError) as raised:
        client.describe_metric_filters(metricName="OrderErrors")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"


def test_the_fakes_serve_the_operations_of_botocores_models() -> None:
    """Each operation a fake serves is one of its service's model, by that name."""
    session = botocore.session.get_session()
    for fake in (FakeCloudWatch(), FakeLogs()):
        names = session.get_service_model(fake.model_name).operation_names
        assert set(fake.operations()) <= set(names)
