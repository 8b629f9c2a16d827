"""The daily_report Lambda, on an EventBridge schedule (cron(0 1 * * ? *)): the previous
UTC day's report, posted once. Invoked by hand with {"date": "YYYY-MM-DD", "force": true}
it reports that day, again if forced."""

from __future__ import annotations

from typing import Any

from bot.daily_report import parse_day
from handlers.aws_lambda.wiring import services, setup_logging

setup_logging()


def handler(event: Any = None, context: Any = None) -> dict[str, Any]:
    svc = services()
    payload = event if isinstance(event, dict) else {}
    day_text = payload.get("date")
    day = parse_day(str(day_text), svc.clock.now()) if day_text else None  # ValidationError
    outcome = svc.send_report(day, force=bool(payload.get("force")))
    return {"day": outcome.day, "status": outcome.status, "posted": outcome.posted}
