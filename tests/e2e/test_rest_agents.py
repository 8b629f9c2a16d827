"""The agent registry's REST API through the running service: every route and status,
deployments that register or update and post a notification, and heartbeats."""

from __future__ import annotations

import pytest

from bot.models import ListEventsDTO
from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401

TOKEN = "api-secret"
AGENT = {"id": "123456789012", "region": "eu-west-1", "status": "ok", "deployed_at": 1_790_000_000}


@pytest.fixture
def api(service_factory, client_for):  # noqa: F811
    svc: RunningService = service_factory(api_token=TOKEN)
    client = client_for(svc)
    client.headers["Authorization"] = f"Bearer {TOKEN}"
    return svc, client


def test_register_get_list_update_delete(api):
    _, client = api
    created = client.post("/agents", json=AGENT)
    assert created.status_code == 201 and created.json()["created_at"] > 0
    assert client.post("/agents", json=AGENT).status_code == 409
    assert client.get(f"/agents/{AGENT['id']}").json()["region"] == "eu-west-1"
    changed = client.patch(f"/agents/{AGENT['id']}", json={"status": "degraded"})
    assert changed.status_code == 200 and changed.json()["status"] == "degraded"
    assert changed.json()["region"] == "eu-west-1"  # a partial update keeps the rest
    listed = client.get("/agents", params={"limit": 10}).json()
    assert [a["id"] for a in listed["items"]] == [AGENT["id"]] and listed["limit"] == 10
    assert client.delete(f"/agents/{AGENT['id']}").status_code == 204
    assert client.get(f"/agents/{AGENT['id']}").status_code == 404
    assert client.delete(f"/agents/{AGENT['id']}").status_code == 404
    assert client.patch(f"/agents/{AGENT['id']}", json={"status": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/agents", {**AGENT, "id": "12345"}),
        ("post", "/agents", {**AGENT, "region": "Europe"}),
        ("post", "/agents", {**AGENT, "colour": "blue"}),
        ("post", "/agents", None),
        ("get", "/agents/not-an-account", None),
        ("patch", f"/agents/{AGENT['id']}", {"region": None}),
        ("patch", f"/agents/{AGENT['id']}", {"region": "mars-1"}),
        ("get", "/agents?limit=0", None),
        ("get", "/agents?cursor=tampered", None),
        ("post", f"/agents/{AGENT['id']}/deployments", {"region": "eu-west-1"}),
    ],
)
def test_bad_input_is_400(api, method, path, body):
    _, client = api
    client.post("/agents", json=AGENT)
    kwargs = {"json": body} if body is not None else {"content": b"{not json"}
    answer = getattr(client, method)(path, **kwargs) if method != "get" else client.get(path)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]


def test_the_token_is_required_on_every_route(api):
    _, client = api
    for method, path in [("get", "/agents"), ("get", "/agents/123456789012"),
                         ("post", "/agents"), ("patch", "/agents/123456789012"),
                         ("delete", "/agents/123456789012"),
                         ("post", "/agents/123456789012/deployments")]:  # fmt: skip
        answer = client.request(method.upper(), path, headers={"Authorization": "Bearer no"})
        assert answer.status_code == 401, (method, path)


def test_a_deployment_registers_then_updates_and_is_posted(api):
    svc, client = api
    body = {"region": "eu-west-1", "status": "CREATE_COMPLETE", "deployed_at": 1_790_000_000}
    first = client.post(f"/agents/{AGENT['id']}/deployments", json=body)
    assert first.status_code == 201 and first.json()["status"] == "CREATE_COMPLETE"
    again = client.post(
        f"/agents/{AGENT['id']}/deployments",
        json={**body, "status": "UPDATE_COMPLETE", "deployed_at": 1_790_000_600},
    )
    assert again.status_code == 200 and again.json()["deployed_at"] == 1_790_000_600
    now = int(svc.services.clock.now())
    page = svc.services.events.list(ListEventsDTO(start_date=0), now)
    deployments = [e for e in page.items if e.source == "monitoring.agents"]
    assert len(deployments) == 2  # each stored as an event, and notified
    notes = [a for a in svc.services.alerts.list_alerts() if a.kind == "notification"]
    assert len(notes) == 2


