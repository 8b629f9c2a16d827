"""check_agents: an agent that went quiet or lost its ECS task raises an alert through
the normal alert path, and the alert resolves when the agent recovers.

Each agent's last verdict is kept in the store (a `State`), so a run changes nothing and
posts nothing unless a verdict changed; a change is ingested as a `monitoring.agents`
"Agent Health" event (stored, listed, routed, alerted on like any other), whose
fingerprint is the agent's own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from bot.agents import AGENTS_SOURCE
from bot.errors import StaleVersionError
from bot.models import Agent, IngestResult, PaginatedInputDTO, State
from bot.ports import AgentStore, AgentTasks, StateStore
from bot.sources.registry import AGENT_HEALTH
from bot.timeutil import duration_text

log = logging.getLogger(__name__)

HEALTH_KEY = "agent-health:"


def problem_of(
    agent: Agent, now: int, stale_after: int, tasks: dict[str, str] | None
) -> tuple[str, str]:
    """(a stable code, the words for people) of what is wrong; ("", "") when nothing is.

    The code is what is compared between runs: the words carry a duration that grows by
    itself, and must not make a still-stale agent look like news every hour."""
    seen = agent.last_seen or agent.deployed_at or agent.created_at
    if seen and now - seen > stale_after:
        return "stale", f"no events for {duration_text(now - seen)}"
    if tasks is not None:
        state = tasks.get(agent.id)
        if state is None:
            return "no-task", "no ECS task"
        if state.upper() != "RUNNING":
            return f"task:{state.lower()}", f"its ECS task is {state.lower()}"
    return "", ""


def all_agents(agents: AgentStore) -> Iterator[Agent]:
    cursor = None
    while True:
        page = agents.list(PaginatedInputDTO(limit=100, cursor=cursor, direction="asc"))
        yield from page.items
        if not page.next:
            return
        cursor = page.next


def check_agents(
    agents: AgentStore,
    states: StateStore,
    now: int,
    stale_after: int,
    ingest: Callable[[Any], IngestResult],
    tasks: AgentTasks | None = None,
) -> int:
    """Check every agent; ingest a health event for each whose verdict changed. Returns
    how many changed."""
    tasks_now = tasks.states() if tasks is not None else None
    changed = 0
    for agent in all_agents(agents):
        code, problem = problem_of(agent, now, stale_after, tasks_now)
        key = f"{HEALTH_KEY}{agent.id}"
        state = states.get_state(key) or State(key=key, data={"code": ""})
        if state.data.get("code", "") == code:
            continue
        log.warning("agent %s: %s", agent.id, problem or "healthy again")
        # The event first: if it cannot be stored, the verdict stays as it was, and the
        # next run tries again. Two checkers racing may both post it; one verdict wins.
        ingest(health_event(agent, problem, now))
        try:
            states.put_state(state.model_copy(update={"data": {"code": code, "problem": problem}}))
        except StaleVersionError:
            log.info("agent %s: another checker recorded the verdict first", agent.id)
        changed += 1
    return changed


def problem_recorded(states: StateStore, agent_id: str) -> str:
    """The last check's verdict on the agent ("" for healthy, or never checked)."""
    state = states.get_state(f"{HEALTH_KEY}{agent_id}")
    return str(state.data.get("problem", "")) if state is not None else ""


def health_event(agent: Agent, problem: str, now: int) -> dict[str, Any]:
    return {
        "id": f"agent-health-{agent.id}-{now}-{'problem' if problem else 'ok'}",
        "version": "0",
        "source": AGENTS_SOURCE,
        "detail-type": AGENT_HEALTH,
        "account": agent.id,
        "region": agent.region,
        "time": now,
        "resources": [],
        "detail": {
            "agent_id": agent.id,
            "region": agent.region,
            "problem": problem,
            "last_seen": agent.last_seen,
        },
    }
