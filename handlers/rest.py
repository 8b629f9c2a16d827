"""The REST API: events, and the agent registry.

Every error is `{"error": "..."}`: 400 for any bad parameter, cursor or date range (never
422), 404 for an unknown id, 401 without the bearer API_TOKEN when one is set, and 503
when the store fails. The same routes serve the long-running service and, through
Mangum, the api Lambda.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from bot import strict_json
from bot.agents import register, update_deployment
from bot.envelopes import MAX_EVENT_BYTES
from bot.errors import ConflictError, MonitoringException, NotFoundError, ValidationError
from bot.list_events import get_event, list_events
from bot.models import (
    Agent,
    AgentQueryResult,
    DeploymentDTO,
    Event,
    EventQueryResult,
    ListEventsDTO,
    NewAgent,
    PaginatedInputDTO,
    UpdateAgentDTO,
)
from bot.services import Services

log = logging.getLogger(__name__)

ACCOUNT_ID_PATTERN = "^[0-9]{12}$"
ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
MAX_BODY_BYTES = MAX_EVENT_BYTES  # 413 when a body is over 256 KB, REST's as /ingest's
LIST_PARAMS = frozenset({"start_date", "end_date", "limit", "direction", "cursor"})


class ErrorBody(BaseModel):
    """Every error answer: `{"error": "..."}`."""

    error: str


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """What a route documents besides its success: the error statuses it answers, never
    FastAPI's 422."""
    return {code: {"model": ErrorBody, "description": HTTPStatus(code).phrase} for code in codes}


# 401 with API_TOKEN set, 503 when the store fails; "4XX" keeps FastAPI from adding its 422.
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    **error_responses(400, 401, 413, 503),
    "4XX": {"model": ErrorBody, "description": "Client error"},
}


class ApiError(Exception):
    """An error answer of the REST API."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


RETRY_AFTER_S = 5  # a 503's Retry-After: the store failed or was past its deadline


def api_error_response(_: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, ApiError)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if err.status == 503 else None
    return JSONResponse({"error": str(err)}, status_code=err.status, headers=headers)


def _token_check(services: Services, bearer_ok: Any) -> Any:
    """Every REST route wants `Authorization: Bearer $API_TOKEN` when API_TOKEN is set."""

    def authorised(request: Request) -> None:
        if not bearer_ok(request, services.settings.api_token):
            raise ApiError(401, "missing or wrong bearer token")

    return Depends(authorised)


def events_router(services: Services, bearer_ok: Any) -> APIRouter:
    """GET /events and GET /events/{id} over the services' event store."""

    router = APIRouter(
        dependencies=[_token_check(services, bearer_ok)], tags=["events"], responses=COMMON_ERRORS
    )

    call = _caller()

    @router.get("/events/{event_id}", response_model=Event, responses=error_responses(404))
    async def one_event(event_id: str) -> Any:
        return await call(get_event, services.events, event_id, int(services.clock.now()))

    @router.get("/events", response_model=EventQueryResult)
    async def events(
        request: Request,
        start_date: Annotated[str | None, Query(description="epoch seconds, inclusive")] = None,
        end_date: Annotated[str | None, Query(description="epoch seconds, inclusive")] = None,
        limit: Annotated[str | None, Query(description="1..100, default 50")] = None,
        direction: Annotated[str | None, Query(description="asc or desc (default)")] = None,
        cursor: Annotated[str | None, Query(description="`next` or `previous` of a page")] = None,
    ) -> Any:
        unknown = sorted(set(request.query_params) - LIST_PARAMS)
        if unknown:
            raise ApiError(
                400, f"unknown parameter {unknown[0]!r}: use {', '.join(sorted(LIST_PARAMS))}"
            )
        given = {
            "start_date": start_date,
            "end_date": end_date,
            "limit": limit,
            "direction": direction,
            "cursor": cursor,
        }
        try:
            dto = ListEventsDTO.model_validate({k: v for k, v in given.items() if v is not None})
        except PydanticValidationError as err:
            raise ApiError(400, _first_error(err)) from err
        return await call(list_events, services.events, dto, int(services.clock.now()))

    return router


