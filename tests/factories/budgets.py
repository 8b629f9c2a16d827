"""AWS Budgets notifications as the bot stores them ("AWS Budgets Notification"): the SNS
subject and the text AWS Budgets writes."""

from __future__ import annotations

from typing import Any

from tests.factories import arn

SOURCE = "aws.budgets"
NOTIFICATION = "AWS Budgets Notification"


def message(
    alert_type: str = "ACTUAL",
    *,
    name: str = "MyBudget",
    budgeted: str = "$100.00",
    threshold: str = "> $80.00",
    amount: str = "$85.23",
    account: str = "123456789012",
) -> str:
    """The text of a notification, laid out as AWS Budgets writes it."""
    return (
        "AWS Budget Notification November 14, 2023\n"
        f"AWS Account {account}\n\n"
        "Dear AWS Customer,\n\n"
        f"You requested that we alert you when the {alert_type} Cost associated with your "
        f"{name} budget is greater than {threshold.lstrip('> ')} for the current month. "
        f"The {alert_type} Cost associated with this budget is {amount}. You can find "
        "additional details below and by accessing the AWS Budgets dashboard [1].\n\n"
        f"Budget Name: {name}\n"
        "Budget Type: Cost\n"
        f"Budgeted Amount: {budgeted}\n"
        f"Alert Type: {alert_type}\n"
        f"Alert Threshold: {threshold}\n"
        f"{alert_type} Amount: {amount}\n\n"
        "[1] https://console.aws.amazon.com/billing/home#/budgets\n"
    )


def notification(
    alert_type: str = "ACTUAL",
    *,
    name: str = "MyBudget",
    text: str | None = None,
    region: str = "us-east-1",
    account: str = "123456789012",
    **values: str,
) -> dict[str, Any]:
    """An "AWS Budgets Notification" detail; `text` replaces the message AWS would write."""
    return {
        "subject": f"AWS Budgets: {name} has exceeded your alert threshold",
        "message": text
        if text is not None
        else message(alert_type, name=name, account=account, **values),
        "topic_arn": arn("sns", "budget-alerts", region=region, account=account),
        "attributes": {},
    }
