"""CodePipeline pipeline, stage and action execution events: one alert per pipeline.

Every event of a pipeline, whatever its level, shares the pipeline's fingerprint, so that a
failed action, its stage and the pipeline fold into one alert. A FAILED at any level fires
it; only the pipeline's own SUCCEEDED resolves it, as a stage or action that succeeds (a
retry, say) says nothing of the rest of the run.
"""

from __future__ import annotations

from typing import Any

from bot.models import Change, Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    arn_parts,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    locate,
    make_change,
    make_signal,
)
from bot.sources.console import quote

FAMILY = registry.CODEPIPELINE

_PIPELINE = "CodePipeline Pipeline Execution State Change"
_STAGE = "CodePipeline Stage Execution State Change"
_ACTION = "CodePipeline Action Execution State Change"


def _level(state: str, pipeline_level: bool) -> tuple[Severity, SignalState]:
    """FAILED fires, the pipeline's SUCCEEDED resolves; the rest (a stage's or an action's
    SUCCEEDED, STARTED, CANCELED, SUPERSEDED…) is only news."""
    if state == "FAILED":
        return Severity.HIGH, SignalState.FIRING
    if state == "SUCCEEDED" and pipeline_level:
        return Severity.INFO, SignalState.RESOLVED
    return Severity.INFO, SignalState.INFO


def _pipeline_name(event: Event) -> str:
    """The detail's name, else the one in the pipeline ARN (arn:…:codepipeline:…:NAME)."""
    named = headline(dig(event.detail, "pipeline"), 100)
    if named:
        return named
    arn = next((a for a in event.resources if ":codepipeline:" in a), "")
    parts = arn_parts(arn)
    return headline(parts[0], 100) if parts else ""


def _what(event: Event, stage: str, action: str) -> str:
    """ "Build/Compile action", "Build stage", or "" for the pipeline itself. A reduced event
    without detail-type is placed by its shape, so that an action's SUCCEEDED never passes
    for the pipeline's."""
    kind = event.detail_type
    if kind == _ACTION or (kind is None and action):
        return f"{stage}/{action} action"
    if kind == _STAGE or (kind is None and stage):
        return f"{stage} stage"
    return ""


def _place(event: Event) -> tuple[str, str, str]:
    """(stage, action, what): where in the pipeline the event is; `what` is "" for the
    pipeline itself."""
    stage = headline(dig(event.detail, "stage"), 100)
    action = headline(dig(event.detail, "action"), 100)
    return stage, action, _what(event, stage, action)


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per event, on the pipeline's one alert. Other detail-types of the source
    (CloudTrail API calls…) are left to the generic view."""
    if event.detail_type not in (_PIPELINE, _STAGE, _ACTION, None):
        return []
    detail = event.detail
    pipeline = _pipeline_name(event) or "unknown"
    state = headline(dig(detail, "state"), 30).upper()
    stage, action, what = _place(event)
    severity, signal_state = _level(state, pipeline_level=not what)
    account, region = locate(event, *event.resources)
    title = f"Pipeline {pipeline}: {what}" if what else f"Pipeline {pipeline}"
    return [
        make_signal(
            event,
            ctx,
            family=FAMILY,
            title=f"{title} {state or 'state unknown'}",
            severity=severity,
            state=signal_state,
            fingerprint=fingerprint("codepipeline", account, region, pipeline),
            fields=fields(_fields(detail, pipeline, stage, action)),
            resource=next(iter(event.resources), pipeline),
            console_url=_link(region, pipeline),
            account=account,
            region=region,
        )
    ]


def change(event: Event) -> Change | None:
    """A pipeline's execution changing state, as a change before an alert: its stages'
    and actions' events are not (the pipeline's own tell the run)."""
    if event.detail_type not in (_PIPELINE, None) or _place(event)[2]:
        return None
    pipeline = _pipeline_name(event) or "unknown"
    state = headline(dig(event.detail, "state"), 30).upper()
    _, region = locate(event, *event.resources)
    return make_change(
        event,
        kind="pipeline",
        title=f"pipeline {pipeline} execution {state or 'state unknown'}",
        url=_link(region, pipeline),
    )


def _link(region: str | None, pipeline: str) -> str | None:
    """The pipeline's console page."""
    return console_url(region, f"codesuite/codepipeline/pipelines/{quote(pipeline, safe='')}/view")


def _fields(detail: Any, pipeline: str, stage: str, action: str) -> list[tuple[str, Any]]:
    result = dig(detail, "execution-result")
    return [
        ("Pipeline", pipeline),
        ("Execution ID", dig(detail, "execution-id")),
        ("Stage", stage),
        ("Action", action),
        ("Provider", dig(detail, "type", "provider")),
        ("Error code", dig(result, "error-code")),
        ("Summary", dig(result, "external-execution-summary")),
        ("External URL", dig(result, "external-execution-url")),
    ]
