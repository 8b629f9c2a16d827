"""CodeBuild build state and phase changes: one alert per project.

A build that failed, faulted, was stopped or timed out leaves a project without its
artifact, or a change untested: HIGH. The alert belongs to the project, not to the build,
as every build has a new id: the project's next build that succeeds resolves it. Builds
starting (IN_PROGRESS) and phase changes are news on the same alert.
"""

from __future__ import annotations

from typing import Any

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    StatusWords,
    arn_console_url,
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
from bot.sources.console import quote

FAMILY = registry.CODEBUILD

_BUILD_STATE = "CodeBuild Build State Change"
_BUILD_PHASE = "CodeBuild Build Phase Change"
# build-status words.
_FAILED = frozenset({"FAILED", "FAULT", "STOPPED", "TIMED_OUT"})
_SUCCEEDED = frozenset({"SUCCEEDED"})
# FAILED, FAULT, STOPPED and TIMED_OUT fire; SUCCEEDED resolves; the rest is news.
_STATUS = StatusWords(fires=_FAILED, resolves=_SUCCEEDED)
# phase-status words of the phase that ended a build.
_PHASE_FAILED = frozenset({"FAILED", "FAULT", "STOPPED", "TIMED_OUT", "CLIENT_ERROR"})


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per build or phase change (a reduced event without detail-type, by its
    shape). Other detail-types of the source are left to the generic view."""
    kind = event.detail_type
    detail = event.detail
    if kind == _BUILD_STATE or (kind is None and dig(detail, "build-status")):
        return [_build(event, ctx)]
    if kind == _BUILD_PHASE or (kind is None and dig(detail, "completed-phase")):
        return [_phase(event, ctx)]
    return []


def _build_arn(event: Event) -> str:
    build_id = scalar(dig(event.detail, "build-id"))
    if parse_arn(build_id) is not None:
        return build_id
    return next((arn for arn in event.resources if ":codebuild:" in arn and ":build/" in arn), "")


def _project(event: Event, build_arn: str) -> str:
    """The detail's project name, else the one in the build ARN (build/PROJECT:uuid)."""
    named = headline(dig(event.detail, "project-name"), 150)
    if named:
        return named
    parsed = parse_arn(build_arn)
    return headline(parsed.name.split(":")[0], 150) if parsed and parsed.kind == "build" else ""


def _link(region: str | None, build_arn: str, project: str) -> str | None:
    """The build's page (its phases and logs), else the project's; none without region."""
    parsed = parse_arn(build_arn)
    if parsed is not None and parsed.kind == "build" and parsed.region == region:
        return arn_console_url(build_arn)
    if project:
        return console_url(region, f"codesuite/codebuild/projects/{quote(project, safe='')}")
    return console_url(region, "codesuite/codebuild/projects")


def _signal(event: Event, ctx: Context, title: str, **kwargs: Any) -> Signal:
    """A signal on the alert of the event's project."""
    build_arn = _build_arn(event)
    project = _project(event, build_arn)
    account, region = locate(event, build_arn, *event.resources)
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"CodeBuild project {project or 'unknown'}: {title}",
        fingerprint=fingerprint("codebuild", account, region, project),
        resource=build_arn or project,
        console_url=_link(region, build_arn, project),
        account=account,
        region=region,
        **kwargs,
    )


def _context(value: Any) -> str:
    """A phase's context messages: a list of strings, or the text of one ("[]" is none)."""
    if isinstance(value, list):
        return "; ".join(m for m in (headline(item, 300) for item in value) if m)
    text = headline(value, 300)
    if text.startswith("[") and text.endswith("]"):  # the text of a list: "[CODE: message]"
        text = text[1:-1].strip()
    return text.lstrip(": ").strip()


def _failed_phase(info: Any) -> tuple[str, str]:
    """The phase that ended the build, and what it said, from the build's phase list."""
    phases = dig(info, "phases")
    for phase in phases if isinstance(phases, list) else []:
        if words(dig(phase, "phase-status")) & _PHASE_FAILED:
            name = headline(dig(phase, "phase-type"), 40)
            return name, _context(dig(phase, "phase-context"))
    return "", ""


def _build_number(info: Any) -> str:
    found = number(dig(info, "build-number"))
    return str(int(found)) if found is not None and abs(found) < 1e15 else ""


def _build(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    info = dig(detail, "additional-information")
    status = headline(dig(detail, "build-status"), 30).upper()
    severity, state = _STATUS.level(status)
    phase, message = _failed_phase(info) if state is SignalState.FIRING else ("", "")
    title = f"build {status or 'status unknown'}" + (f" in {phase} phase" if phase else "")
    return _signal(
        event,
        ctx,
        title,
        severity=severity,
        state=state,
        fields=fields(
            [
                ("Project", _project(event, _build_arn(event))),
                ("Build number", _build_number(info)),
                ("Status", status),
                ("Current phase", headline(dig(detail, "current-phase"), 40)),
                ("Failed phase", phase),
                ("Phase message", message),
                ("Initiator", headline(dig(info, "initiator"), 200)),
                ("Source version", headline(dig(info, "source-version"), 100)),
                ("Started", headline(dig(info, "build-start-time"), 40)),
                ("Log group", headline(dig(info, "logs", "group-name"), 300)),
            ]
        ),
    )


def _phase(event: Event, ctx: Context) -> Signal:
    """A phase that ended: news on the project's alert, whatever its status (the build's own
    state change says whether the build failed)."""
    detail = event.detail
    phase = headline(dig(detail, "completed-phase"), 40) or "phase"
    status = headline(dig(detail, "completed-phase-status"), 30).upper()
    duration = number(dig(detail, "completed-phase-duration-seconds"))
    return _signal(
        event,
        ctx,
        f"{phase} phase {status or 'ended'}",
        severity=Severity.INFO,
        state=SignalState.INFO,
        fields=fields(
            [
                ("Project", _project(event, _build_arn(event))),
                ("Phase", phase),
                ("Phase status", status),
                ("Duration", f"{duration:g} s" if duration is not None else ""),
                ("Phase message", _context(dig(detail, "completed-phase-context"))),
            ]
        ),
    )
