"""CodePipeline execution details, at pipeline, stage and action level."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

PIPELINE = "CodePipeline Pipeline Execution State Change"
STAGE = "CodePipeline Stage Execution State Change"
ACTION = "CodePipeline Action Execution State Change"
SOURCE = "aws.codepipeline"
EXECUTION_ID = "12345678-1234-5678-abcd-12345678abcd"


def pipeline_arn(
    pipeline: str = "myPipeline", *, region: str = "us-east-1", account: str = "123456789012"
) -> str:
    return arn("codepipeline", pipeline, region=region, account=account)


def pipeline_execution(
    state: str = "STARTED",
    *,
    pipeline: str = "myPipeline",
    execution_id: str = EXECUTION_ID,
) -> dict[str, Any]:
    """A "CodePipeline Pipeline Execution State Change" detail."""
    return {"pipeline": pipeline, "execution-id": execution_id, "state": state, "version": 1}


def stage_execution(
    state: str = "STARTED",
    *,
    stage: str = "Build",
    pipeline: str = "myPipeline",
    execution_id: str = EXECUTION_ID,
) -> dict[str, Any]:
    """A "CodePipeline Stage Execution State Change" detail."""
    return {
        **pipeline_execution(state, pipeline=pipeline, execution_id=execution_id),
        "stage": stage,
    }


def action_execution(
    state: str = "STARTED",
    *,
    stage: str = "Deploy",
    action: str = "Deploy",
    provider: str = "CodeDeploy",
    error_code: str | None = None,
    summary: str | None = None,
    url: str | None = None,
    pipeline: str = "myPipeline",
    execution_id: str = EXECUTION_ID,
) -> dict[str, Any]:
    """A "CodePipeline Action Execution State Change" detail; execution-result when told."""
    detail: dict[str, Any] = {
        **stage_execution(state, stage=stage, pipeline=pipeline, execution_id=execution_id),
        "action": action,
        "type": {"owner": "AWS", "provider": provider, "category": "Deploy", "version": "1"},
    }
    result = {
        "error-code": error_code,
        "external-execution-summary": summary,
        "external-execution-url": url,
    }
    if any(result.values()):
        detail["execution-result"] = {k: v for k, v in result.items() if v is not None}
    return detail
