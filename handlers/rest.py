"""The REST API, as the seed has it and DESIGN fixes: GET /events/{id} and GET /events.

Every error is `{"error": "..."}`: 400 for any bad parameter, cursor or date range (never
422), 404 for an unknown id, 401 without the bearer API_TOKEN when one is set, and 503
when the store fails. The same routes serve the long-running service and, through
Mangum, the api Lambda.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from bot.errors import MonitoringException, NotFoundError, ValidationError
from bot.list_events import get_event, list_events
from bot.models import Event, EventQueryResult, ListEventsDTO
from bot.services import Services

log = logging.getLogger(__name__)

LIST_PARAMS = frozenset({"start_date", "end_date", "limit", "direction", "cursor"})


class ApiError(Exception):
    """An error answer of the REST API."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def api_error_response(_: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, ApiError)
    return JSONResponse({"error": str(err)}, status_code=err.status)


def events_router(services: Services, bearer_ok: Any) -> APIRouter:
    """GET /events and GET /events/{id} over the services' event store."""

    def authorised(request: Request) -> None:
        if not bearer_ok(request, services.settings.api_token):
            raise ApiError(401, "missing or wrong bearer token")

    router = APIRouter(dependencies=[Depends(authorised)], tags=["events"])

    async def call(fn: Any, *args: Any) -> Any:
        try:
            return await run_in_threadpool(fn, *args)
        except NotFoundError as err:
            raise ApiError(404, str(err)) from err
        except ValidationError as err:  # a bad cursor or date range
            raise ApiError(400, str(err)) from err
        except MonitoringException as err:
            log.error("event store failed: %s", err)
            raise ApiError(503, f"store unavailable, retry: {err}") from err

    @router.get("/events/{event_id}", response_model=Event)
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
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "query"
            message = str(first["msg"]).removeprefix("Value error, ")
            raise ApiError(400, f"{where}: {message}") from err
        return await call(list_events, services.events, dto, int(services.clock.now()))

    return router
