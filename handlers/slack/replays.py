"""Refusing Slack requests that are not what Slack sends: signature headers Slack's own
verifier would crash on, and a signed request sent again.

Slack's scheme accepts a signed body for 5 minutes, so a captured click replayed inside
that time passes the signature. It must not apply twice: `SeenRequests`
remembers each signature it let through for the replay window, and a second sighting is
acked and dropped. Slack's own retries and every real interaction carry a new
timestamp, so they sign differently and go through. The memory is per process: on
Lambda each warm instance keeps its own, and the alert records' version checks still
keep a replayed click from changing anything twice."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

REPLAY_WINDOW_S = 2 * 5 * 60  # Slack accepts a timestamp up to 5 minutes either side of now
MAX_REMEMBERED = 10_000  # signatures kept before the expired ones are swept


MAX_TIMESTAMP_DIGITS = 12  # Unix seconds have 10 until the year 2286


def signature_readable(headers: Mapping[str, str]) -> bool:
    """The signature headers are ones Slack's verifier can check rather than crash on:
    an ASCII-digit timestamp of a sane length (Python refuses to read an integer of over
    4,300 digits) and an ASCII signature. Anything else is unsigned (401)."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    return (
        0 < len(timestamp) <= MAX_TIMESTAMP_DIGITS
        and timestamp.isascii()
        and timestamp.isdigit()
        and signature.isascii()
    )


def signed_by_slack(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    """Slack's verifier on the raw body, guarded: a body that is not UTF-8 cannot be
    checked by it (Slack sends none), so it is as unsigned as a bad signature (401)."""
    if not signature_readable(headers):
        return False
    try:
        return verifier.is_valid_request(body.decode("utf-8"), dict(headers))
    except (UnicodeDecodeError, ValueError):
        return False


LAZY_HEADERS = ("x-slack-bolt-lazy-only", "x-slack-bolt-lazy-function-name")


def without_lazy_marks(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers without Bolt's lazy-invocation marks. Bolt trusts them to run a lazy
    listener alone, and Slack's signature does not cover headers: from outside, they
    would let a captured request run its listener again past the replay guard. Only the
    slack Lambda's invocation of itself may carry them."""
    return {k: v for k, v in headers.items() if k.lower() not in LAZY_HEADERS}


class SeenRequests:
    """Signatures let through within the replay window; thread-safe."""

    def __init__(
        self, window_s: float = REPLAY_WINDOW_S, clock: Callable[[], float] = time.time
    ) -> None:
        self._window = window_s
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def first(self, signature: str) -> bool:
        """True the first time `signature` is seen within the window."""
        now = self._clock()
        with self._lock:
            if len(self._until) >= MAX_REMEMBERED:  # sweep, and past that forget the oldest
                live = sorted((t, s) for s, t in self._until.items() if t > now)
                self._until = {s: t for t, s in live[-MAX_REMEMBERED // 2 :]}
            if self._until.get(signature, 0.0) > now:
                return False
            self._until[signature] = now + self._window
            return True


class ReplayGuard(Middleware):
    """Bolt middleware: a signed request seen before is answered 200 and not dispatched.
    Lazy-listener invocations (Bolt's Lambda adapter sends the request to itself again,
    signature and all; the entry points strip the marks from anything else) and Socket
    Mode (no signature) pass."""

    def __init__(self, seen: SeenRequests | None = None) -> None:
        self._seen = seen or SeenRequests()

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        if req.mode == "socket_mode" or req.lazy_only:
            return next()
        signature = (req.headers.get("x-slack-signature") or [""])[0]
        if signature and not self._seen.first(signature):
            log.warning("a Slack request was replayed (same signature); acked, not applied")
            return BoltResponse(status=200, body="")
        return next()
