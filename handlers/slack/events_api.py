"""Slack's Events API on the app's request URL: what it posts as JSON, and each event
handled once.

Slack posts commands and interactions form-encoded, and the Events API as JSON: a
`url_verification` when the request URL is set (Bolt answers its challenge), then an
`event_callback` for each event the app subscribes to. Any other JSON body is not
Slack's and is refused (400) before Bolt sees it.

Slack retries an event not acknowledged within 3 s (`X-Slack-Retry-Num`), with the same
`event_id`, up to three times within about an hour. `EventOnce` lets each event id
through once in that time; a retry of one already taken is acked and not dispatched.
Events with no listener of their own are acked too (`ack_any_event`), so that Slack
never sees a 404 and turns the subscription off.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from handlers.slack.forms import form_problem
from handlers.slack.replays import SeenRequests

log = logging.getLogger(__name__)

EVENTS_API_TYPES = frozenset({"url_verification", "event_callback"})
FORM = "application/x-www-form-urlencoded"  # commands, clicks and submissions
JSON = "application/json"  # the Events API
EVENT_RETRIES_S = 3600  # Slack's retries of one event come within about an hour


def events_api_kind(body: bytes) -> str | None:
    """The Events API type of a JSON body ("url_verification" or "event_callback"); None
    for anything else (other JSON, not JSON, nesting past the parser's depth)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    kind = payload.get("type") if isinstance(payload, dict) else None
    if kind == "event_callback":
        event = payload.get("event")
        if not (isinstance(event, dict) and isinstance(event.get("type"), str)):
            return None  # Bolt reads the event's type: a callback carries its event
    return kind if kind in EVENTS_API_TYPES else None


def refusal(content_type: str, body: bytes) -> str | None:
    """Why a signed body is not one Slack sends to the request URL (a 400), or None: a
    form, or Events API JSON."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == FORM:
        return form_problem(body)
    if kind == JSON and events_api_kind(body) is not None:
        return None
    return (
        "Slack sends form bodies here, and JSON only for the Events API (url_verification, "
        f"event_callback); not this {kind or 'untyped'} body"
    )


class EventOnce(Middleware):
    """Bolt middleware: an Events API event whose id was let through within the last
    hour is acked (200) and not dispatched again."""

    def __init__(self, seen: SeenRequests | None = None) -> None:
        self._seen = seen or SeenRequests(window_s=EVENT_RETRIES_S)

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        event_id = req.body.get("event_id") if isinstance(req.body, dict) else None
        if isinstance(event_id, str) and event_id and not self._seen.first(event_id):
            retry = (req.headers.get("x-slack-retry-num") or ["?"])[0]
            log.info("Slack event %s retried (retry %s): already taken, acked", event_id, retry)
            return BoltResponse(status=200, body="")
        return next()


def ack_any_event(app: App) -> None:
    """The last event listener: any event no other listener took is acknowledged."""

    @app.event(re.compile(".*"))
    def acknowledged(event: dict[str, object]) -> None:
        log.debug("Slack event %s: no listener of its own", event.get("type"))
