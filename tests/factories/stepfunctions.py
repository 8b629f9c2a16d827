"""Step Functions execution status change details, with epoch-millisecond dates."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change"
SOURCE = "aws.states"
START_MS = 1_700_000_000_000  # 2023-11-14T22:13:20Z


def state_machine_arn(
    machine: str = "orders-flow", *, region: str = "us-east-1", account: str = "123456789012"
) -> str:
    return arn("states", f"stateMachine:{machine}", region=region, account=account)


def execution_arn(
    machine: str = "orders-flow",
    execution: str = "run-1",
    *,
    region: str = "us-east-1",
    account: str = "123456789012",
) -> str:
    return arn("states", f"execution:{machine}:{execution}", region=region, account=account)


def execution(
    status: str = "RUNNING",
    *,
    machine: str = "orders-flow",
    execution: str = "run-1",
    region: str = "us-east-1",
    start_ms: int | None = START_MS,
    stop_ms: int | None = None,
    error: str | None = None,
    cause: str | None = None,
    input_text: str = '{"orderId": "o-1"}',
    output_text: str | None = None,
) -> dict[str, Any]:
    """A "Step Functions Execution Status Change" detail; error and cause when told."""
    detail: dict[str, Any] = {
        "executionArn": execution_arn(machine, execution, region=region),
        "stateMachineArn": state_machine_arn(machine, region=region),
        "name": execution,
        "status": status,
        "startDate": start_ms,
        "stopDate": stop_ms,
        "input": input_text,
        "inputDetails": {"included": True},
        "output": output_text,
        "outputDetails": {"included": True} if output_text is not None else None,
    }
    if error is not None:
        detail["error"] = error
    if cause is not None:
        detail["cause"] = cause
    return detail