def _body_model(model: Any, raw: Any) -> Any:
    """A JSON body as `model`, or a 400 that names the first bad field."""
    try:
        return model.model_validate(raw)
    except PydanticValidationError as err:
        raise ApiError(400, _first_error(err)) from err


def _first_error(err: PydanticValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{where}: {str(first['msg']).removeprefix('Value error, ')}"


def _account_id(agent_id: str) -> str:
    if not ACCOUNT_ID.fullmatch(agent_id):
        raise ApiError(400, f"agent id {agent_id!r} is not a 12-digit AWS account id")
    return agent_id


# Routes read their JSON bodies themselves (a bad body is 400 and a big one 413, never
# FastAPI's 422), so FastAPI cannot see them: they are documented through openapi_extra,
# with the models' schemas added to the document's components by `document_bodies`.
BODY_MODELS: tuple[type[BaseModel], ...] = (NewAgent, UpdateAgentDTO, DeploymentDTO)


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """A route's openapi_extra: its required JSON body."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def model_body(model: type[BaseModel]) -> dict[str, Any]:
    return json_body({"$ref": f"#/components/schemas/{model.__name__}"})


def document_bodies(app: FastAPI) -> None:
    """Add BODY_MODELS' schemas (and the schemas they use) to the app's /openapi.json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, routes=app.routes, description=app.description
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in BODY_MODELS:
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(body.pop("$defs", {}))
                components[model.__name__] = body
            # The deployments route takes the agent id from its path.
            deployment = components[DeploymentDTO.__name__]
            deployment["required"] = [f for f in deployment["required"] if f != "agent_id"]
            document_parameters(schema["paths"])
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# The routes read their query parameters as text (a bad one is 400, never 422); their
# document states what the models accept.
QUERY_MODELS: dict[tuple[str, str], type[BaseModel]] = {
    ("/events", "get"): ListEventsDTO,
    ("/agents", "get"): PaginatedInputDTO,
}
AGENT_ID_SCHEMA = {
    "type": "string",
    "pattern": ACCOUNT_ID_PATTERN,
    "description": "An AWS account id",
}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional field's schema less its null: a parameter is given, or left out."""
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default", "title")}
    return {**rest, **options[0]} if len(options) == 1 else rest


def document_parameters(paths: dict[str, Any]) -> None:
    """Each parameter's real constraints: agent ids are 12 digits, and the query
    parameters are typed and bounded as the models validate them."""
    for (path, method), model in QUERY_MODELS.items():
        fields = model.model_json_schema()["properties"]
        for param in paths[path][method].get("parameters", []):
            if param["in"] == "query" and param["name"] in fields:
                described = param["schema"].get("description") or param.get("description")
                param["schema"] = _not_null(fields[param["name"]])
                if described:
                    param["description"] = described
    for operations in paths.values():
        for operation in operations.values():
            for param in operation.get("parameters", []):
                if param["in"] == "path" and param["name"] == "agent_id":
                    param["schema"] = dict(AGENT_ID_SCHEMA)


async def read_limited(request: Request, limit: int, timeout: float) -> bytes | None:
    """The body, or None once it passes `limit` bytes (without reading the rest).

    The whole body must arrive within `timeout` seconds, however it trickles in: a client
    that holds its request open is answered 408 (uvicorn has no read timeout of its own)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > limit:
                    return None
    except TimeoutError as err:
        raise ApiError(408, f"the body did not arrive within {timeout:g} s") from err
    return bytes(body)


async def _json(request: Request, timeout: float) -> Any:
    body = await read_limited(request, MAX_BODY_BYTES, timeout)
    if body is None:
        raise ApiError(413, f"body is over {MAX_BODY_BYTES} bytes")
    try:
        # json.loads' own reading of bytes (UTF-8, -16 or -32), with finite numbers only
        return strict_json.loads(body.decode(json.detect_encoding(body), "surrogatepass"))
    except strict_json.NumberError as err:
        raise ApiError(400, f"the body is not JSON we accept: {err}") from err
    except ValueError as err:  # not UTF-8, or not JSON
        raise ApiError(400, "the body is not JSON") from err


def agents_router(services: Services, bearer_ok: Any) -> APIRouter:
    """The agent registry: list, get, register, update, remove, and deployments."""

    router = APIRouter(
        dependencies=[_token_check(services, bearer_ok)], tags=["agents"], responses=COMMON_ERRORS
    )
    call = _caller()

    def now() -> int:
        return int(services.clock.now())

    async def body_of(request: Request) -> Any:
        return await _json(request, services.settings.request_read_timeout)

    @router.get("/agents", response_model=AgentQueryResult)
    async def list_agents(request: Request, limit: str | None = None, cursor: str | None = None):
        unknown = sorted(set(request.query_params) - {"limit", "cursor"})
        if unknown:
            raise ApiError(400, f"unknown parameter {unknown[0]!r}: use limit, cursor")
        given = {k: v for k, v in {"limit": limit, "cursor": cursor}.items() if v is not None}
        dto = _body_model(PaginatedInputDTO, given)
        return await call(services.agents.list, dto)

    @router.get("/agents/{agent_id}", response_model=Agent, responses=error_responses(404))
    async def one_agent(agent_id: str) -> Any:
        return await call(services.agents.get, _account_id(agent_id))

    @router.post(
        "/agents",
        response_model=Agent,
        status_code=201,
        responses=error_responses(408, 409),
        openapi_extra=model_body(NewAgent),
    )
    async def new_agent(request: Request) -> Any:
        agent = _body_model(NewAgent, await body_of(request))
        return await call(register, services.agents, Agent(**agent.model_dump()), now())

    @router.patch(
        "/agents/{agent_id}",
        response_model=Agent,
        responses=error_responses(404, 408),
        openapi_extra=model_body(UpdateAgentDTO),
    )
    async def change_agent(agent_id: str, request: Request) -> Any:
        change = _body_model(UpdateAgentDTO, await body_of(request))
        return await call(services.agents.update, _account_id(agent_id), change)

    @router.delete("/agents/{agent_id}", status_code=204, responses=error_responses(404))
    async def remove_agent(agent_id: str) -> Response:
        await call(services.agents.delete, _account_id(agent_id))
        return Response(status_code=204)

    @router.post(
        "/agents/{agent_id}/deployments",
        response_model=Agent,
        responses={201: {"model": Agent, "description": "Created"}, **error_responses(408)},
        openapi_extra=model_body(DeploymentDTO),
    )
    async def deployment(agent_id: str, request: Request) -> Any:
        raw = await body_of(request)
        if not isinstance(raw, dict):
            raise ApiError(400, "the body must be a JSON object")
        dto = _body_model(DeploymentDTO, {"agent_id": _account_id(agent_id), **raw})
        if dto.agent_id != agent_id:
            raise ApiError(400, "agent_id in the body differs from the one in the path")
        agent, created = await call(update_deployment, services.agents, dto, now(), services.ingest)
        return JSONResponse(agent.model_dump(mode="json"), status_code=201 if created else 200)

    return router


def _caller() -> Any:
    """Run a store call off the event loop, its errors turned into API errors."""

    async def call(fn: Any, *args: Any) -> Any:
        try:
            return await run_in_threadpool(fn, *args)
        except NotFoundError as err:
            raise ApiError(404, str(err)) from err
        except ConflictError as err:
            raise ApiError(409, str(err)) from err
        except ValidationError as err:
            raise ApiError(400, str(err)) from err
        except MonitoringException as err:
            log.error("store failed: %s", err)
            raise ApiError(503, f"store unavailable, retry: {err}") from err

    return call
