"""A local fake of an AWS service that botocore speaks JSON to (awsJson 1.0 or 1.1), served
over real HTTP on loopback, so that the adapters' real botocore clients (signing,
serialisation, error parsing) run against it.

It checks the wire as AWS does before any operation runs: a POST to "/" signed with
SigV4 for this service (the region is read from the signature's scope, and recorded),
the protocol's Content-Type, an `X-Amz-Target` naming an operation of the service's
botocore model and of this fake, a JSON object with only the operation's members and all
its required ones. Anything else is answered with the error AWS would answer.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import botocore.session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.loopback_server import LoopbackServer

SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")


@dataclass(frozen=True)
class Call:
    """One request the fake accepted as well-formed (denied or not)."""

    operation: str
    region: str
    params: dict[str, Any]


class AwsError(Exception):
    """An error answer: `{"__type": code, "message": ...}` with an HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


Handler = Callable[[Call], dict[str, Any] | Response]  # a Response: an answer off-protocol


class JsonServiceFake:
    """The wire and the bookkeeping; a subclass names its service and serves operations."""

    model_name: ClassVar[str]  # botocore's name of the service: "cloudwatch", "logs"
    denied: ClassVar[tuple[str, int]]  # the code and status of a denied operation

    def __init__(self) -> None:
        model = botocore.session.get_session().get_service_model(self.model_name)
        self._model = model
        self._signing_name = model.signing_name
        self._target_prefix = model.metadata["targetPrefix"]
        self._content_type = f"application/x-amz-json-{model.metadata['jsonVersion']}"
        self._query_compatible = "awsQueryCompatible" in model.metadata
        self._lock = threading.Lock()
        self.calls: list[Call] = []
        self._denied: set[str] = set()
        self._served: LoopbackServer | None = None
        self._port: int | None = None

    # --- what a subclass provides ------------------------------------------------------

    def operations(self) -> dict[str, Handler]:
        raise NotImplementedError

    def clear(self) -> None:
        """Forget the service's state (a subclass's data)."""

    # --- what a test uses --------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError(f"the fake {self.model_name} is not running")
        return f"http://127.0.0.1:{self._port}"

    def deny(self, *operations: str) -> None:
        """Answer these operations with AccessDenied, as an IAM policy without them would."""
        with self._lock:
            self._denied.update(operations)

    def calls_of(self, operation: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.operation == operation]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._denied.clear()
            self.clear()

    def start(self) -> Self:
        """Serve on a free loopback port in a thread; returns once it accepts requests."""
        app = Starlette(routes=[Route("/{path:path}", self._answer, methods=["GET", "POST"])])
        self._served = LoopbackServer(app, name=f"fake-{self.model_name}").start()
        self._port = self._served.port
        return self

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop()
        self._served = None
        self._port = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the wire ------------------------------------------------------------------------

    async def _answer(self, request: Request) -> Response:
        body = await request.body()
        try:
            call = self._call(request, body)
            with self._lock:
                self.calls.append(call)
                if call.operation in self._denied:
                    code, status = self.denied
                    raise AwsError(
                        code,
                        f"User: arn:aws:sts::123456789012:assumed-role/bot is not authorized to "
                        f"perform: {self._signing_name}:{call.operation}",
                        status,
                    )
                answer = self.operations()[call.operation](call)
        except AwsError as err:
            return self._error(request, err)
        return answer if isinstance(answer, Response) else self._respond(200, answer)

    def _call(self, request: Request, body: bytes) -> Call:
        """The request as a Call, once its every part is as AWS wants it."""
        if request.method != "POST" or request.url.path != "/":
            raise AwsError("UnknownOperationException", "only POST / is served", 404)
        scope = SCOPE.search(request.headers.get("authorization", ""))
        if scope is None or not request.headers.get("x-amz-date"):
            raise AwsError(
                "MissingAuthenticationTokenException", "Missing Authentication Token", 403
            )
        if scope["service"] != self._signing_name:
            raise AwsError(
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: '{self._signing_name}'.",
                403,
            )
        if request.headers.get("content-type") != self._content_type:
            raise AwsError("SerializationException", f"expected {self._content_type}")
        prefix, _, operation = request.headers.get("x-amz-target", "").partition(".")
        if prefix != self._target_prefix or operation not in self.operations():
            raise AwsError("UnknownOperationException", f"not an operation: {operation!r}")
        try:
            params = json.loads(body or b"{}")
        except ValueError as err:
            raise AwsError("SerializationException", f"not JSON: {err}") from err
        if not isinstance(params, dict):
            raise AwsError("SerializationException", "the body is not a JSON object")
        shape = self._model.operation_model(operation).input_shape
        unknown = set(params) - set(shape.members)
        if unknown:
            raise AwsError("SerializationException", f"unknown members: {sorted(unknown)}")
        missing = [name for name in shape.required_members if name not in params]
        if missing:
            raise AwsError("ValidationException", f"missing required members: {missing}")
        return Call(operation, scope["region"], params)

    def _error(self, request: Request, err: AwsError) -> Response:
        """An error as the protocol carries it; a query-compatible service (CloudWatch)
        also names its query error code, which botocore then reports."""
        headers = {}
        if self._query_compatible and request.headers.get("x-amzn-query-mode") == "true":
            headers["x-amzn-query-error"] = f"{err.code};Sender"
        return self._respond(err.status, {"__type": err.code, "message": err.message}, headers)

    def _respond(
        self, status: int, answer: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Response:
        return Response(
            json.dumps(answer),
            status_code=status,
            media_type=self._content_type,
            headers={"x-amzn-RequestId": str(uuid.uuid4()), **(headers or {})},
        )
