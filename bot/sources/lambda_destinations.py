"""Lambda invocation records: what Lambda sends a destination after an asynchronous
invocation (or an event source mapping's batch) succeeds or finally fails. The bot stores
each as "Lambda Function Invocation Result - Failure" or "- Success", whichever way it came
(an EventBridge destination, or the record itself through SNS, SQS or a function).

A failure record means Lambda gave up: the retries were exhausted or the event grew too
old, and the event is lost unless someone replays it (HIGH). A success is news on the
function's alert. Every record of one function (whatever version or alias ran) shares that
alert. The request payload is the caller's data: it is never shown.
"""

from __future__ import annotations

from typing import Any

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    arn_console_url,
    clip,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    locate,
    make_signal,
    number,
    parse_arn,
    scalar,
    words,
)

FAMILY = registry.LAMBDA

FAILURE = "Lambda Function Invocation Result - Failure"
SUCCESS = "Lambda Function Invocation Result - Success"
# requestContext.condition of a successful invocation; every other condition
# (RetriesExhausted, EventAgeExceeded, RetryAttemptsExhausted…) is a failure.
SUCCESS_CONDITIONS = frozenset({"SUCCESS"})
# An event source mapping's record names its batch's stream or queue under one of these.
_BATCH_INFO = ("KinesisBatchInfo", "DDBStreamBatchInfo", "SQSBatchInfo", "MSKBatchInfo")
_STACK_LINES = 8


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per record. Other detail-types of the source (CloudTrail API calls) are
    left to the generic view; a reduced event without detail-type is read by its shape."""
    kind = event.detail_type
    if kind == FAILURE:
        failed = True
    elif kind == SUCCESS:
        failed = False
    elif kind is None and isinstance(dig(event.detail, "requestContext"), dict):
        condition = words(dig(event.detail, "requestContext", "condition"))
        failed = not (condition & SUCCESS_CONDITIONS)
    else:
        return []
    return [_signal(event, ctx, failed)]


def _function_arn(event: Event) -> str:
    """requestContext.functionArn, else the first function ARN of the resources."""
    arn = scalar(dig(event.detail, "requestContext", "functionArn"))
    if _is_function(arn):
        return arn
    return next((a for a in event.resources if _is_function(a)), "")


def _is_function(value: Any) -> bool:
    parsed = parse_arn(value)
    return parsed is not None and parsed.service == "lambda" and parsed.kind == "function"


def function_name(arn: Any) -> str:
    """The function's name without its version or alias (function:NAME:QUALIFIER)."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.kind != "function":
        return ""
    return headline(parsed.name.split(":", 1)[0], 140)


def _qualifier(arn: Any) -> str:
    parsed = parse_arn(arn)
    if parsed is None or parsed.kind != "function" or ":" not in parsed.name:
        return ""
    return headline(parsed.name.split(":", 1)[1], 60)


def _attempts(value: Any) -> str:
    count = number(value)
    if count is None or count != count or count < 0 or count > 1_000_000 or count % 1:
        return ""
    return f"{int(count)} attempt" + ("" if count == 1 else "s")


def _batch_source(detail: Any) -> str:
    """The stream or queue of an event source mapping's failed batch."""
    for key in _BATCH_INFO:
        info = dig(detail, key)
        source = headline(dig(info, "streamArn") or dig(info, "eventSourceArn"), 300)
        if source:
            return source
    return ""


def _stack(response: Any) -> str:
    """The first lines of the error's stack trace (stackTrace, or Node's trace)."""
    trace = dig(response, "stackTrace") or dig(response, "trace")
    if isinstance(trace, str):
        lines = trace.splitlines()
    elif isinstance(trace, list):
        lines = [scalar(line) for line in trace]
    else:
        lines = []
    return clip("\n".join(line for line in lines[:_STACK_LINES] if line.strip()), 1500)


def _signal(event: Event, ctx: Context, failed: bool) -> Signal:
    detail = event.detail
    request = dig(detail, "requestContext")
    response = dig(detail, "responsePayload")
    arn = _function_arn(event)
    name = function_name(arn)
    account, region = locate(event, arn)
    condition = headline(dig(request, "condition"), 60)
    attempts = _attempts(dig(request, "approximateInvokeCount"))
    if failed:
        title = f"Lambda {name or 'unknown'} failed"
        title += f": {condition or 'invocation failed'}" + (
            f" after {attempts}" if attempts else ""
        )
    else:
        title = f"Lambda {name or 'unknown'} succeeded"
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=title,
        severity=Severity.HIGH if failed else Severity.INFO,
        state=SignalState.FIRING if failed else SignalState.INFO,
        fingerprint=fingerprint("lambda", account, region, name),
        fields=fields(
            [
                ("Function", name),
                ("Error type", headline(dig(response, "errorType"), 100)),
                ("Error message", clip(scalar(dig(response, "errorMessage")).strip(), 300)),
                ("Condition", condition),
                ("Attempts", attempts.split(" ", 1)[0]),
                ("Request ID", headline(dig(request, "requestId"), 80)),
                ("Function error", headline(dig(detail, "responseContext", "functionError"), 40)),
                (
                    "Version",
                    headline(dig(detail, "responseContext", "executedVersion"), 60)
                    or _qualifier(arn),
                ),
                ("Batch source", _batch_source(detail)),
            ]
        ),
        description=_stack(response) if failed else "",
        resource=arn,
        console_url=arn_console_url(arn) or console_url(region, "lambda/home", "/functions"),
        account=account,
        region=region,
    )
