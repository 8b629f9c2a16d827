"""Lambda invocation records (destination records), as the detail of "Lambda Function
Invocation Result - Failure" / "- Success" events."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

SOURCE = "lambda"
FAILURE = "Lambda Function Invocation Result - Failure"
SUCCESS = "Lambda Function Invocation Result - Success"
REQUEST_ID = "e4b46cbf-b738-xmpl-8880-a18cdf61200e"


def function_arn(
    name: str = "my-function",
    qualifier: str | None = "$LATEST",
    *,
    region: str = "us-east-1",
    account: str = "123456789012",
) -> str:
    resource = f"function:{name}" + (f":{qualifier}" if qualifier else "")
    return arn("lambda", resource, region=region, account=account)


def record(
    condition: str = "RetriesExhausted",
    *,
    function: str = "my-function",
    qualifier: str | None = "$LATEST",
    attempts: int | None = 3,
    error_type: str | None = "Error",
    error_message: str | None = "Something went wrong",
    stack: list[str] | None = None,
    region: str = "us-east-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """An invocation record; a Success one carries the function's result instead of an
    error."""
    context: dict[str, Any] = {
        "requestId": REQUEST_ID,
        "functionArn": function_arn(function, qualifier, region=region, account=account),
        "condition": condition,
    }
    if attempts is not None:
        context["approximateInvokeCount"] = attempts
    succeeded = condition == "Success"
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    payload: Any = {"ok": True}
    if not succeeded:
        response["functionError"] = "Unhandled"
        payload = {"errorMessage": error_message, "errorType": error_type}
        if stack is not None:
            payload["stackTrace"] = stack
        payload = {k: v for k, v in payload.items() if v is not None}
    return {
        "version": "1.0",
        "timestamp": "2023-11-14T22:13:20.000Z",
        "requestContext": context,
        "requestPayload": {"orderId": "secret-order-42", "card": "4111111111111111"},
        "responseContext": response,
        "responsePayload": payload,
    }
