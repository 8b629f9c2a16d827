"""A local fake of the Slack Web API, served over real HTTP on loopback.

The bot's Slack adapter is a slack_sdk WebClient; pointing its `base_url` at `FakeSlack.url`
exercises the real client (serialisation, headers, retry handlers, error mapping) instead
of a mock of it. The fake is strict where Slack is (auth, Block Kit limits, rate limits
with `Retry-After`) so a bug that would fail in production fails here first, and it can
inject the failures Slack produces in the wild (5xx, `ok: false`, a dropped connection
after the write was applied).

Only the methods the bot uses are served; anything else answers `unknown_method`.

Files are shared by Slack's external upload, followed step by step or refused:
files.getUploadURLExternal hands out a file id and an upload URL on the fake itself; the
bytes POSTed there (raw, or a multipart `file` field) must be exactly the declared
`length`; files.completeUploadExternal then shares each uploaded file, once, in a channel
(and a thread), as a message carrying `files`. Both methods need the scope files:write:
the fake grants the scopes the app's manifest asks for, and `revoke_scope` takes one away.

Direct messages go as Slack's do: conversations.open (scope im:write) gives the bot's DM
channel with a user (a D… id, the same each time), and chat.postMessage takes a D…
channel only once it was opened so. conversations.history and .replies need the scope of
the conversation's kind: im:history for a D… channel, groups:history for a private
channel, channels:history for a public one.

Incident channels follow Slack's rules: conversations.create checks the name (required,
at most 80 characters, lowercase letters, digits, hyphens and underscores) and answers
`name_taken` for a name any channel, archived or not, has; conversations.invite takes a
comma list and refuses all of it for one user it cannot invite (`cant_invite_self`,
`user_not_found`, `already_in_channel`); conversations.archive (`already_archived`), and
posts to an archived channel answer `is_archived`; pins.add wants a message of the channel,
pinned once. They need channels:manage (groups:write for a private channel) and
pins:write. A channel the fake never saw is `channel_not_found`.

A person's Home tab is published with views.publish: a `home` view for a user id, held
to the view rules (100 blocks, each block_id once, 250 kB) and to a per-user budget; it
answers `not_enabled` when the app's manifest leaves the Home tab off
(`disable_home_tab`), and `hash_conflict` for a `hash` that is not the stored home's.

Socket Mode is served for real when asked (`FakeSlack(socket_mode=True)`, which needs
wsproto for uvicorn's WebSockets): apps.connections.open (app-level token) hands out a
one-use `ws://` URL; the socket greets with `hello`, carries the envelopes a test sends
(`send_envelope`) and records each message the client sends back as a call of
"socket_mode.ack" (one with an `envelope_id`) or "socket_mode.message".
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import email
import email.policy
import itertools
import json
import math
import re
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from handlers.slack.manifest import APP_HOME, BOT_SCOPES
from tests.loopback_server import LoopbackServer

Params = dict[str, Any]
Clock = Callable[[], float]

TEAM_ID = "T0FAKETEAM"
BOT_USER_ID = "U0FAKEBOT"
BOT_ID = "B0FAKEBOT"
APP_ID = "A0FAKEAPP"
WORKSPACE_URL = "https://fake-workspace.slack.com/"

# Form bodies carry structured arguments as JSON strings; Slack decodes these.
JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "files")
BLOCK_TYPES = frozenset(
    {"header", "section", "context", "actions", "divider", "image", "rich_text", "input"}
)
MAX_TEXT = 40_000
MAX_BLOCKS = 50
HISTORY_DEFAULT_LIMIT = 100
HISTORY_MAX_LIMIT = 999
TS_STEP_MICROS = 100
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})  # need an xapp- token
SOCKET_PATH = "/link/"  # Slack's: wss://wss-primary.slack.com/link/?ticket=…&app_id=…
UPLOAD_PATH = "/upload/"  # Slack's: https://files.slack.com/upload/v1/…
MAX_ALT_TXT = 1000
MAX_MPIM_USERS = 8  # conversations.open: "up to 8 users" besides the caller
MAX_VIEW_BYTES = 250_000  # "view_too_large": a view over 250 kB of JSON
USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")  # a user id (conversations.invite, views.publish)
# The scope each method needs; the others are served to any bot token.
METHOD_SCOPES = {
    "conversations.open": "im:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "pins.add": "pins:write",
}
# conversations.create, .invite and .archive need the scope of the channel's kind.
PUBLIC_MANAGE, PRIVATE_MANAGE = "channels:manage", "groups:write"
MAX_CHANNEL_NAME = 80
CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")  # lowercase; no spaces, periods or other marks
USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


class SlackError(Exception):
    """An API answer other than success: `{"ok": false, "error": ...}` plus HTTP details."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.headers = headers or {}
        self.body: Params = {"ok": False, "error": error, **extra}


@dataclass(frozen=True)
class Call:
    """One request as the fake saw it; `dropped` means the client never got `response`."""

    method: str
    params: Params
    at: float
    status: int
    response: Params
    dropped: bool = False


@dataclass(frozen=True)
class _Socket:
    """One open Socket Mode connection: its server loop, and what is queued to send."""

    loop: asyncio.AbstractEventLoop
    outbox: asyncio.Queue[str]


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `capacity` calls of burst, refilled at `per_second`."""

    capacity: float
    per_second: float
    per_channel: bool
    per_user: bool = False  # keyed by the call's user_id (views.publish)


def default_rate_limits() -> dict[str, RateLimit]:
    """Slack's published limits for the methods the bot leans on."""
    return {
        # "1 message per second per channel", with short bursts tolerated.
        "chat.postMessage": RateLimit(capacity=3, per_second=1.0, per_channel=True),
        # Tier 3: 50+ per minute per workspace.
        "chat.update": RateLimit(capacity=10, per_second=50 / 60, per_channel=False),
        # Tier 4: 100+ per minute per workspace, for both steps of an external upload.
        "files.getUploadURLExternal": RateLimit(
            capacity=20, per_second=100 / 60, per_channel=False
        ),
        "files.completeUploadExternal": RateLimit(
            capacity=20, per_second=100 / 60, per_channel=False
        ),
        # Tier 3.
        "conversations.open": RateLimit(capacity=10, per_second=50 / 60, per_channel=False),
        # Tier 4 (100+ per minute), held here per user: one person's Home tab published
        # in a burst of 10 at most, then 100 a minute.
        "views.publish": RateLimit(
            capacity=10, per_second=100 / 60, per_channel=False, per_user=True
        ),
    }


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Token buckets keyed by whatever the limit is scoped to (workspace, channel)."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, ...], _Bucket] = {}

    def take(self, key: tuple[str, ...], limit: RateLimit, now: float) -> float:
        """Spend one token; returns 0 on success, else seconds until one is available."""
        bucket = self._buckets.setdefault(key, _Bucket(limit.capacity, now))
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(limit.capacity, bucket.tokens + elapsed * limit.per_second)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / limit.per_second

    def clear(self) -> None:
        self._buckets.clear()


