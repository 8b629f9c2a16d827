"""CodeBuild build state and phase change details."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

BUILD_STATE = "CodeBuild Build State Change"
BUILD_PHASE = "CodeBuild Build Phase Change"
SOURCE = "aws.codebuild"
BUILD_UUID = "8745a7a9-c340-456a-9166-edf953571b00"


def build_arn(
    project: str = "api-tests", build: str = BUILD_UUID, *, region: str = "us-east-1"
) -> str:
    return arn("codebuild", f"build/{project}:{build}", region=region)


def phase(kind: str, status: str = "SUCCEEDED", context: list[str] | None = None) -> dict[str, Any]:
    """One entry of additional-information.phases."""
    return {
        "phase-context": context or [],
        "start-time": "Nov 14, 2023 10:13:00 PM",
        "end-time": "Nov 14, 2023 10:13:20 PM",
        "duration-in-seconds": 20,
        "phase-type": kind,
        "phase-status": status,
    }


def build_state(
    status: str = "IN_PROGRESS",
    *,
    project: str = "api-tests",
    build: str = BUILD_UUID,
    region: str = "us-east-1",
    phases: list[dict[str, Any]] | None = None,
    current_phase: str = "COMPLETED",
) -> dict[str, Any]:
    """A "CodeBuild Build State Change" detail."""
    return {
        "build-status": status,
        "project-name": project,
        "build-id": build_arn(project, build, region=region),
        "additional-information": {
            "build-complete": status != "IN_PROGRESS",
            "initiator": "codepipeline/release",
            "build-start-time": "Nov 14, 2023 10:12:29 PM",
            "build-number": 42.0,
            "source-version": "3f1c2d4",
            "logs": {"group-name": f"/aws/codebuild/{project}", "stream-name": build},
            "phases": phases if phases is not None else [phase("SUBMITTED")],
        },
        "current-phase": current_phase,
        "current-phase-context": "[]",
        "version": "1",
    }


def build_phase(
    completed: str = "BUILD",
    status: str = "SUCCEEDED",
    *,
    project: str = "api-tests",
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A "CodeBuild Build Phase Change" detail."""
    return {
        "completed-phase": completed,
        "project-name": project,
        "build-id": build_arn(project, region=region),
        "completed-phase-context": "[]",
        "completed-phase-status": status,
        "completed-phase-duration-seconds": 70,
        "version": "1",
        "completed-phase-start": "Nov 14, 2023 10:13:10 PM",
        "completed-phase-end": "Nov 14, 2023 10:14:20 PM",
    }
