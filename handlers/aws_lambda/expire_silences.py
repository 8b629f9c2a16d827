"""The expire_silences Lambda, every minute: alerts whose silence began or ended are
redrawn, and an alert a silence held back is posted once it ends."""

from __future__ import annotations

from typing import Any

from bot.delivery import refresh_silences
from handlers.aws_lambda.wiring import services, setup_logging

setup_logging()


def handler(event: Any = None, context: Any = None) -> dict[str, int]:
    return {"changed": refresh_silences(services().delivery)}
