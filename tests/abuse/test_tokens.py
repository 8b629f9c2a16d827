"""POST /ingest and the REST API without their bearer tokens.

The rule (docs/commands.md): with INGEST_TOKEN set, /ingest requires `Authorization:
Bearer $INGEST_TOKEN`, else 401; with API_TOKEN set, every REST route requires `Bearer
$API_TOKEN`, else 401. Every request here would change the store if it were let through
(or read it), and each token is refused on the other's routes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.abuse.conftest import AGENT_ID, API_TOKEN, INGEST_TOKEN, Tally, Target
from tests.corpus import load

TOKENS = "bearer tokens (/ingest, REST)"
NEW_AGENT = {"id": "210987654321", "region": "us-east-1", "status": "ok", "deployed_at": 1}


def _routes() -> dict[str, tuple[str, str, Any]]:
    """Every guarded route, with a body that it would accept from an authorised caller."""
    event = load("health_ec2_issue_minimal.json")
    event["id"] = "forged-ingest"
    return {
        "POST /ingest": ("POST", "/ingest", event),
        "GET /events": ("GET", "/events", None),
        "GET /events/{id}": ("GET", "/events/abuse-alarm", None),
        "GET /agents": ("GET", "/agents", None),
        "GET /agents/{id}": ("GET", f"/agents/{AGENT_ID}", None),
        "POST /agents": ("POST", "/agents", NEW_AGENT),
        "PATCH /agents/{id}": ("PATCH", f"/agents/{AGENT_ID}", {"status": "forged"}),
        "DELETE /agents/{id}": ("DELETE", f"/agents/{AGENT_ID}", None),
        "POST /agents/{id}/deployments": (
            "POST",
            f"/agents/{AGENT_ID}/deployments",
            {"region": "eu-west-1", "status": "forged", "deployed_at": 2},
        ),
    }


# credential → the Authorization header sent (None: no header at all)
CREDENTIALS: dict[str, str | bytes | None] = {
    "none": None,
    "empty": "",
    "wrong token": "Bearer wrong",
    "bearer without a token": "Bearer",
    "no scheme": "{token}",
    "Basic scheme": "Basic {token}",
    "token plus a byte": "Bearer {token}x",
    "token prefix": "Bearer {prefix}",
    "non-ASCII": "Bearer tök".encode("latin-1"),
    "the other route's token": "Bearer {other}",
}


def _header(credential: str, path: str) -> dict[str, str | bytes]:
    raw = CREDENTIALS[credential]
    if raw is None:
        return {}
    if isinstance(raw, bytes):
        return {"Authorization": raw}
    own, other = (INGEST_TOKEN, API_TOKEN) if path == "/ingest" else (API_TOKEN, INGEST_TOKEN)
    return {"Authorization": raw.format(token=own, prefix=own[:-1], other=other)}


@pytest.mark.parametrize("credential", list(CREDENTIALS))
def test_every_guarded_route_is_401_without_its_own_token(
    shared_target: Target, unchanged: Any, tally: Tally, credential: str
) -> None:
    """A request without the route's own bearer token is refused before its body is read:
    401 with the error shape, nothing stored, changed or deleted."""
    routes = _routes()
    tally.trying(TOKENS, "answered 401, state unchanged", len(routes))
    answers: dict[str, Any] = {}
    with unchanged(shared_target):
        for name, (method, path, body) in routes.items():
            answer = shared_target.http.request(
                method,
                path,
                headers=_header(credential, path),
                **({"json": body} if body is not None else {}),
            )
            answers[name] = (answer.status_code, _error(answer))
    refused = (401, "missing or wrong bearer token")
    tally.holding(TOKENS, list(answers.values()).count(refused))
    assert answers == dict.fromkeys(routes, refused)


def _error(answer: httpx.Response) -> str | None:
    try:
        return answer.json().get("error")
    except ValueError:
        return None


def test_the_right_tokens_are_still_accepted(shared_target: Target) -> None:
    """The refusals above are for the credentials, not for the routes: with its own token
    each route answers (so the 401s could have been anything else)."""
    assert shared_target.api.get("/events/abuse-alarm").status_code == 200
    assert shared_target.api.get(f"/agents/{AGENT_ID}").status_code == 200
    event = load("health_ec2_issue_minimal.json")
    event["id"] = "abuse-accepted"
    assert shared_target.ingest.post("/ingest", json=event).status_code == 202
