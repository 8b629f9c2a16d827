"""Alarm events for the benchmarks: the corpus' single-metric state change, renamed.

CloudWatch tells each transition once, and the bot applies one transition once however
many ways it arrives, so each event built here is a transition of its own (its own state
time), as a flapping or re-firing alarm's are.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "aws"
_FIRST = datetime(2024, 1, 1, tzinfo=UTC)


@cache
def _sample() -> dict[str, Any]:
    return json.loads((CORPUS / "cloudwatch_alarm_state_change_single_metric.json").read_text())


def alarm_event(event_id: str, name: str, transition: int) -> dict[str, Any]:
    """The alarm `name` entering ALARM, its `transition`-th time."""
    event = copy.deepcopy(_sample())
    event["id"] = event_id
    event["detail"]["alarmName"] = name
    when = _FIRST + timedelta(seconds=transition)
    event["detail"]["state"]["timestamp"] = when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return event
