"""Schemathesis over the service's own /openapi.json: the REST API and POST /ingest.

Why: the API promises a 4xx with `{"error": ...}` for any bad parameter, body, cursor or
token, and never a 500 or a stack trace. Schemathesis drives every documented operation
in-process (ASGI), once with the service open and once with API_TOKEN and INGEST_TOKEN
set, on a fresh SQLite store.

The published document declares no request bodies (the routes read them by hand), so
the run adds each route's body schema (its pydantic model, or the ingest shapes) to a
copy of the document; without them schemathesis would only ever send empty bodies.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from adapters.sqlite import SqliteAgentStore, SqliteAlertStore, SqliteDatabase, SqliteEventStore
from bot.config import Settings
from bot.cursors import CursorCodec
from bot.models import DeploymentDTO, NewAgent, UpdateAgentDTO
from bot.services import Services
from bot.sources.registry import DETAIL_TYPES
from handlers.bootstrap import bootstrap
from handlers.http import create_app
from tests.corpus import load
from tests.fakes import FakeClock
from tests.figures import Figures
from tests.fuzz.slack_checks import RenderingChat
from tests.fuzz.strategies import fuzz_settings

API_TOKEN = "api-fuzz-token"
INGEST_TOKEN = "ingest-fuzz-token"
KNOWN_AGENT = "123456789012"  # registered first, so that 200, 409 and 204 are reachable
EXAMPLES = 50  # per operation and mode: about 500 cases a run

# What docs/commands.md documents for each operation (outside contract): anything else, and
# any 5xx, is a failure. 401 only where a token is configured.
DOCUMENTED = {
    "GET /events": {200, 400},
    "GET /events/{event_id}": {200, 400, 404},
    "GET /agents": {200, 400},
    "POST /agents": {201, 400, 409},
    "GET /agents/{agent_id}": {200, 400, 404},
    "PATCH /agents/{agent_id}": {200, 400, 404},
    "DELETE /agents/{agent_id}": {204, 400, 404},
    "POST /agents/{agent_id}/deployments": {200, 201, 400},
    "GET /healthz": {200},
    "POST /ingest": {202, 400, 413},
}
OPEN_ROUTES = {"GET /healthz"}


def build_app(data_dir: Path, tokens: dict[str, str]) -> tuple[FastAPI, Services]:
    """The HTTP app over a fresh SQLite store, as app.py wires it, with a fake chat."""
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        store="sqlite",
        slack_alerts_channel="C0ALERTS",
        cursor_secret="fuzz-cursor-secret",
        **tokens,
    )
    db = SqliteDatabase(settings.sqlite_path)
    codec = CursorCodec(settings.cursor_secret)
    clock = FakeClock()
    services = bootstrap(
        settings=settings,
        events=SqliteEventStore(db, codec),
        agents=SqliteAgentStore(db, codec),
        alerts=SqliteAlertStore(db),
        chat=RenderingChat(clock),
        clock=clock,
    )
    return create_app(services), services


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _model(model: Any, components: dict[str, Any]) -> dict[str, Any]:
    """A pydantic model's JSON schema, its definitions moved into the components."""
    found = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(found.pop("$defs", {}))
    return found


def _ingest_body() -> dict[str, Any]:
    """The shapes POST /ingest documents: an event, an array of them, an SNS Lambda event,
    a PutEvents entry; and anything at all, for the 400s."""
    event = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "maxLength": 300},
            "source": {"type": "string"},
            "detail-type": {"enum": sorted(DETAIL_TYPES)},
            "account": {"type": "string"},
            "region": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "resources": {"type": "array", "items": {"type": "string"}},
            "detail": {"type": "object"},
        },
        "required": ["detail-type", "detail"],
    }
    sns = {
        "type": "object",
        "properties": {
            "Records": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "Sns": {
                            "type": "object",
                            "properties": {
                                "MessageId": {"type": "string"},
                                "Message": {"type": "string"},
                                "TopicArn": {"type": "string"},
                                "Subject": {"type": "string"},
                            },
                            "required": ["Message"],
                        }
                    },
                    "required": ["Sns"],
                },
            }
        },
        "required": ["Records"],
    }
    entry = {
        "type": "object",
        "properties": {
            "Source": {"type": "string"},
            "DetailType": {"type": "string"},
            "Detail": {"type": "string"},
        },
        "required": ["DetailType", "Detail"],
    }
    return {
        "anyOf": [event, {"type": "array", "items": event, "maxItems": 4}, sns, entry, {}],
        "examples": [load("ecs_task_state_change_running.json")],
    }


