"""The slack Lambda: POST /slack/events on an API Gateway HTTP API, through Bolt's Lambda
adapter. Listeners run before the response; the slow parts (/events, /agents answers)
are lazy listeners, which the adapter runs by invoking this same function again,
asynchronously (it needs lambda:InvokeFunction on itself)."""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from handlers.aws_lambda.wiring import flushing_metrics, services, setup_logging
from handlers.slack import build_app
from handlers.slack.events_api import refusal
from handlers.slack.replays import signature_readable, signed_by_slack, without_lazy_marks

setup_logging()


@lru_cache(maxsize=1)
def slack_handler() -> SlackRequestHandler:
    """Built on the first invocation (it needs the secrets from SSM), reused while warm."""
    return SlackRequestHandler(build_app(services(), process_before_response=True))


def use_invoker(client: Any) -> None:
    """Give the lazy listeners a Lambda client of our choosing (tests: one that runs the
    handler in-process, since moto's Lambda runs no code without Docker)."""
    slack_handler().app.listener_runner.lazy_listener_runner.lambda_client = client


# Bolt's Lambda adapter marks its invocation of this function for a lazy listener so;
# API Gateway's events have no such top-level key, and no caller outside can add one.
SELF_INVOKED = ("method", "NONE")


@flushing_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if not signature_readable(headers):  # Bolt's verifier would raise on these: a 500
        return {"statusCode": 401, "body": '{"error": "bad or missing Slack signature"}'}
    if event.get(SELF_INVOKED[0]) != SELF_INVOKED[1]:
        event = {**event, "headers": without_lazy_marks(event.get("headers") or {})}
        refused = _refused(event, headers)
        if refused is not None:
            return refused
    return slack_handler().handle(event, context)


def _refused(event: dict[str, Any], headers: dict[str, str]) -> dict[str, Any] | None:
    """The answer to a body Slack does not send here: 401 unsigned, then 400 for what is
    signed but neither a form nor Events API JSON; None for the rest, which Bolt takes."""
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else str(raw).encode()
    secret = services().settings.slack_signing_secret or ""
    if not signed_by_slack(SignatureVerifier(secret), body, headers):
        return {"statusCode": 401, "body": '{"error": "bad or missing Slack signature"}'}
    refused = refusal(headers.get("content-type", ""), body)
    if refused is None:
        return None
    return {"statusCode": 400, "body": json.dumps({"error": refused})}
