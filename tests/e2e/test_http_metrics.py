"""GET /metrics on the service running under uvicorn: Prometheus's text format, behind
API_TOKEN when it is set, counting what POST /ingest stored."""

from __future__ import annotations

from adapters.prometheus import PrometheusMetrics
from tests.corpus import load
from tests.prometheus_samples import parse

FILES = (  # three families
    "health_ec2_issue_minimal.json",
    "ecs_task_state_change_running.json",
    "cloudwatch_alarm_state_change_single_metric.json",
)


def test_metrics_count_the_ingested_events_by_family(service_factory, client_for):
    client = client_for(service_factory(ports={"metrics": PrometheusMetrics()}))
    stored = [client.post("/ingest", json=load(name)).json()["stored"] for name in FILES]
    assert stored == [1, 1, 1]
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    seen = parse(answer.text)
    families = {
        dict(labels)["family"]: value
        for (name, labels), value in seen.items()
        if name == "awsbot_events_stored_total"
    }
    assert sum(families.values()) == 3 and len(families) == 3, families
    assert seen[("awsbot_due_work_records", ())] == 0  # measured at the scrape
    store_calls = [v for (name, _), v in seen.items() if name == "awsbot_store_call_seconds_count"]
    assert sum(store_calls) > 0  # the SQLite stores' calls, timed


def test_metrics_need_the_api_token_when_it_is_set(service_factory, client_for):
    client = client_for(service_factory(api_token="s3cret", ports={"metrics": PrometheusMetrics()}))
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 200
    assert "awsbot_events_stored_total" in right.text


def test_metrics_are_not_in_the_openapi_schema(service_factory, client_for):
    client = client_for(service_factory(ports={"metrics": PrometheusMetrics()}))
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_without_prometheus_metrics_the_route_says_where_they_go(service_factory, client_for):
    answer = client_for(service_factory()).get("/metrics")
    assert answer.status_code == 404
    assert "CloudWatch" in answer.json()["error"]