@dataclass(frozen=True)
class _Fault:
    kind: str  # "fail" (HTTP error, not applied) | "error" (ok: false) | "drop"
    status: int = 500
    error: str = ""
    retry_after: int = 1  # for a 429


@dataclass
class _Reply:
    status: int
    body: Params
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


# --- Block Kit validation -------------------------------------------------------------------


def _too_long(value: Any, limit: int, pointer: str) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{pointer}]"]
    return []


def _text_of(obj: Any) -> Any:
    return obj.get("text") if isinstance(obj, dict) else None


def _validate_element(element: Any, pointer: str) -> list[str]:
    if not isinstance(element, dict):
        return [f"must be an object [json-pointer:{pointer}]"]
    errors = _too_long(element.get("action_id"), 255, f"{pointer}/action_id")
    if element.get("type") == "button":
        errors += _too_long(_text_of(element.get("text")), 75, f"{pointer}/text/text")
        errors += _too_long(element.get("value"), 2000, f"{pointer}/value")
    if "options" in element:
        errors += _validate_options(element, pointer)
    return errors


def _validate_options(element: Params, pointer: str) -> list[str]:
    """Selects (100 options) and radio buttons (10): text and description 75, value 150."""
    options = element.get("options")
    limit = 10 if element.get("type") in ("radio_buttons", "checkboxes") else 100
    if not isinstance(options, list) or not options:
        return [f"must provide options [json-pointer:{pointer}/options]"]
    errors = []
    if len(options) > limit:
        errors.append(f"must be no more than {limit} items [json-pointer:{pointer}/options]")
    for i, option in enumerate(options):
        where = f"{pointer}/options/{i}"
        errors += _too_long(_text_of(option.get("text")), 75, f"{where}/text/text")
        errors += _too_long(_text_of(option.get("description")), 75, f"{where}/description/text")
        errors += _too_long(option.get("value"), 150, f"{where}/value")
    initial = element.get("initial_option")
    if initial is not None and initial not in options:
        errors.append(f"must match one of the options [json-pointer:{pointer}/initial_option]")
    return errors


def validate_view(view: Params) -> list[str]:
    """A modal's rules: a title of at most 24 characters, and its blocks (100 of them)."""
    errors = _too_long(_text_of(view.get("title")), 24, "/view/title/text")
    if not _text_of(view.get("title")):
        errors.append("missing required field: title [json-pointer:/view/title]")
    for name in ("submit", "close"):
        errors += _too_long(_text_of(view.get(name)), 24, f"/view/{name}/text")
    return errors + validate_view_blocks(view)


def validate_home(view: Params) -> list[str]:
    """A Home tab's rules: type `home`, its blocks (100 of them, each block_id once)."""
    errors = [] if view.get("type") == "home" else ["must be home [json-pointer:/view/type]"]
    blocks = view.get("blocks", [])
    seen: set[Any] = set()
    for i, block in enumerate(blocks if isinstance(blocks, list) else []):
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is not None and block_id in seen:
            errors.append(f"duplicate block_id [json-pointer:/view/blocks/{i}/block_id]")
        seen.add(block_id)
    return errors + validate_view_blocks(view)


def validate_view_blocks(view: Params) -> list[str]:
    """What every view is held to: at most 100 blocks, each valid, private_metadata of at
    most 3000 characters."""
    errors: list[str] = []
    blocks = view.get("blocks", [])
    if isinstance(blocks, list) and len(blocks) > 100:
        errors.append("no more than 100 items allowed [json-pointer:/view/blocks]")
    for i, block in enumerate(blocks if isinstance(blocks, list) else []):
        errors += _validate_block(block, f"/view/blocks/{i}")
    errors += _too_long(view.get("private_metadata"), 3000, "/view/private_metadata")
    return errors


def _validate_elements(block: Params, pointer: str, limit: int) -> list[str]:
    elements = block.get("elements", [])
    if not isinstance(elements, list):
        return [f"must be an array [json-pointer:{pointer}/elements]"]
    errors = []
    if len(elements) > limit:
        errors.append(f"must be no more than {limit} items [json-pointer:{pointer}/elements]")
    for i, element in enumerate(elements):
        errors += _validate_element(element, f"{pointer}/elements/{i}")
    return errors


def _validate_section(block: Params, pointer: str) -> list[str]:
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        return [f"must provide either text or fields [json-pointer:{pointer}]"]
    errors = _too_long(_text_of(text), 3000, f"{pointer}/text/text")
    if isinstance(fields, list):
        if len(fields) > 10:
            errors.append(f"must be no more than 10 items [json-pointer:{pointer}/fields]")
        for i, item in enumerate(fields):
            errors += _too_long(_text_of(item), 2000, f"{pointer}/fields/{i}/text")
    if "accessory" in block:
        errors += _validate_element(block["accessory"], f"{pointer}/accessory")
    return errors


def _validate_header(block: Params, pointer: str) -> list[str]:
    text = _text_of(block.get("text"))
    if not isinstance(text, str):
        return [f"missing required field: text [json-pointer:{pointer}/text]"]
    return _too_long(text, 150, f"{pointer}/text/text")


_BLOCK_VALIDATORS: dict[str, Callable[[Params, str], list[str]]] = {
    "header": _validate_header,
    "section": _validate_section,
    "actions": lambda block, pointer: _validate_elements(block, pointer, 25),
    "context": lambda block, pointer: _validate_elements(block, pointer, 10),
    "input": lambda block, pointer: _validate_element(block.get("element"), f"{pointer}/element"),
}


def _validate_block(block: Any, pointer: str) -> list[str]:
    if not isinstance(block, dict):
        return [f"must be an object [json-pointer:{pointer}]"]
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        return [f"unsupported type: {kind} [json-pointer:{pointer}/type]"]
    errors = _too_long(block.get("block_id"), 255, f"{pointer}/block_id")
    validator = _BLOCK_VALIDATORS.get(kind)
    return errors + (validator(block, pointer) if validator else [])


