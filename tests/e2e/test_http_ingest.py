"""POST /ingest on the service running under uvicorn, as docs/commands.md documents it."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from tests.corpus import load


def test_healthz(service_factory, client_for):
    client = client_for(service_factory())
    answer = client.get("/healthz")
    assert answer.status_code == 200
    health = answer.json()
    assert health["status"] == "ok"
    assert health["checks"]["slack"]["status"] == "console"  # no SLACK_BOT_TOKEN
    assert health["backlog"] == 0


def test_one_event_is_accepted_then_a_duplicate(service_factory, client_for):
    svc = service_factory()
    client = client_for(svc)
    event = load("health_ec2_issue_minimal.json")
    first = client.post("/ingest", json=event)
    assert first.status_code == 202
    assert first.json() == {
        "stored": 1,
        "duplicates": 0,
        "ids": [event["id"]],
        "rejected": [],
        "rejected_count": 0,
    }
    again = client.post("/ingest", json=event)
    assert again.json()["duplicates"] == 1
    stored = svc.services.events.get(event["id"], now=int(time.time()))
    assert stored.family == "health"


def test_sns_lambda_event_body(service_factory, client_for):
    client = client_for(service_factory())
    answer = client.post("/ingest", json=load("sns_backup_job_notifications.json")).json()
    assert answer["stored"] == 2
    assert answer["duplicates"] == 2
    assert len(answer["ids"]) == 4


def test_batch_with_a_bad_event(service_factory, client_for):
    client = client_for(service_factory())
    good = load("ecs_task_state_change_running.json")
    answer = client.post("/ingest", json=[good, {"x": 1}])
    assert answer.status_code == 202
    body = answer.json()
    assert body["ids"] == [good["id"]]
    assert body["rejected"][0]["index"] == 1


def test_a_body_over_ingest_max_events_is_413_and_nothing_stored(service_factory, client_for):
    svc = service_factory(ingest_max_events=3)
    client = client_for(svc)
    good = load("ecs_task_state_change_running.json")
    batch = [{**good, "id": f"max-{n}"} for n in range(4)]
    answer = client.post("/ingest", json=batch)
    assert answer.status_code == 413
    assert answer.json() == {
        "error": "the body holds 4 events, over the 3 taken in one body: "
        "send them in smaller bodies"
    }
    assert client.post("/ingest", json=batch[:3]).json()["stored"] == 3
    assert client.post("/ingest", json=batch[3:]).json()["stored"] == 1  # 4th was not kept


def test_a_body_of_many_bad_events_is_answered_with_a_hundred(service_factory, client_for):
    client = client_for(service_factory())
    answer = client.post("/ingest", json=[{"x": n} for n in range(500)])
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"].startswith("no usable event: unrecognised event shape")
    assert (len(body["rejected"]), body["rejected_count"]) == (100, 500)


def test_nothing_usable_is_400_with_the_reason(service_factory, client_for):
    client = client_for(service_factory())
    not_json = client.post(
        "/ingest", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400
    assert not_json.json()["error"].startswith("body is not JSON")
    no_shape = client.post("/ingest", json={"hello": "world"})
    assert no_shape.status_code == 400
    assert "unrecognised event shape" in no_shape.json()["error"]
    empty = client.post("/ingest", json=[])
    assert empty.status_code == 400
    assert "no event" in empty.json()["error"]


def test_body_over_256_kb_is_413(service_factory, client_for):
    client = client_for(service_factory())
    huge = json.dumps({"source": "aws.ecs", "detail": {"x": "y" * 300 * 1024}})
    answer = client.post("/ingest", content=huge, headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert "256" in answer.json()["error"] or "262144" in answer.json()["error"]


def test_ingest_token_is_required_when_set(service_factory, client_for):
    svc = service_factory(ingest_token="s3cret")
    client = client_for(svc)
    event = load("health_ec2_issue_minimal.json")
    assert client.post("/ingest", json=event).status_code == 401
    wrong = client.post("/ingest", json=event, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "missing or wrong bearer token"}
    ok = client.post("/ingest", json=event, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 202
    # Refused requests changed nothing: the accepted one was the first store.
    assert ok.json()["stored"] == 1


def test_ten_concurrent_deliveries_store_once(service_factory, client_for):
    svc = service_factory()
    event = load("codepipeline_pipeline_execution_failed.json")

    def post(_: int) -> dict:
        return client_for(svc).post("/ingest", json=event).json()

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(post, range(10)))
    assert sum(a["stored"] for a in answers) == 1
    assert sum(a["duplicates"] for a in answers) == 9


def test_non_ascii_bearer_token_is_401_not_500(service_factory, client_for):
    client = client_for(service_factory(ingest_token="s3cret"))
    event = load("health_ec2_issue_minimal.json")
    answer = client.post(
        "/ingest", json=event, headers={"Authorization": "Bearer tök".encode("latin-1")}
    )
    assert answer.status_code == 401


def test_store_failure_is_503_with_retry_after(service_factory, client_for, monkeypatch):
    from bot.errors import UnprocessedError

    svc = service_factory()

    def down(events):
        raise UnprocessedError("DynamoDB throttled the write")

    monkeypatch.setattr(svc.services.events, "create_many", down)
    answer = client_for(svc).post("/ingest", json=load("health_ec2_issue_minimal.json"))
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "retry" in answer.json()["error"]


def test_hostile_json_is_400_not_500(service_factory, client_for):
    client = client_for(service_factory())
    for body in (b"[" * 5000, b"1" * 5000):
        answer = client.post("/ingest", content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 400
        assert answer.json()["error"].startswith("body is not JSON")