def test_agent_events_are_heartbeats_at_most_once_a_minute(api):
    svc, client = api
    client.post("/agents", json=AGENT)
    log_event = {
        "id": "hb-1", "source": "monitoring.agent.logs", "detail-type": "CloudWatch Logs Error",
        "account": AGENT["id"], "region": "eu-west-1", "time": 1_790_000_000,
        "detail": {"log_group_name": "/app", "logs": []},
    }  # fmt: skip
    svc.services.ingest(log_event)
    seen = client.get(f"/agents/{AGENT['id']}").json()["last_seen"]
    assert seen is not None
    svc.services.ingest({**log_event, "id": "hb-2"})  # within the minute: no write
    assert client.get(f"/agents/{AGENT['id']}").json()["last_seen"] == seen


def test_a_status_change_of_an_agents_stack_is_a_deployment(api):
    from tests.factories import cloudformation as cfn_f

    svc, client = api

    def stack_event(stack: str, status: str, event_id: str) -> dict:
        return {
            "id": event_id, "source": "aws.cloudformation",
            "detail-type": "CloudFormation Stack Status Change", "account": AGENT["id"],
            "region": "eu-west-1", "time": 1_790_000_000,
            "resources": [cfn_f.stack_arn(stack, region="eu-west-1")],
            "detail": cfn_f.stack_status(status, stack=stack, region="eu-west-1"),
        }  # fmt: skip

    svc.services.ingest(stack_event("web-app", "UPDATE_COMPLETE", "cfn-1"))  # not an agent's
    assert client.get(f"/agents/{AGENT['id']}").status_code == 404
    svc.services.ingest(stack_event("monitoring-agent-prod", "CREATE_COMPLETE", "cfn-2"))
    agent = client.get(f"/agents/{AGENT['id']}").json()
    assert (agent["status"], agent["region"]) == ("CREATE_COMPLETE", "eu-west-1")
    svc.services.ingest(stack_event("monitoring-agent-prod", "UPDATE_FAILED", "cfn-3"))
    assert client.get(f"/agents/{AGENT['id']}").json()["status"] == "UPDATE_FAILED"
    posted = [a for a in svc.services.alerts.list_alerts() if "monitoring-agent-prod" in a.title]
    assert posted  # and each stack event was posted, as any stack event is


@pytest.mark.parametrize(
    ("deployed_at", "stored"),
    [
        (1_796_292_000, 1_796_292_000),
        ("2026-12-03T10:00:00Z", 1_796_292_000),
        ("2026-12-03T12:00:00+02:00", 1_796_292_000),
    ],
)
def test_a_deployment_time_is_epoch_seconds_or_iso_8601(api, deployed_at, stored):
    _, client = api
    body = {"region": "eu-west-1", "status": "CREATE_COMPLETE", "deployed_at": deployed_at}
    answer = client.post(f"/agents/{AGENT['id']}/deployments", json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["deployed_at"] == stored
    assert client.get(f"/agents/{AGENT['id']}").json()["deployed_at"] == stored


@pytest.mark.parametrize(
    ("deployed_at", "says"),
    [
        ("yesterday", "neither epoch seconds nor an ISO 8601 time"),
        ("2026-12-03T10:00:00", "with an offset"),
        ("1796292000", "neither epoch seconds"),
        ("2026-13-03T10:00:00Z", "neither epoch seconds nor an ISO 8601 time"),
        ("1969-12-31T23:59:59Z", "years 1971 to 9998"),
        (-1, "greater than or equal to 0"),
        (None, "deployed_at"),
    ],
)
def test_a_bad_deployment_time_is_400_saying_why(api, deployed_at, says):
    _, client = api
    body = {"region": "eu-west-1", "status": "CREATE_COMPLETE", "deployed_at": deployed_at}
    answer = client.post(f"/agents/{AGENT['id']}/deployments", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error.startswith("deployed_at") and says in error, error
    assert client.get(f"/agents/{AGENT['id']}").status_code == 404  # nothing registered
