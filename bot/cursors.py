"""Opaque, signed pagination cursors.

A cursor is handed to clients (REST `next`/`previous`, a Slack button value) and comes
back as untrusted input. Signing it means a store only ever resumes from a position it
issued itself, and a tampered or foreign cursor is a clear 400, never a 500 or a query
over an attacker-chosen key.

Token format: ``base64url(json) "." base64url(tag)``, unpadded, where ``tag`` is the first
16 bytes of HMAC-SHA256 over a fixed context label and the JSON.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import Any

from bot.errors import InvalidCursorError

_CONTEXT = b"monitoring-bot/cursor/v1\x00"  # keeps this MAC apart from any other use of the key
_TAG_BYTES = 16
_MAX_TOKEN_CHARS = 2048  # far above any real cursor; refuses to parse megabytes of garbage
_B64URL = re.compile(r"[A-Za-z0-9_-]+")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict unpadded base64url: only canonical encodings, so every flipped char is caught."""
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64encode(data) != text:  # non-zero padding bits: a second spelling of the same bytes
        raise ValueError("non-canonical base64url")
    return data


class CursorCodec:
    """Turns a position (a small JSON-able dict) into an opaque token and back."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a cursor secret is required")
        self._key = secret.encode("utf-8")

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._key, _CONTEXT + payload, hashlib.sha256).digest()[:_TAG_BYTES]

    def encode(self, position: dict[str, Any]) -> str:
        """The token for `position`; deterministic, URL-safe, no padding."""
        # Not ASCII-escaped: a cursor rides in a Slack button value (2,000 characters),
        # and an emoji escaped as \ud83d\udd25 takes twice the room it takes in UTF-8.
        text = json.dumps(position, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        payload = text.encode("utf-8", "surrogatepass")
        return f"{_b64encode(payload)}.{_b64encode(self._tag(payload))}"

    def decode(self, token: str) -> dict[str, Any]:
        """The position in `token`; InvalidCursorError unless we signed exactly this token."""
        if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS:
            raise InvalidCursorError("invalid cursor")
        try:
            body, tag_text = token.split(".")
            payload, tag = _b64decode(body), _b64decode(tag_text)
        except (ValueError, binascii.Error) as err:
            raise InvalidCursorError("invalid cursor: malformed") from err
        if not hmac.compare_digest(tag, self._tag(payload)):
            raise InvalidCursorError("invalid cursor: bad signature")
        try:
            position = json.loads(payload.decode("utf-8", "surrogatepass"))
        except ValueError as err:  # only reachable with a leaked key; still a 400
            raise InvalidCursorError("invalid cursor: malformed") from err
        if not isinstance(position, dict):
            raise InvalidCursorError("invalid cursor: malformed")
        return position