def validate_blocks(blocks: Any) -> list[str]:
    """Slack's `invalid_blocks` messages for `blocks`, in its json-pointer style; [] if fine."""
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    errors = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        errors += _validate_block(block, f"/blocks/{i}")
    return errors


def validate_attachments(attachments: Any) -> list[str]:
    """Errors for an attachments array: each an object; its blocks held to the block rules."""
    if not isinstance(attachments, list):
        return ["must be an array [json-pointer:/attachments]"]
    errors = []
    for i, attachment in enumerate(attachments):
        where = f"/attachments/{i}"
        if not isinstance(attachment, dict):
            errors.append(f"must be an object [json-pointer:{where}]")
            continue
        color = attachment.get("color")
        if color is not None and not (isinstance(color, str) and color):
            errors.append(f"must be a colour [json-pointer:{where}/color]")
        if "blocks" in attachment:
            errors += [
                e.replace("[json-pointer:/blocks", f"[json-pointer:{where}/blocks")
                for e in validate_blocks(attachment["blocks"])
            ]
    return errors


def _check_content(params: Params) -> None:
    """The text/blocks/metadata checks shared by every chat.* write."""
    text, blocks = params.get("text"), params.get("blocks")
    if not text and not blocks and not params.get("attachments"):
        raise SlackError("no_text")
    if isinstance(text, str) and len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    if blocks is not None:
        if isinstance(blocks, str):
            raise SlackError("invalid_blocks_format")
        errors = validate_blocks(blocks)
        if errors:
            raise SlackError("invalid_blocks", errors=errors)
    attachments = params.get("attachments")
    if attachments is not None:
        errors = validate_attachments(attachments)
        if errors:
            raise SlackError("invalid_attachments", errors=errors)
    metadata = params.get("metadata")
    if metadata is not None and not _valid_metadata(metadata):
        raise SlackError("invalid_metadata_format")


def _valid_metadata(metadata: Any) -> bool:
    return (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload", {}), dict)
    )


# --- Request parsing ------------------------------------------------------------------------


def _flag(value: Any) -> bool:
    """Slack booleans arrive as true/1 (slack_sdk sends "1"/"0" in forms)."""
    return value is True or str(value).lower() in ("1", "true")


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _ts(value: Any, default: Decimal) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return default


def _decode_json_fields(params: Params) -> Params:
    for name in JSON_FIELDS:
        value = params.get(name)
        if isinstance(value, str):
            # Undecodable stays a string: the method then reports it as badly formatted.
            with contextlib.suppress(ValueError):
                params[name] = json.loads(value)
    return params


