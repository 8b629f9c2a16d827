"""The agents' ECS tasks (AgentTasks): list_tasks and describe_tasks in AGENT_ECS_CLUSTER,
for the task family AGENT_ECS_FAMILY.

A task belongs to the agent named by its `agent_id` tag, else by its `startedBy` (a
12-digit account id either way). A running task whose container health check fails is
UNHEALTHY; an agent with several tasks takes the best of them.
"""

from __future__ import annotations

import re
from typing import Any

ACCOUNT = re.compile(r"[0-9]{12}")
_RANK = {"RUNNING": 3, "UNHEALTHY": 2}  # anything else (PENDING, STOPPED…) ranks lowest
DESCRIBE_AT_MOST = 100  # describe_tasks takes at most 100 tasks a call


class EcsAgentTasks:
    def __init__(self, client: Any, cluster: str, family: str) -> None:
        self._ecs, self._cluster, self._family = client, cluster, family

    def states(self) -> dict[str, str]:
        arns: list[str] = []
        for status in ("RUNNING", "STOPPED"):
            pages = self._ecs.get_paginator("list_tasks").paginate(
                cluster=self._cluster, family=self._family, desiredStatus=status
            )
            for page in pages:
                arns += page.get("taskArns", [])
        found: dict[str, str] = {}
        for start in range(0, len(arns), DESCRIBE_AT_MOST):
            chunk = arns[start : start + DESCRIBE_AT_MOST]
            described = self._ecs.describe_tasks(
                cluster=self._cluster, tasks=chunk, include=["TAGS"]
            )
            for task in described.get("tasks", []):
                agent = _agent_of(task)
                if agent is None:
                    continue
                state = _state_of(task)
                if _RANK.get(state, 0) >= _RANK.get(found.get(agent, ""), -1):
                    found[agent] = state
        return found


def _agent_of(task: dict[str, Any]) -> str | None:
    tags = {t.get("key"): t.get("value") for t in task.get("tags", []) if isinstance(t, dict)}
    for candidate in (tags.get("agent_id"), task.get("startedBy")):
        if isinstance(candidate, str) and ACCOUNT.fullmatch(candidate):
            return candidate
    return None


def _state_of(task: dict[str, Any]) -> str:
    status = str(task.get("lastStatus") or "UNKNOWN").upper()
    if status == "RUNNING" and str(task.get("healthStatus") or "").upper() == "UNHEALTHY":
        return "UNHEALTHY"
    return status
