"""/openapi.json describes what the routes really take and answer: request bodies (read
by the routes themselves, so FastAPI cannot see them), every error status they answer,
and never FastAPI's 422."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Settings
from handlers.bootstrap import bootstrap
from handlers.http import create_app


@pytest.fixture
def document(tmp_path) -> dict[str, Any]:
    services = bootstrap(Settings(_env_file=None, data_dir=tmp_path))
    return create_app(services).openapi()


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def body_schema(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    body = document["paths"][path][method]["requestBody"]
    assert body["required"] is True
    return body["content"]["application/json"]["schema"]


def test_every_reference_resolves(document):
    components = document["components"]["schemas"]
    for ref in refs(document):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in components, ref


def test_request_bodies_are_documented(document):
    components = document["components"]["schemas"]
    agent = body_schema(document, "/agents", "post")
    assert agent == {"$ref": "#/components/schemas/NewAgent"}
    assert {"id", "region"} <= set(components["NewAgent"]["required"])
    assert components["NewAgent"]["additionalProperties"] is False
    change = body_schema(document, "/agents/{agent_id}", "patch")
    assert change == {"$ref": "#/components/schemas/UpdateAgentDTO"}
    deployment = body_schema(document, "/agents/{agent_id}/deployments", "post")
    assert deployment == {"$ref": "#/components/schemas/DeploymentDTO"}
    assert "agent_id" not in components["DeploymentDTO"]["required"]  # the path's
    assert "oneOf" in body_schema(document, "/ingest", "post")


def test_error_statuses_are_documented_and_422_never(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert "422" not in statuses, (method, path)
            if path != "/healthz":
                assert {"400", "401", "503"} <= statuses, (method, path)
    assert {"408", "413"} <= set(document["paths"]["/ingest"]["post"]["responses"])
    for path, method in [("/agents", "post"), ("/agents/{agent_id}", "patch")]:
        assert "408" in document["paths"][path][method]["responses"], (method, path)
    assert "404" in document["paths"]["/events/{event_id}"]["get"]["responses"]
    assert "409" in document["paths"]["/agents"]["post"]["responses"]