def with_bodies(published: dict[str, Any]) -> dict[str, Any]:
    """A copy of the published document with each route's request body described, and
    agent ids that name the registered agent half of the time."""
    raw = copy.deepcopy(published)
    components = raw.setdefault("components", {}).setdefault("schemas", {})
    paths = raw["paths"]
    paths["/ingest"]["post"]["requestBody"] = _json_body(_ingest_body())
    paths["/agents"]["post"]["requestBody"] = _json_body(_model(NewAgent, components))
    paths["/agents/{agent_id}"]["patch"]["requestBody"] = _json_body(
        _model(UpdateAgentDTO, components)
    )
    deployment = _model(DeploymentDTO, components)
    deployment["required"] = [r for r in deployment.get("required", []) if r != "agent_id"]
    paths["/agents/{agent_id}/deployments"]["post"]["requestBody"] = _json_body(deployment)
    agent_ids = {"type": "string", "pattern": f"^({KNOWN_AGENT}|[0-9]{{12}})$"}
    for item in paths.values():
        for operation in item.values():
            for param in operation.get("parameters", []):
                if param["name"] == "agent_id":
                    param["schema"] = agent_ids
    return raw


@dataclass
class Run:
    """Operations and cases run, and the statuses they answered."""

    operations: set[str] = field(default_factory=set)
    cases: int = 0
    unauthorised: int = 0
    statuses: Counter[int] = field(default_factory=Counter)


def _check_case(run: Run, label: str, case: Any, headers: dict[str, str], tokens: bool) -> None:
    """One case: no 5xx, a documented status, the documented error shape, the response schema of
    2xx answers; and with tokens set, the same request without one is a 401."""
    response = case.call(headers=headers)
    run.cases += 1
    run.statuses[response.status_code] += 1
    case.validate_response(
        response,
        checks=[not_a_server_error, response_schema_conformance],
        headers=headers,
    )
    assert response.status_code in DOCUMENTED[label], (
        f"{label} answered {response.status_code}, not a documented one: {response.text:.300}"
    )
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]
    if tokens and label not in OPEN_ROUTES:
        bare = case.call()
        run.unauthorised += 1
        assert bare.status_code == 401, f"{label} without a token answered {bare.status_code}"
        assert isinstance(bare.json().get("error"), str)


def _auth(label: str, tokens: bool) -> dict[str, str]:
    if not tokens or label in OPEN_ROUTES:
        return {}
    token = INGEST_TOKEN if label == "POST /ingest" else API_TOKEN
    return {"Authorization": f"Bearer {token}"}


def _runner(
    cases: st.SearchStrategy[Any], label: str, tokens: bool, check: Callable[..., None], run: Run
) -> Callable[[], None]:
    """One operation's property: each generated case goes through `check`."""

    @fuzz_settings(max_examples=EXAMPLES)
    @given(case=cases)
    def one(case: Any) -> None:
        check(run, label, case, _auth(label, tokens), tokens)

    return one


def _drive(schema: Any, tokens: bool, check: Callable[..., None], run: Run) -> None:
    for result in schema.get_all_operations():
        operation = result.ok()
        label = operation.label
        run.operations.add(label)
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        _runner(cases, label, tokens, check, run)()


@pytest.mark.parametrize("tokens", [False, True], ids=["open", "tokens"])
def test_rest_api_and_ingest_never_answer_5xx(
    tokens: bool, tmp_path: Path, figures: Figures
) -> None:
    """Every operation, positive and negative cases: no 5xx, only the documented statuses,
    `{"error": ...}` bodies, 2xx bodies as documented; 401 without the token."""
    settings = {"api_token": API_TOKEN, "ingest_token": INGEST_TOKEN} if tokens else {}
    app, services = build_app(tmp_path, settings)
    services.agents.create(NewAgent(id=KNOWN_AGENT, region="us-east-1"))
    published = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema = schemathesis.openapi.from_dict(with_bodies(published.raw_schema))
    schema.app = app
    schema.location = "/openapi.json"
    run = Run()
    _drive(schema, tokens, _check_case, run)
    assert run.operations == set(DOCUMENTED), "the document and the documented routes differ"
    statuses = ", ".join(f"{s}×{n}" for s, n in sorted(run.statuses.items()))
    mode = "API_TOKEN and INGEST_TOKEN set and sent" if tokens else "tokens unset"
    figures.add(
        "fuzz",
        f"schemathesis over /openapi.json ({mode})",
        f"{len(run.operations)} operations, {run.cases} cases ({statuses}), 0 server errors"
        + (f", {run.unauthorised} repeats without a token all 401" if tokens else ""),
    )


def test_openapi_documents_the_statuses_the_api_answers(tmp_path: Path, figures: Figures) -> None:
    """/openapi.json is the contract clients generate code from: each status an
    operation answers must be one it documents (schemathesis' status_code_conformance)."""
    app, services = build_app(tmp_path, {})
    services.agents.create(NewAgent(id=KNOWN_AGENT, region="us-east-1"))
    published = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema = schemathesis.openapi.from_dict(with_bodies(published.raw_schema))
    schema.app = app
    run = Run()

    def conforms(run: Run, label: str, case: Any, headers: dict[str, str], _: bool) -> None:
        response = case.call(headers=headers)
        run.cases += 1
        run.statuses[response.status_code] += 1
        case.validate_response(response, checks=[status_code_conformance], headers=headers)

    _drive(schema, False, conforms, run)
    figures.add(
        "fuzz",
        "/openapi.json documents every status answered",
        f"{len(run.operations)} operations, {run.cases} cases conform",
    )
