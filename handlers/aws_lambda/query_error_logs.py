"""The query_error_logs Lambda, hourly: the last full hour's error lines of LOG_GROUPS
(or of the schedule's {"log_groups": [...]}) published to EventBridge."""

from __future__ import annotations

from typing import Any

from adapters.factory import open_log_sweep
from bot.error_logs import last_hour
from handlers.aws_lambda.wiring import services, setup_logging

setup_logging()


def handler(event: Any = None, context: Any = None) -> dict[str, Any]:
    svc = services()
    payload = event if isinstance(event, dict) else {}
    groups = payload.get("log_groups") or svc.settings.log_groups
    if isinstance(groups, str):
        groups = [g.strip() for g in groups.split(",") if g.strip()]
    sweep = svc.log_sweep or (open_log_sweep(svc.settings, always=True) if groups else None)
    if sweep is None:
        return {"groups": 0, "lines": 0, "published": 0, "failed": 0, "timed_out": 0,
                "unqueried": 0}  # fmt: skip
    start, end = last_hour(svc.clock.now())
    # Not `run`: a raise would make Lambda retry and publish the found lines again. The
    # groups left out are logged as errors by the sweep and counted here.
    result = sweep.sweep(list(groups), start, end)
    return {
        "groups": result.groups,
        "lines": result.lines,
        "published": result.published,
        "failed": len(result.failed),  # refused by EventBridge
        "timed_out": len(result.timed_out),
        "unqueried": len(result.unqueried),
    }
