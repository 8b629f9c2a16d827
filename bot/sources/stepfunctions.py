"""Step Functions execution status changes: one alert per state machine.

An execution that failed, timed out or was aborted means the work the state machine does
did not get done: HIGH. The alert belongs to the state machine, not to the execution, as
every run has a new execution name: the next execution that succeeds is what tells people
the workflow is healthy again, so it resolves the alert. Executions starting (RUNNING) and
the other statuses (PENDING_REDRIVE…) are only news on the same alert.
"""

from __future__ import annotations

import json
from typing import Any

from bot.models import Event, Signal
from bot.sources import registry
from bot.sources.base import (
    Context,
    StatusWords,
    arn_console_url,
    clip,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    locate,
    make_signal,
    parse_arn,
    pick,
    scalar,
)
from bot.timeutil import duration_text, time_or_none, utc

FAMILY = registry.STEPFUNCTIONS

_EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change"
# An execution's statuses, as whole words of `status`.
_FAILED = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})
_SUCCEEDED = frozenset({"SUCCEEDED"})
# FAILED, TIMED_OUT and ABORTED fire; SUCCEEDED resolves; the rest is news.
_STATUS = StatusWords(fires=_FAILED, resolves=_SUCCEEDED)
# Causes can be whole documents: a field shows their beginning, a description more.
_TEXT_LIMIT = 400
_DESCRIPTION_LIMIT = 1500


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per execution status change (a reduced event without detail-type, when
    its detail names an execution or a state machine). Other detail-types of the source
    (CloudTrail API calls, state machine changes) are left to the generic view."""
    detail = event.detail
    kind = event.detail_type
    if kind == _EXECUTION_STATUS_CHANGE or (
        kind is None and (dig(detail, "executionArn") or dig(detail, "stateMachineArn"))
    ):
        return [_execution(event, ctx)]
    return []


def _state_machine(detail: Any, execution_arn: str, resources: list[str]) -> tuple[str, str]:
    """The state machine's name and ARN. The name comes from stateMachineArn
    (…:stateMachine:NAME, or NAME:alias / NAME:version), else from the execution ARN
    (…:execution:NAME:run, …:express:NAME:run:id), so that a version or an alias of one
    state machine is the same alert."""
    machine_arn = scalar(dig(detail, "stateMachineArn"))
    parsed = parse_arn(machine_arn)
    if parsed is not None and parsed.kind == "stateMachine" and parsed.name:
        return headline(parsed.name.split(":")[0], 100), machine_arn
    for arn in (execution_arn, *resources):
        parsed = parse_arn(arn)
        if parsed is not None and parsed.kind in ("execution", "express") and parsed.name:
            return headline(parsed.name.split(":")[0], 100), machine_arn
    return "", machine_arn


def _shown_time(seconds: int | None) -> str:
    return utc(seconds).strftime("%Y-%m-%d %H:%M:%S UTC") if seconds is not None else ""


def _duration(started: int | None, stopped: int | None) -> str:
    """How long the execution ran, when both ends are known and in order."""
    if started is None or stopped is None or stopped < started:
        return ""
    elapsed = stopped - started
    return f"{elapsed} s" if elapsed < 60 else duration_text(elapsed)


def _cause(value: Any) -> tuple[str, str]:
    """The cause as a field and as a description. A cause is often a JSON document (a
    Lambda function's error: errorMessage, errorType, stackTrace): its message is the
    field, and the document, never shown raw in a field, is the description."""
    text = scalar(value).strip()
    if text[:1] not in ("{", "["):
        return clip(text, _TEXT_LIMIT), ""
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        parsed = None
    message = pick(parsed, "errorMessage", "message", "Message", "cause", "Cause")
    return headline(message, _TEXT_LIMIT), clip(text, _DESCRIPTION_LIMIT)


def _execution(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    execution_arn = scalar(dig(detail, "executionArn")) or next(
        (arn for arn in event.resources if ":execution:" in arn), ""
    )
    machine, machine_arn = _state_machine(detail, execution_arn, event.resources)
    status = headline(dig(detail, "status"), 30).upper()
    severity, state = _STATUS.level(status)
    account, region = locate(event, execution_arn, machine_arn, *event.resources)
    started = time_or_none(dig(detail, "startDate"))
    stopped = time_or_none(dig(detail, "stopDate"))
    cause, description = _cause(dig(detail, "cause"))
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"State machine {machine or 'unknown'}: execution {status or 'status unknown'}",
        severity=severity,
        state=state,
        fingerprint=fingerprint("stepfunctions", account, region, machine),
        fields=fields(
            [
                ("State machine", machine),
                ("Execution", headline(dig(detail, "name"), 100)),
                ("Status", status),
                ("Error", headline(dig(detail, "error"), 200)),
                ("Cause", cause),
                ("Started", _shown_time(started)),
                ("Stopped", _shown_time(stopped)),
                ("Duration", _duration(started, stopped)),
                ("Execution ARN", execution_arn),
            ]
        ),
        description=description,
        resource=machine_arn or execution_arn,
        # The execution's page shows the failed step; without it, the state machine's.
        console_url=_link(region, execution_arn, machine_arn),
        account=account,
        region=region,
    )


def _link(region: str | None, execution_arn: str, machine_arn: str) -> str | None:
    """The execution's page (it shows the step that failed), else the state machine's, else
    the list of state machines: in the region the alert is in, none when that is unknown.
    Express executions have no page of their own."""
    for arn, kinds in ((execution_arn, ("execution",)), (machine_arn, ("stateMachine",))):
        parsed = parse_arn(arn)
        if parsed is not None and parsed.kind in kinds and parsed.region == region:
            return arn_console_url(arn)
    return console_url(region, "states/home", "/statemachines")
