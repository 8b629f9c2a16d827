"""What a signed form body must hold before Bolt reads it. Bolt takes a form's `payload`
(an interaction: a click, a modal's submission) as a JSON object and reads its parts
as objects; anything else would crash its middleware (a 500), so it is refused with a
400 naming what is wrong. Slack's own interactions always pass."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

# The parts of an interaction Bolt reads as objects when they are present (Slack sends
# `team` and `channel` as null for some installs), and those it reads as lists of objects.
OBJECTS = ("user", "team", "channel", "container", "message", "view", "state", "enterprise")
LISTS = ("actions",)


def form_problem(body: bytes) -> str | None:
    """Why a signed form body is not one Slack sends (a 400), or None."""
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return "the form is not UTF-8 URL-encoded text"
    payloads = fields.get("payload")
    if payloads is None:  # a slash command: flat fields, which Bolt reads as text
        return _command_problem(fields)
    if len(payloads) != 1:
        return "an interaction carries one payload"
    try:
        payload = json.loads(payloads[0])
    except (ValueError, RecursionError):
        return "the payload is not JSON"
    return _interaction_problem(payload)


def _command_problem(fields: dict[str, list[str]]) -> str | None:
    """A command is answered through its response_url: without one, its listener would
    run and have no way to answer (Slack always sends it)."""
    if "command" not in fields:
        return None  # not a command either: Bolt leaves it unhandled
    urls = fields.get("response_url", [])
    if len(urls) != 1 or not urls[0].startswith(("https://", "http://")):
        return "a slash command carries one response_url, an http(s) URL"
    return None


def _interaction_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return "the payload is not an interaction (a JSON object with a type)"
    for part in OBJECTS:
        if payload.get(part) is not None and not isinstance(payload[part], dict):
            return f"the payload's {part} is not an object"
    for part in LISTS:
        items = payload.get(part)
        if items is not None and not (
            isinstance(items, list) and all(isinstance(i, dict) for i in items)
        ):
            return f"the payload's {part} is not a list of objects"
    view = payload.get("view")
    if view is not None and not isinstance(view.get("type"), str):
        return "the payload's view has no type"
    if payload["type"] in ("view_submission", "view_closed") and view is None:
        return f"a {payload['type']} without its view"
    return None
