"""The check_agents Lambda, on a schedule: stale agents, and agents without a running
ECS task, open alerts; recovered ones resolve them."""

from __future__ import annotations

from typing import Any

from handlers.aws_lambda.wiring import services, setup_logging

setup_logging()


def handler(event: Any = None, context: Any = None) -> dict[str, int]:
    return {"changed": services().check_agents()}