def parse_body(content_type: str, body: bytes) -> Params:
    """Arguments from a JSON or form body, as slack_sdk sends them."""
    if not body:
        return {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            parsed = json.loads(body)
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(parsed, dict):
            raise SlackError("invalid_json")
        return parsed
    if kind in ("application/x-www-form-urlencoded", ""):
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    raise SlackError("invalid_form_data")


def _bearer(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


# --- The fake ----------------------------------------------------------------------------


class FakeSlack:
    """A Slack workspace on loopback: start it, point WebClient(base_url=fake.url) at it.

    State (messages, calls, faults, rate buckets) is guarded by one lock, so tests may poke
    it while the server thread answers concurrent requests.
    """

    def __init__(
        self, clock: Clock = time.monotonic, host: str = "127.0.0.1", *, socket_mode: bool = False
    ) -> None:
        self._clock = clock
        self._host = host
        self._socket_mode = socket_mode
        self._sockets: list[_Socket] = []  # live connections; a reset does not cut them
        self._lock = threading.Lock()
        self.rate_limits = True
        self.limits = default_rate_limits()
        self._handlers: dict[str, Callable[[Params], Params]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.open": self._conversations_open,
            "usergroups.users.list": self._usergroups_users_list,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "apps.connections.open": self._apps_connections_open,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "conversations.create": self._conversations_create,
            "conversations.invite": self._conversations_invite,
            "conversations.archive": self._conversations_archive,
            "pins.add": self._pins_add,
        }
        self._reset_state()
        self._served: LoopbackServer | None = None
        self._port: int | None = None

    def _reset_state(self) -> None:
        self._calls: list[Call] = []
        self._messages: dict[str, list[Params]] = defaultdict(list)
        self._ephemerals: list[Params] = []
        self._usergroups: dict[str, list[str]] = {}
        self._views: dict[str, Params] = {}
        self._homes: dict[str, str] = {}  # user id → view id of their Home tab
        self._home_tab = bool(APP_HOME["home_tab_enabled"])
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._buckets = TokenBuckets()
        self._ids = itertools.count(1)
        self._last_ts = 0
        self._tickets: set[str] = set()
        self._scopes: set[str] = set(BOT_SCOPES)
        self._uploads: dict[str, Params] = {}  # file id → upload not yet completed
        self._shares: list[Params] = []
        self._ims: dict[str, str] = {}  # user → the id of the bot's DM channel with them
        self._channels: dict[str, Params] = {}  # id → channel, members and pins included
        self._users: set[str] | None = None  # None: every well-formed user id exists

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The Web API base URL, with the trailing slash slack_sdk expects."""
        if self._port is None:
            raise RuntimeError("FakeSlack is not running")
        return f"http://{self._host}:{self._port}/api/"

    def start(self) -> FakeSlack:
        """Serve on a free port in a background thread; returns once it accepts requests."""
        self._served = LoopbackServer(
            self.app(),
            name="fake-slack",
            host=self._host,
            http="h11",  # _drop_connection relies on the h11 protocol's transport
            ws="wsproto" if self._socket_mode else "none",
            log_level="warning",
            timeout_graceful_shutdown=1,
        ).start()
        self._port = self._served.port
        return self

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop()
        self._served = None
        self._port = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def app(self) -> Starlette:
        """The ASGI app; `drop_response_next` needs it served by `start()` (uvicorn, h11)."""
        return Starlette(
            routes=[
                Route("/api/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/respond/{name}", self._respond, methods=["POST"]),
                Route(UPLOAD_PATH + "{file_id}", self._upload, methods=["POST"]),
                WebSocketRoute(SOCKET_PATH, self._socket),
            ]
        )

    def response_url(self, name: str = "r1") -> str:
        """A response_url for a command or action payload; what is posted to it is
        recorded as calls of the method "response_url"."""
        return f"http://{self._host}:{self._port}/respond/{name}"

    # --- test controls --------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        """Swap the rate limiter's clock; buckets restart full since old readings are moot."""
        with self._lock:
            self._clock = clock
            self._buckets.clear()

    def reset(self) -> None:
        """Back to a fresh workspace: no messages, calls, faults, usergroups; limits on."""
        with self._lock:
            self._reset_state()
            self.rate_limits = True
            self.limits = default_rate_limits()

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def set_usergroup(self, usergroup_id: str, users: list[str]) -> None:
        with self._lock:
            self._usergroups[usergroup_id] = list(users)

    def set_users(self, users: list[str]) -> None:
        """The workspace's users: others are `user_not_found` (by default every id that
        looks like a user id is one)."""
        with self._lock:
            self._users = set(users)

    def disable_home_tab(self) -> None:
        """As an app whose manifest leaves the Home tab off: views.publish of a home
        answers `not_enabled`."""
        with self._lock:
            self._home_tab = False

    def revoke_scope(self, scope: str) -> None:
        """Take `scope` from the bot token: methods that need it answer `missing_scope`."""
        with self._lock:
            self._scopes.discard(scope)

    def fail_next(
        self, method: str, times: int = 1, status: int = 500, retry_after: int = 1
    ) -> None:
        """The next `times` calls of `method` get HTTP `status` and are not applied; a 429
        says Retry-After: `retry_after`. `method` "upload_url" fails uploads of bytes."""
        self._add_faults(method, _Fault("fail", status=status, retry_after=retry_after), times)

    def fail_with(self, method: str, error: str, times: int = 1) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        self._add_faults(method, _Fault("error", error=error), times)

    def drop_response_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` are applied, then the connection is cut."""
        self._add_faults(method, _Fault("drop"), times)

    def _add_faults(self, method: str, fault: _Fault, times: int) -> None:
        with self._lock:
            self._faults[method].extend([fault] * times)

    def send_envelope(
        self, kind: str, payload: Params, *, accepts_response_payload: bool = False
    ) -> str:
        """Send an envelope (`slash_commands`, `interactive`, `events_api`) over the newest
        Socket Mode connection, as Slack does; returns its envelope_id, which the client's
        ack must carry."""
        envelope_id = str(uuid.uuid4())
        message = json.dumps(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": accepts_response_payload,
            }
        )
        with self._lock:
            if not self._sockets:
                raise RuntimeError("no Socket Mode connection is open")
            socket = self._sockets[-1]
        socket.loop.call_soon_threadsafe(socket.outbox.put_nowait, message)
        return envelope_id

    # --- inspection -----------------------------------------------------------------------

    def socket_mode_connections(self) -> int:
        """How many Socket Mode connections are open now."""
        with self._lock:
            return len(self._sockets)

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, oldest first, optionally of one method."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str) -> list[Params]:
        """Every stored message of `channel`, thread replies included, oldest first."""
        with self._lock:
            return copy.deepcopy(self._messages.get(channel, []))

    def dm_channel(self, user: str) -> str | None:
        """The DM channel conversations.open gave for `user`, if it was opened."""
        with self._lock:
            return self._ims.get(user)

    def channel(self, channel: str) -> Params | None:
        """A channel made by conversations.create (or posted to): id, name, is_private,
        is_archived, members and pins (the ts of each pinned message)."""
        with self._lock:
            found = self._channels.get(channel)
            return copy.deepcopy(found) if found is not None else None

    def channel_named(self, name: str) -> Params | None:
        with self._lock:
            found = next((c for c in self._channels.values() if c["name"] == name), None)
            return copy.deepcopy(found) if found is not None else None

    def home(self, user: str) -> Params | None:
        """The Home tab last published to `user`, as Slack stores it; None if none was."""
        with self._lock:
            view_id = self._homes.get(user)
            return copy.deepcopy(self._views[view_id]) if view_id else None

    def ephemerals(self) -> list[Params]:
        with self._lock:
            return copy.deepcopy(self._ephemerals)

    def files(self, channel: str | None = None) -> list[Params]:
        """Files shared by files.completeUploadExternal, oldest first, optionally those of
        one channel: file_id, filename, title, alt_txt, snippet_type, length, bytes, and
        where: channel, thread_ts, and ts, the message showing it (None when private)."""
        with self._lock:
            return [copy.deepcopy(f) for f in self._shares if channel in (None, f["channel"])]

    # --- HTTP -----------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params: Params = dict(request.query_params)
        parse_error: SlackError | None = None
        try:
            params.update(parse_body(request.headers.get("content-type", ""), await request.body()))
        except SlackError as exc:
            parse_error = exc
        token = _bearer(request.headers.get("authorization", "")) or params.pop("token", None)
        reply = self._handle(method, _decode_json_fields(params), token, parse_error)
        if reply.drop:
            await self._drop_connection(request)
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)

    async def _respond(self, request: Request) -> JSONResponse:
        """A response_url: JSON in; Block Kit held to its rules, as Slack does."""
        try:
            params = json.loads(await request.body())
        except ValueError:
            params = None
        errors = ["not a JSON object"] if not isinstance(params, dict) else []
        if isinstance(params, dict) and "blocks" in params:
            errors += validate_blocks(params["blocks"])
        body = {
            "ok": not errors,
            **({"error": "invalid_blocks", "errors": errors} if errors else {}),
        }
        status = 200 if not errors else 400
        with self._lock:
            self._calls.append(
                Call("response_url", copy.deepcopy(params or {}), self._clock(), status, body)
            )
        return JSONResponse(body, status_code=status)

    async def _upload(self, request: Request) -> PlainTextResponse:
        """An upload URL: the bytes of one pending file, exactly as many as declared.

        Recorded as a call of "upload_url"; refused with an HTTP error (as Slack's file
        service does: no JSON `ok`) when the file is not pending or the length differs."""
        file_id = request.path_params["file_id"]
        content_type = request.headers.get("content-type", "")
        data = _uploaded_bytes(content_type, await request.body())
        with self._lock:
            fault = self._faults["upload_url"].popleft() if self._faults.get("upload_url") else None
            status, text = self._receive(file_id, data) if fault is None else (fault.status, "")
            params = {"file_id": file_id, "length": len(data), "content_type": content_type}
            self._calls.append(Call("upload_url", params, self._clock(), status, {"text": text}))
        after = {"Retry-After": str(fault.retry_after)} if fault and status == 429 else None
        return PlainTextResponse(text, status_code=status, headers=after)

    def _receive(self, file_id: str, data: bytes) -> tuple[int, str]:
        upload = self._uploads.get(file_id)
        if upload is None or upload["bytes"] is not None:
            return 404, f"no pending upload {file_id}"
        if len(data) != upload["length"]:
            return 400, f"length mismatch: issued for {upload['length']}, got {len(data)}"
        upload["bytes"] = data
        return 200, f"OK - {len(data)}"

    async def _socket(self, websocket: WebSocket) -> None:
        """A Socket Mode connection: refused unless its ticket came from
        apps.connections.open (and was not used before), then `hello`, then envelopes out
        and acks in until the client goes."""
        ticket = websocket.query_params.get("ticket", "")
        with self._lock:
            known = ticket in self._tickets
            self._tickets.discard(ticket)
        if not known:
            await websocket.close(code=1008)  # before the accept: the handshake gets a 403
            return
        await websocket.accept()
        with self._lock:
            count = len(self._sockets) + 1
        await websocket.send_text(json.dumps(_hello(count)))  # before any envelope can go
        socket = _Socket(asyncio.get_running_loop(), asyncio.Queue())
        with self._lock:
            self._sockets.append(socket)
        sender = asyncio.create_task(_send_all(websocket, socket.outbox))
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text") or (message.get("bytes") or b"").decode("utf-8")
                self._record_socket_message(text)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
            with self._lock:
                self._sockets.remove(socket)

    def _record_socket_message(self, text: str) -> None:
        try:
            params = json.loads(text)
        except ValueError:
            params = {"raw": text}
        if not isinstance(params, dict):
            params = {"raw": params}
        method = "socket_mode.ack" if "envelope_id" in params else "socket_mode.message"
        with self._lock:
            self._calls.append(Call(method, params, self._clock(), 200, {}))

    async def _drop_connection(self, request: Request) -> None:
        """Abort the TCP connection before any byte of the response is written.

        uvicorn gives the app no handle on its socket, so find the connection by the peer
        address, abort it, and wait for uvicorn to notice (then it discards our response).
        """
        assert self._served is not None
        peer = (request.client.host, request.client.port) if request.client else None
        for connection in list(self._served.server.server_state.connections):
            if getattr(connection, "client", None) == peer:
                connection.transport.abort()  # type: ignore[attr-defined]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(request.receive(), timeout=1)  # -> http.disconnect

    def _handle(
        self, method: str, params: Params, token: str | None, parse_error: SlackError | None
    ) -> _Reply:
        with self._lock:
            at = self._clock()
            reply = self._dispatch(method, params, token, parse_error, at)
            self._calls.append(
                Call(method, copy.deepcopy(params), at, reply.status, reply.body, reply.drop)
            )
            return reply

    def _dispatch(
        self,
        method: str,
        params: Params,
        token: str | None,
        parse_error: SlackError | None,
        at: float,
    ) -> _Reply:
        fault: _Fault | None = None
        try:
            if parse_error is not None:
                raise parse_error
            handler = self._handlers.get(method)
            if handler is None:
                raise SlackError("unknown_method")
            _check_token(token, app_level=method in APP_TOKEN_METHODS)
            _check_scope(METHOD_SCOPES.get(method), self._scopes)
            fault = self._faults[method].popleft() if self._faults.get(method) else None
            _raise_injected(fault)
            self._check_rate_limit(method, params, at)
            body = {"ok": True, **copy.deepcopy(handler(params))}
            return _Reply(200, body, drop=_is_drop(fault))
        except SlackError as exc:
            return _Reply(exc.status, exc.body, exc.headers, drop=_is_drop(fault))

    def _check_rate_limit(self, method: str, params: Params, at: float) -> None:
        limit = self.limits.get(method)
        if not self.rate_limits or limit is None:
            return
        key: tuple[str, ...] = (method,)
        if limit.per_channel:
            key = (method, str(params.get("channel", "")))
        elif limit.per_user:
            key = (method, str(params.get("user_id", "")))
        wait = self._buckets.take(key, limit, at)
        if wait > 0:
            retry_after = str(max(1, math.ceil(wait)))
            raise SlackError("ratelimited", status=429, headers={"Retry-After": retry_after})

    # --- ids ------------------------------------------------------------------------------

    def _next_ts(self) -> str:
        """Like Slack's: the wall-clock time of the message, unique and increasing, so
        that `oldest`/`latest` in epoch seconds mean what they mean on Slack."""
        micros = max(int(time.time() * 1_000_000), self._last_ts + TS_STEP_MICROS)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _find(self, channel: str, ts: str) -> Params:
        for message in self._messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")

    # --- methods --------------------------------------------------------------------------

    def _auth_test(self, params: Params) -> Params:
        return {
            "url": WORKSPACE_URL,
            "team": "Fake Workspace",
            "user": "fake-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: Params) -> Params:
        channel = _require_channel(params)
        if channel.startswith("D") and channel not in self._ims.values():
            raise SlackError("channel_not_found")  # a DM the bot never opened
        self._check_open(channel)
        _check_content(params)
        message = self._new_message(params)
        if params.get("thread_ts"):
            self._attach_reply(channel, message, str(params["thread_ts"]), params)
        self._messages[channel].append(message)
        return {"channel": channel, "ts": message["ts"], "message": message}

    def _attach_reply(self, channel: str, reply: Params, thread_ts: str, params: Params) -> None:
        """Slack accepts a reply to an unknown parent; it just shows up in no thread view."""
        reply["thread_ts"] = thread_ts
        if _flag(params.get("reply_broadcast")):
            reply["subtype"] = "thread_broadcast"
        for parent in self._messages.get(channel, []):
            if parent["ts"] == thread_ts:
                _count_reply(parent, reply)

    def _new_message(self, params: Params) -> Params:
        message: Params = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": params.get("text") or "",
            "ts": self._next_ts(),
        }
        for name in ("blocks", "attachments", "metadata"):
            if params.get(name) is not None:
                message[name] = params[name]
        return message

    def _chat_update(self, params: Params) -> Params:
        channel = _require_channel(params)
        self._check_open(channel)
        message = self._find(channel, str(params.get("ts", "")))
        _check_content(params)
        for name in ("text", "blocks", "attachments", "metadata"):
            if params.get(name) is not None:
                message[name] = params[name]
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": message,
        }

    def _chat_post_ephemeral(self, params: Params) -> Params:
        channel = _require_channel(params)
        if not params.get("user"):
            raise SlackError("user_not_in_channel")
        _check_content(params)
        message = {**self._new_message(params), "channel": channel, "to": params["user"]}
        self._ephemerals.append(message)
        return {"message_ts": message["ts"]}

    def _chat_get_permalink(self, params: Params) -> Params:
        channel = _require_channel(params)
        message = self._find(channel, str(params.get("message_ts", "")))
        link = f"{WORKSPACE_URL}archives/{channel}/p{message['ts'].replace('.', '')}"
        if message.get("thread_ts", message["ts"]) != message["ts"]:
            link += f"?thread_ts={message['thread_ts']}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _conversations_history(self, params: Params) -> Params:
        channel = _require_channel(params)
        _check_scope(self._history_scope(channel), self._scopes)
        top_level = [m for m in self._messages.get(channel, []) if _in_history(m)]
        newest_first = list(reversed(_between(top_level, params)))
        return _page(newest_first, params)

    def _conversations_replies(self, params: Params) -> Params:
        channel = _require_channel(params)
        _check_scope(self._history_scope(channel), self._scopes)
        parent = self._find(channel, str(params.get("ts", "")))
        thread_ts = parent.get("thread_ts", parent["ts"])
        thread = [m for m in self._messages[channel] if m.get("thread_ts", m["ts"]) == thread_ts]
        return _page(_between(thread, params), params)

    def _history_scope(self, channel: str) -> str:
        """Reading a conversation needs the scope of its kind: im:history for a DM,
        groups:history for a private channel, channels:history for a public one."""
        if channel.startswith("D"):
            return "im:history"
        known = self._channels.get(channel)
        private = known["is_private"] if known else channel.startswith("G")
        return "groups:history" if private else "channels:history"

    def _conversations_open(self, params: Params) -> Params:
        """The bot's DM with one user (the same channel each time), as Slack opens it;
        several users would make a group DM, which needs mpim:write."""
        if params.get("channel"):
            if str(params["channel"]) not in self._ims.values():
                raise SlackError("channel_not_found")
            return {"channel": {"id": params["channel"]}, "no_op": True, "already_open": True}
        users = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > MAX_MPIM_USERS:
            raise SlackError("too_many_users")
        if not all(USER_ID.fullmatch(u) for u in users):
            raise SlackError("user_not_found")
        if BOT_USER_ID in users:
            raise SlackError("cannot_dm_bot")
        if len(users) > 1:
            _check_scope("mpim:write", self._scopes)
            raise SlackError("method_not_supported_for_channel_type")  # not served here
        (user,) = users
        opened = user in self._ims
        if not opened:
            self._ims[user] = f"D{next(self._ids):010d}"
        answer: Params = {"channel": {"id": self._ims[user]}}
        return {**answer, "no_op": True, "already_open": True} if opened else answer

    def _usergroups_users_list(self, params: Params) -> Params:
        users = self._usergroups.get(str(params.get("usergroup", "")))
        if users is None:
            raise SlackError("no_such_subteam")
        return {"users": list(users)}

    def _views_open(self, params: Params) -> Params:
        view = params.get("view")
        if not params.get("trigger_id") or not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        if validate_view(view):
            raise SlackError("invalid_arguments", errors=validate_view(view))
        view_id = f"V{next(self._ids):010d}"
        self._views[view_id] = self._stored_view(view_id, view)
        return {"view": self._views[view_id]}

    def _views_update(self, params: Params) -> Params:
        view, view_id = params.get("view"), self._view_id(params)
        if not isinstance(view, dict) or validate_view(view):
            raise SlackError("invalid_arguments")
        if params.get("hash") and params["hash"] != self._views[view_id]["hash"]:
            raise SlackError("hash_conflict")
        self._views[view_id] = self._stored_view(view_id, view)
        return {"view": self._views[view_id]}

    def _views_publish(self, params: Params) -> Params:
        """A person's Home tab, created or replaced: `hash`, when given, must be the one
        Slack gave with the home it replaces."""
        user, view = params.get("user_id"), params.get("view")
        if not isinstance(user, str) or not USER_ID.fullmatch(user):
            raise _invalid_arguments("invalid `user_id`")
        if not isinstance(view, dict):
            raise _invalid_arguments("invalid `view`")
        if len(json.dumps(view)) > MAX_VIEW_BYTES:
            raise SlackError("view_too_large")
        errors = validate_home(view)
        if errors:
            raise SlackError("invalid_arguments", response_metadata={"messages": errors})
        if not self._home_tab:
            raise SlackError("not_enabled")
        view_id = self._homes.get(user)
        if params.get("hash") and (
            view_id is None or params["hash"] != self._views[view_id]["hash"]
        ):
            raise SlackError("hash_conflict")
        view_id = view_id or f"V{next(self._ids):010d}"
        self._homes[user] = view_id
        self._views[view_id] = self._stored_view(view_id, view)
        return {"view": self._views[view_id]}

    def _view_id(self, params: Params) -> str:
        wanted = params.get("view_id")
        external = params.get("external_id")
        for view_id, view in self._views.items():
            if view_id == wanted or (external and view.get("external_id") == external):
                return view_id
        raise SlackError("not_found")

    def _stored_view(self, view_id: str, view: Params) -> Params:
        return {**view, "id": view_id, "team_id": TEAM_ID, "hash": f"{next(self._ids)}.fake"}

    def _apps_connections_open(self, params: Params) -> Params:
        """A one-use WebSocket URL, as Slack's; the ticket is checked when it is opened."""
        if self._port is None:
            raise SlackError("internal_error", status=500)
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        return {
            "url": f"ws://{self._host}:{self._port}{SOCKET_PATH}?ticket={ticket}&app_id={APP_ID}"
        }

    def _files_get_upload_url_external(self, params: Params) -> Params:
        """A file id and the URL to POST its `length` bytes to; nothing is shared yet."""
        filename = params.get("filename")
        if not isinstance(filename, str) or not filename:
            raise _invalid_arguments("missing required field: filename")
        length = _length(params.get("length"))
        if length == 0:
            raise SlackError("missing_argument")  # Slack's answer to a length of 0
        alt_txt = params.get("alt_txt")
        if isinstance(alt_txt, str) and len(alt_txt) > MAX_ALT_TXT:
            raise SlackError("alt_txt_too_large")
        if self._port is None:
            raise SlackError("internal_error", status=500)
        file_id = f"F{next(self._ids):010d}"
        self._uploads[file_id] = {
            "file_id": file_id,
            "filename": filename,
            "length": length,
            "alt_txt": alt_txt,
            "snippet_type": params.get("snippet_type"),
            "bytes": None,
        }
        url = f"http://{self._host}:{self._port}{UPLOAD_PATH}{file_id}"
        return {"upload_url": url, "file_id": file_id}

    def _files_complete_upload_external(self, params: Params) -> Params:
        """Share uploaded files, all or none, as one message in each channel (a reply when
        `thread_ts` names a thread's parent there); with no channel they stay private.
        Each file is completed once only."""
        entries = _file_entries(params.get("files"))
        uploads = [self._uploads.get(str(entry["id"])) for entry in entries]
        if any(u is None or u["bytes"] is None for u in uploads):
            raise SlackError("file_not_found")  # "Could not find the file from the upload ticket"
        channels = _channels(params)
        thread_ts = str(params["thread_ts"]) if params.get("thread_ts") else None
        if thread_ts and len(channels) != 1:
            raise _invalid_arguments("thread_ts needs exactly one channel")
        if thread_ts and not self._is_parent(channels[0], thread_ts):
            raise _invalid_arguments(f"thread_ts {thread_ts} is no message of {channels[0]}")
        files = []
        for entry, upload in zip(entries, uploads, strict=True):
            assert upload is not None
            del self._uploads[upload["file_id"]]
            files.append({**upload, "title": entry.get("title") or upload["filename"]})
        for channel in channels:
            ts = self._share(channel, files, thread_ts, params.get("initial_comment"))
            self._shares += [
                {**f, "channel": channel, "thread_ts": thread_ts, "ts": ts} for f in files
            ]
        if not channels:
            self._shares += [{**f, "channel": None, "thread_ts": None, "ts": None} for f in files]
        return {"files": [_file_object(f) for f in files]}

    # --- channels -------------------------------------------------------------------------

    def _check_open(self, channel: str) -> None:
        """Slack takes no message in an archived channel."""
        if self._channels.get(channel, {}).get("is_archived"):
            raise SlackError("is_archived")

    def _channel(self, params: Params) -> Params:
        """The channel `params` names: one made here, or one posted to (a public channel
        the bot is in); anything else is `channel_not_found`."""
        channel = _require_channel(params)
        if channel not in self._channels and self._messages.get(channel):
            self._channels[channel] = _channel_record(channel, channel, private=False)
        if channel not in self._channels:
            raise SlackError("channel_not_found")
        return self._channels[channel]

    def _conversations_create(self, params: Params) -> Params:
        private = _flag(params.get("is_private"))
        _check_scope(PRIVATE_MANAGE if private else PUBLIC_MANAGE, self._scopes)
        name = _channel_name(params.get("name"))
        if any(c["name"] == name for c in self._channels.values()):  # archived ones too
            raise SlackError("name_taken")
        channel = _channel_record(f"C{next(self._ids):010d}", name, private=private)
        self._channels[channel["id"]] = channel
        return {"channel": _channel_object(channel)}

    def _conversations_invite(self, params: Params) -> Params:
        """All or nothing: one user Slack cannot invite fails the call, naming each."""
        channel = self._manageable(params)
        users = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        if not users:
            raise SlackError("no_user")
        errors = [
            {"user": user, "ok": False, "error": error}
            for user in users
            if (error := self._cannot_invite(channel, user))
        ]
        if errors:
            raise SlackError(errors[0]["error"], errors=errors)
        channel["members"] += list(dict.fromkeys(users))
        return {"channel": _channel_object(channel)}

    def _cannot_invite(self, channel: Params, user: str) -> str:
        if user == BOT_USER_ID:
            return "cant_invite_self"
        known = USER_ID.fullmatch(user) if self._users is None else user in self._users
        if not known:
            return "user_not_found"
        return "already_in_channel" if user in channel["members"] else ""

    def _conversations_archive(self, params: Params) -> Params:
        channel = self._manageable(params, archived_ok=True)
        if channel["is_archived"]:
            raise SlackError("already_archived")
        channel["is_archived"] = True
        return {}

    def _manageable(self, params: Params, *, archived_ok: bool = False) -> Params:
        """The channel to invite to or archive: its kind's scope held, not archived."""
        channel = self._channel(params)
        _check_scope(PRIVATE_MANAGE if channel["is_private"] else PUBLIC_MANAGE, self._scopes)
        if channel["is_archived"] and not archived_ok:
            raise SlackError("is_archived")
        return channel

    def _pins_add(self, params: Params) -> Params:
        channel = self._channel(params)
        ts = str(params.get("timestamp") or "")
        if not ts or not any(m["ts"] == ts for m in self._messages.get(channel["id"], [])):
            raise SlackError("message_not_found")
        if ts in channel["pins"]:
            raise SlackError("already_pinned")
        channel["pins"].append(ts)
        return {}

    def _is_parent(self, channel: str, ts: str) -> bool:
        """Slack threads a file under a parent only: "never use a reply's ts"."""
        return any(
            m["ts"] == ts and m.get("thread_ts", ts) == ts for m in self._messages.get(channel, [])
        )

    def _share(self, channel: str, files: list[Params], thread_ts: str | None, comment: Any) -> str:
        """The message that shows `files` in `channel`; returns its ts."""
        message = self._new_message({"text": comment or ""})
        message["files"] = [_file_object(f) for f in files]
        message["upload"] = True
        if thread_ts:
            self._attach_reply(channel, message, thread_ts, {})
        self._messages[channel].append(message)
        return str(message["ts"])


def _channel_name(value: Any) -> str:
    """A name conversations.create accepts, or Slack's error for it."""
    name = str(value or "")
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > MAX_CHANNEL_NAME:
        raise SlackError("invalid_name_maxlength")
    if not CHANNEL_NAME.fullmatch(name):
        raise SlackError("invalid_name_specials")
    if not name.strip("-_"):
        raise SlackError("invalid_name_punctuation")
    return name


def _channel_record(channel: str, name: str, *, private: bool) -> Params:
    return {
        "id": channel,
        "name": name,
        "is_private": private,
        "is_archived": False,
        "members": [BOT_USER_ID],  # its creator
        "pins": [],
    }


def _channel_object(channel: Params) -> Params:
    """The channel as Slack's conversations.* answers show it."""
    return {
        "id": channel["id"],
        "name": channel["name"],
        "is_channel": True,
        "is_private": channel["is_private"],
        "is_archived": channel["is_archived"],
        "is_member": True,
        "creator": BOT_USER_ID,
    }


def _check_scope(needed: str | None, granted: set[str]) -> None:
    if needed is not None and needed not in granted:
        raise SlackError("missing_scope", needed=needed, provided=",".join(sorted(granted)))


def _check_token(token: str | None, *, app_level: bool = False) -> None:
    """Bot and user tokens for the Web API methods; an app-level token (xapp-) for those
    that take only that, which answer a bot token with `not_allowed_token_type`."""
    if not token:
        raise SlackError("not_authed")
    if app_level:
        if not token.startswith("xapp-"):
            raise SlackError(
                "not_allowed_token_type" if token.startswith("xox") else "invalid_auth"
            )
        return
    if not token.startswith(("xoxb-", "xoxp-")):
        raise SlackError("invalid_auth")


def _hello(connections: int) -> Params:
    """Slack's first message on a new socket."""
    return {
        "type": "hello",
        "num_connections": connections,
        "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
        "connection_info": {"app_id": APP_ID},
    }


async def _send_all(websocket: WebSocket, outbox: asyncio.Queue[str]) -> None:
    """Send what the tests queue, in order, until cancelled or the socket goes."""
    while True:
        await websocket.send_text(await outbox.get())


def _raise_injected(fault: _Fault | None) -> None:
    if fault is None or fault.kind == "drop":
        return
    if fault.kind == "fail" and fault.status == 429:
        raise SlackError("ratelimited", status=429, headers={"Retry-After": str(fault.retry_after)})
    if fault.kind == "fail":
        raise SlackError("internal_error", status=fault.status)
    raise SlackError(fault.error)


def _invalid_arguments(why: str) -> SlackError:
    return SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {why}"]})


def _length(value: Any) -> int:
    """files.getUploadURLExternal's `length`: a whole number of bytes, not negative."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _invalid_arguments("missing required field: length")
    if isinstance(value, str) and not value.isdigit():
        raise _invalid_arguments("length must be an integer")
    if int(value) < 0:
        raise _invalid_arguments("length must not be negative")
    return int(value)


def _file_entries(files: Any) -> list[Params]:
    """files.completeUploadExternal's `files`: a non-empty array of objects with an id."""
    if not isinstance(files, list) or not files:
        raise _invalid_arguments("missing required field: files")
    if not all(isinstance(f, dict) and isinstance(f.get("id"), str) for f in files):
        raise _invalid_arguments("each file needs an id")
    return files


def _channels(params: Params) -> list[str]:
    """Where files.completeUploadExternal shares: `channel_id`, or `channels` (a list)."""
    if params.get("channel_id"):
        return [str(params["channel_id"])]
    return [c.strip() for c in str(params.get("channels") or "").split(",") if c.strip()]


def _file_object(share: Params) -> Params:
    """The file as Slack returns it, trimmed to what a reader of a message sees."""
    return {
        "id": share["file_id"],
        "name": share["filename"],
        "title": share["title"],
        "size": share["length"],
        "alt_txt": share["alt_txt"],
        "user": BOT_USER_ID,
    }


def _uploaded_bytes(content_type: str, body: bytes) -> bytes:
    """The file in an upload's body: the body itself, or a multipart form's `file` (or
    `filename`) field, the two ways Slack's file service accepts."""
    if not content_type.lower().startswith("multipart/form-data"):
        return body
    header = f"Content-Type: {content_type}\r\n\r\n".encode()
    form = email.message_from_bytes(header + body, policy=email.policy.HTTP)
    for part in form.iter_parts():  # type: ignore[attr-defined]
        if part.get_param("name", header="content-disposition") in ("file", "filename"):
            return part.get_payload(decode=True) or b""
    return b""


def _is_drop(fault: _Fault | None) -> bool:
    return fault is not None and fault.kind == "drop"


def _require_channel(params: Params) -> str:
    channel = params.get("channel")
    if not channel:
        raise SlackError("channel_not_found")
    return str(channel)


def _count_reply(parent: Params, reply: Params) -> None:
    parent["thread_ts"] = parent["ts"]
    parent["reply_count"] = parent.get("reply_count", 0) + 1
    parent["latest_reply"] = reply["ts"]


def _in_history(message: Params) -> bool:
    """Like Slack, history shows thread parents but replies only when broadcast."""
    thread_ts = message.get("thread_ts", message["ts"])
    return thread_ts == message["ts"] or message.get("subtype") == "thread_broadcast"


def _between(messages: list[Params], params: Params) -> list[Params]:
    """Messages inside (oldest, latest), bounds included when `inclusive` is set."""
    oldest = _ts(params.get("oldest"), Decimal(0))
    latest = _ts(params.get("latest"), Decimal("Infinity"))
    inclusive = _flag(params.get("inclusive"))

    def keep(message: Params) -> bool:
        ts = Decimal(message["ts"])
        if inclusive:
            return oldest <= ts <= latest
        return oldest < ts < latest

    return [m for m in messages if keep(m)]


def _page(messages: list[Params], params: Params) -> Params:
    """One page of `messages`; the cursor is the offset, opaque enough for a client."""
    limit = min(max(_int(params.get("limit"), HISTORY_DEFAULT_LIMIT), 1), HISTORY_MAX_LIMIT)
    start = _int(params.get("cursor"), 0)
    page = messages[start : start + limit]
    if not _flag(params.get("include_all_metadata")):
        page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
    has_more = start + limit < len(messages)
    return {
        "messages": page,
        "has_more": has_more,
        "pin_count": 0,
        "response_metadata": {"next_cursor": str(start + limit) if has_more else ""},
    }


def message_blocks(message: Params) -> list[Any]:
    """Every block a message (or a chat.* call's params) shows: its own, then its
    attachments' in order, as a reader sees them."""
    blocks = list(message.get("blocks") or [])
    for attachment in message.get("attachments") or []:
        blocks += attachment.get("blocks") or []
    return blocks
