"""The REST API for events through the running service: the documented shape, its
errors (400, never 422), the bearer token, CORS, OpenAPI, and consistent paging."""

from __future__ import annotations

import json

import pytest

from tests.corpus import load
from tests.e2e.conftest import RunningService, client_for, service_factory  # noqa: F401

TOKEN = "api-secret"
T0 = 1_790_000_000


@pytest.fixture
def api(service_factory, client_for):  # noqa: F811
    svc: RunningService = service_factory(api_token=TOKEN, cors_allow_origin="https://ops.example")
    client = client_for(svc)
    client.headers["Authorization"] = f"Bearer {TOKEN}"
    return svc, client


def seed_events(svc: RunningService, count: int) -> list[str]:
    """`count` events published a minute apart, ending now-ish (within the 7-day default)."""
    sample = load("cloudwatch_alarm_state_change_single_metric.json")
    now = int(svc.services.clock.now())
    bodies = []
    for n in range(count):
        event = json.loads(json.dumps(sample))
        event["id"] = f"rest-{n:04d}"
        event["time"] = f"@{now - (count - n) * 60}"
        bodies.append(event)
    for event in bodies:  # the time as epoch seconds (ISO strings also work)
        event["time"] = int(event["time"][1:])
    svc.services.ingest(bodies)
    return [e["id"] for e in bodies]


def test_get_one_event_and_404(api):
    svc, client = api
    (event_id,) = seed_events(svc, 1)
    answer = client.get(f"/events/{event_id}")
    assert answer.status_code == 200
    assert answer.json()["id"] == event_id and answer.json()["source"] == "aws.cloudwatch"
    missing = client.get("/events/nope")
    assert missing.status_code == 404 and "error" in missing.json()


def test_paging_forward_and_back_is_consistent(api):
    svc, client = api
    ids = seed_events(svc, 23)
    pages, cursor = [], None
    while True:
        answer = client.get(
            "/events", params={"limit": 5, **({"cursor": cursor} if cursor else {})}
        )
        assert answer.status_code == 200
        page = answer.json()
        assert set(page) == {"items", "limit", "next", "previous"} and page["limit"] == 5
        pages.append([e["id"] for e in page["items"]])
        cursor = page["next"]
        if not cursor:
            break
    seen = [i for p in pages for i in p]
    assert seen == list(reversed(ids))  # newest first, each exactly once
    # Back from the last page reaches the same pages in reverse.
    back, cursor = [], client.get("/events", params={"limit": 5}).json()["next"]
    forward = [client.get("/events", params={"limit": 5}).json()]
    while cursor:
        page = client.get("/events", params={"limit": 5, "cursor": cursor}).json()
        forward.append(page)
        cursor = page["next"]
    cursor = forward[-1]["previous"]
    while cursor:
        page = client.get("/events", params={"limit": 5, "cursor": cursor}).json()
        back.append([e["id"] for e in page["items"]])
        cursor = page["previous"]
    assert back == list(reversed(pages[:-1]))


def test_ascending_with_a_date_range(api):
    svc, client = api
    ids = seed_events(svc, 10)
    first = svc.services.events.get(ids[2], int(svc.services.clock.now())).published_at
    last = svc.services.events.get(ids[6], int(svc.services.clock.now())).published_at
    page = client.get(
        "/events",
        params={"start_date": first, "end_date": last, "direction": "asc", "limit": 100},
    ).json()
    assert [e["id"] for e in page["items"]] == ids[2:7]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"direction": "sideways"},
        {"start_date": 20, "end_date": 10},
        {"start_date": "yesterday"},
        {"cursor": "not-a-cursor"},
        {"unknown": "x"},
    ],
)
def test_bad_parameters_are_400_never_422(api, params):
    _, client = api
    answer = client.get("/events", params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]


def test_a_tampered_cursor_is_400(api):
    svc, client = api
    seed_events(svc, 8)
    cursor = client.get("/events", params={"limit": 3}).json()["next"]
    middle = len(cursor) // 2
    for swap in ("A", "B"):  # one character changed, wherever it falls (payload or MAC)
        if cursor[middle] != swap:
            tampered = cursor[:middle] + swap + cursor[middle + 1 :]
            break
    answer = client.get("/events", params={"cursor": tampered})
    assert answer.status_code == 400 and "cursor" in answer.json()["error"]


def test_the_token_is_required(api):
    svc, client = api
    seed_events(svc, 1)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        answer = client.get("/events", headers={"Authorization": "", **headers})
        assert answer.status_code == 401 and answer.json()["error"]


def test_cors_and_openapi(api):
    _, client = api
    preflight = client.options(
        "/events",
        headers={"Origin": "https://ops.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.headers["access-control-allow-origin"] == "https://ops.example"
    spec = client.get("/openapi.json").json()
    assert {"/events", "/events/{event_id}"} <= set(spec["paths"])


def test_unknown_routes_and_methods_answer_in_the_error_shape(api):
    _, client = api
    missing = client.get("/no/such/route")
    assert missing.status_code == 404 and missing.json()["error"]
    wrong = client.put("/events")
    assert wrong.status_code == 405 and wrong.json()["error"]
    huge = client.get("/events", params={"start_date": "9" * 30})
    assert huge.status_code == 400
