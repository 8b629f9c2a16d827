"""The heartbeat adapters: a GET to HEARTBEAT_URL, and a CloudWatch metric on AWS."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import pytest
from moto import mock_aws

from adapters.factory import open_heartbeat
from adapters.heartbeat import METRIC_NAME, METRIC_NAMESPACE, CloudWatchHeartbeat, UrlHeartbeat
from bot.config import Settings
from bot.errors import UnprocessedError
from tests import lambdas
from tests.lambdas import cold_start


class Monitor(BaseHTTPRequestHandler):
    """A push monitor: counts GETs on /ok, answers 500 on /down."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Monitor.hits.append(self.path)
        self.send_response(200 if self.path == "/ok" else 500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def monitor() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Monitor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Monitor.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_beat_is_a_get_to_the_url(monitor):
    UrlHeartbeat(f"{monitor}/ok").beat()
    assert Monitor.hits == ["/ok"]


def test_a_monitor_that_answers_an_error_fails_the_beat(monitor):
    with pytest.raises(UnprocessedError, match="500"):
        UrlHeartbeat(f"{monitor}/down", timeout=2).beat()


def test_an_unreachable_monitor_fails_the_beat():
    with pytest.raises(UnprocessedError, match="heartbeat GET failed"):
        UrlHeartbeat("http://127.0.0.1:9/", timeout=1).beat()


def test_only_http_urls_are_taken():
    with pytest.raises(ValueError, match="http"):
        UrlHeartbeat("file:///etc/passwd")


def test_the_factory_beats_only_when_a_url_is_set(monitor):
    assert open_heartbeat(Settings(_env_file=None)) is None
    beat = open_heartbeat(Settings(_env_file=None, heartbeat_url=f"{monitor}/ok"))
    assert beat is not None
    beat.beat()
    assert Monitor.hits == ["/ok"]


def test_on_aws_a_beat_is_a_cloudwatch_metric(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("cloudwatch", region_name="eu-west-1")
        CloudWatchHeartbeat(client, table="monitoring-prod").beat()
        (metric,) = client.list_metrics(Namespace=METRIC_NAMESPACE)["Metrics"]
        assert metric["MetricName"] == METRIC_NAME
        assert metric["Dimensions"] == [{"Name": "Table", "Value": "monitoring-prod"}]


@pytest.fixture
def heartbeat_lambda(tmp_path, monkeypatch) -> Iterator[Any]:
    """The heartbeat function on a cold start, with CloudWatch on moto."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "eu-west-1",
        "DATA_DIR": str(tmp_path),
        "STORE": "sqlite",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("HEARTBEAT_URL", raising=False)
    with cold_start(), mock_aws():
        yield lambda: lambdas.load("heartbeat")


def metrics() -> list[dict[str, Any]]:
    client = boto3.client("cloudwatch", region_name="eu-west-1")
    return client.list_metrics(Namespace=METRIC_NAMESPACE)["Metrics"]


def test_the_heartbeat_lambda_puts_the_metric_once_the_store_answers(heartbeat_lambda):
    assert heartbeat_lambda().handler({}, None) == {"metric": True, "url": False}
    (metric,) = metrics()
    assert metric["MetricName"] == METRIC_NAME
    assert metric["Dimensions"] == [{"Name": "Table", "Value": "monitoring-local"}]


def test_a_monitor_that_is_down_does_not_stop_the_metric(heartbeat_lambda, monkeypatch):
    monkeypatch.setenv("HEARTBEAT_URL", "http://127.0.0.1:9/")
    with pytest.raises(UnprocessedError, match="heartbeat GET failed"):
        heartbeat_lambda().handler({}, None)
    assert len(metrics()) == 1
