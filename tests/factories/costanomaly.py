"""Cost Anomaly Detection anomalies: the "Anomaly Detected" detail of EventBridge, and the
SNS JSON of an alert subscription (which names the dimension `dimensionalValue`)."""

from __future__ import annotations

from typing import Any

SOURCE = "aws.ce"
ANOMALY = "Anomaly Detected"
MONITOR_ID = "abcdef12-1234-4ea0-84cc-918a97d736ef"
ANOMALY_ID = "12345678-abcd-ef12-3456-987654321a12"
LINK = (
    "https://console.aws.amazon.com/cost-management/home#/anomaly-detection/monitors/"
    f"{MONITOR_ID}/anomalies/{ANOMALY_ID}"
)


def monitor_arn(monitor_id: str = MONITOR_ID, *, account: str = "123456789012") -> str:
    return f"arn:aws:ce::{account}:anomalymonitor/{monitor_id}"


def anomaly(
    *,
    dimension: str = "Amazon Elastic Compute Cloud - Compute",
    monitor: str = "ServiceMonitor",
    monitor_id: str = MONITOR_ID,
    anomaly_id: str = ANOMALY_ID,
    total_impact: float = 1001,
    link: str | None = LINK,
    account: str = "123456789012",
) -> dict[str, Any]:
    """An "Anomaly Detected" detail as EventBridge delivers it."""
    detail: dict[str, Any] = {
        "accountName": "prod",
        "anomalyEndDate": "2023-11-14T00:00:00Z",
        "anomalyId": anomaly_id,
        "anomalyScore": {"currentScore": 0.47, "maxScore": 0.61},
        "anomalyStartDate": "2023-11-12T00:00:00Z",
        "dimensionValue": dimension,
        "feedback": "None",
        "impact": {
            "maxImpact": 151,
            "totalActualSpend": total_impact + 300,
            "totalExpectedSpend": 300,
            "totalImpact": total_impact,
            "totalImpactPercentage": round(total_impact / 3, 2),
        },
        "rootCauses": [
            {
                "linkedAccount": account,
                "linkedAccountName": "prod",
                "region": "us-east-1",
                "service": "Amazon Elastic Compute Cloud - Compute",
                "usageType": "BoxUsage:m5.large",
                "impact": {"contribution": 601},
            }
        ],
        "accountId": account,
        "monitorArn": monitor_arn(monitor_id, account=account),
        "monitorName": monitor,
    }
    if link is not None:
        detail["anomalyDetailsLink"] = link
    return detail


def sns_anomaly(**kwargs: Any) -> dict[str, Any]:
    """The same anomaly as a subscription's SNS message: `dimensionalValue`, no monitor
    name, a subscription."""
    detail = anomaly(**kwargs)
    detail["dimensionalValue"] = detail.pop("dimensionValue")
    del detail["monitorName"]
    detail["subscriptionId"] = "2e4f6a8c-0b1d-4e3f-a5c7-9e1b3d5f7a9c"
    detail["subscriptionName"] = "daily-anomalies"
    return detail
