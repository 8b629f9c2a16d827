"""The service's HTTP app (FastAPI): /ingest, /slack/events, the REST API, /healthz and
/metrics.

Errors are always `{"error": "..."}` with a 4xx status for bad input; the handler never
lets a stack trace reach the client.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.prometheus import CONTENT_TYPE, PrometheusMetrics
from bot.config import DEFAULT_CURSOR_SECRET
from bot.errors import MonitoringException, TooManyEventsError, ValidationError
from bot.gauges import measure_service_gauges
from bot.health import HEALTH_TTL_S, HealthCache
from bot.services import Services
from handlers.rest import (
    MAX_BODY_BYTES,
    ApiError,
    agents_router,
    api_error_response,
    document_bodies,
    error_responses,
    events_router,
    json_body,
    read_limited,
)
from handlers.slack.events_api import refusal
from handlers.slack.replays import signed_by_slack, without_lazy_marks

log = logging.getLogger(__name__)

INGEST_BODY = {  # what docs/alerts.md's "Event shapes read" lists, in JSON Schema's words
    "description": "One event, a JSON array of events, or an SNS-wrapped Lambda event",
    "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
}


def error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def bearer_ok(request: Request, token: str | None) -> bool:
    """True when no token is configured, or the request carries `Bearer <token>`."""
    if not token:
        return True
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    # Bytes, not str: compare_digest refuses non-ASCII str, and a header may hold anything.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8")
    )


def create_app(services: Services, slack: App | None = None) -> FastAPI:
    """The ASGI app over the given services, and Slack's requests when `slack` is given."""
    app = FastAPI(title="AWS monitoring bot", version="0.1.0")
    settings = services.settings
    if not settings.ingest_token:
        log.warning("INGEST_TOKEN is not set: POST /ingest is open to anyone who can reach it")
    if settings.cursor_secret == DEFAULT_CURSOR_SECRET:
        log.warning("CURSOR_SECRET is the default: set it, or cursors can be forged")

    @app.exception_handler(MonitoringException)
    async def _monitoring_error(_: Request, err: MonitoringException) -> JSONResponse:
        return error(err.status_code, str(err))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, err: StarletteHTTPException) -> JSONResponse:
        return error(err.status_code, str(err.detail))  # 404 and 405 in our shape too

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {"loc": (), "msg": "bad request"}
        where = ".".join(str(p) for p in first["loc"] if p not in ("query", "path", "body"))
        return error(400, f"{where or 'request'}: {first['msg']}")  # never 422

    @app.exception_handler(RecursionError)
    async def _too_deep(_: Request, err: RecursionError) -> JSONResponse:
        # A JSON body nested past the parser's depth: bad input, never a 500.
        return error(400, "the body is nested too deeply to read")

    app.add_exception_handler(ApiError, api_error_response)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[settings.cors_allow_origin],
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    app.include_router(events_router(services, bearer_ok))
    app.include_router(agents_router(services, bearer_ok))
    document_bodies(app)

    verifier = SignatureVerifier(settings.slack_signing_secret) if slack is not None else None

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        if slack is None or verifier is None:
            return error(503, "Slack is not configured: set SLACK_SIGNING_SECRET")
        body = await read_limited(request, MAX_BODY_BYTES, settings.request_read_timeout)
        if body is None:
            return error(413, f"body is over {MAX_BODY_BYTES} bytes")
        # Refuse what Slack never sends before parsing anything: unsigned input first.
        headers = dict(request.headers)
        if not signed_by_slack(verifier, body, headers):
            return error(401, "bad or missing Slack signature, or a stale timestamp")
        # Forms (commands, interactions), and JSON for the Events API only.
        refused = refusal(request.headers.get("content-type", ""), body)
        if refused:
            return error(400, refused)
        try:
            bolt_request = BoltRequest(  # Bolt's Starlette adapter's, less the lazy marks
                body=body.decode("utf-8"),
                query=dict(request.query_params),
                headers=without_lazy_marks(request.headers),
            )
        except ValueError as err:  # not UTF-8, or a payload that is not JSON
            return error(400, f"unreadable Slack request: {err}")
        # Bolt's dispatch blocks (it verifies, acks and hands listeners to a thread pool).
        return to_starlette_response(await run_in_threadpool(slack.dispatch, bolt_request))

    # One per process: the stores probed at most every HEALTH_TTL_S, Slack's auth.test at
    # most once a minute.
    health_cache = HealthCache(settings.health_probe_timeout)

    @app.get("/healthz", response_model=None, responses={503: {"description": "Failing"}})
    def healthz() -> JSONResponse:
        """Open to load balancers (no token; nothing secret in it): 200 when alerts can
        flow ("ok", or "degraded" when they run late), 503 with what is wrong when not,
        within HEALTH_PROBE_TIMEOUT however stuck the store is."""
        health = health_cache.check(services, services.clock.now())
        headers = {"Cache-Control": "no-store"}
        if health.http_status == 503:
            headers["Retry-After"] = str(int(HEALTH_TTL_S))
        return JSONResponse(
            health.model_dump(mode="json"), status_code=health.http_status, headers=headers
        )

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus's text format, behind API_TOKEN when it is set; the gauges are
        measured now (a bounded read). 404 where metrics go to CloudWatch (Lambda)."""
        if not bearer_ok(request, settings.api_token):
            return error(401, "missing or wrong bearer token")
        return serve_metrics(services)

    @app.post(
        "/ingest",
        status_code=202,
        responses=error_responses(400, 401, 408, 413, 503),
        openapi_extra=json_body(INGEST_BODY),
    )
    async def ingest_route(request: Request) -> JSONResponse:
        """One body of at most INGEST_MAX_EVENTS events and 256 KB: 413 past either."""
        if not bearer_ok(request, settings.ingest_token):
            return error(401, "missing or wrong bearer token")
        body = await read_limited(request, MAX_BODY_BYTES, settings.request_read_timeout)
        if body is None:
            return error(413, f"body is over {MAX_BODY_BYTES} bytes")
        try:
            result = await run_in_threadpool(services.ingest_raw, body, settings.ingest_max_events)
        except ValidationError as err:
            return error(400, str(err))
        except TooManyEventsError as err:
            return error(413, str(err))
        except MonitoringException as err:  # the store failed: nothing is claimed stored
            log.error("ingest failed, the sender should retry: %s", err)
            return JSONResponse(
                {"error": f"store unavailable, retry: {err}"},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        if not result.ids and result.rejected:  # (a Logs control message holds no event)
            return error(
                400,
                f"no usable event: {result.rejected[0].error}",
                rejected=[r.model_dump() for r in result.rejected],
                rejected_count=result.rejected_count,
            )
        return JSONResponse(result.model_dump(), status_code=202)

    return app


def serve_metrics(services: Services) -> Response:
    """The service's metrics with the gauges measured now; a store that cannot be read
    leaves them as last measured (its failure is /healthz's to report)."""
    exported = services.metrics
    if not isinstance(exported, PrometheusMetrics):
        return error(404, "metrics are not served here: on AWS they go to CloudWatch")
    try:
        measure_service_gauges(services)
    except Exception:
        log.exception("measuring the backlog and storm gauges failed")
    return Response(
        exported.exposition(), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"}
    )
