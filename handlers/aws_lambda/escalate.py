"""The escalate Lambda, on a schedule: reminders of CRITICAL and HIGH alerts nobody has
acknowledged after ESCALATE_AFTER, and again after twice that."""

from __future__ import annotations

from typing import Any

from bot.escalation import escalate
from handlers.aws_lambda.wiring import services, setup_logging

setup_logging()


def handler(event: Any = None, context: Any = None) -> dict[str, int]:
    svc = services()
    return {"reminded": escalate(svc.delivery, svc.settings.escalate_after)}
