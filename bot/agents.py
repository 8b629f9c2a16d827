"""The agent registry's use cases: registering, deployments, and heartbeats.

A deployment updates the agent (or registers it when it is new) and is itself an event:
it is ingested as a `monitoring.agents` "Agent Deployment" event, so it is stored, listed
by /events, and posted as a notification by the normal alert path.

A CloudFormation status change of an agent's own stack (AGENT_STACK_PATTERN) is a
deployment too: it updates the agent, and is posted as the stack event it is.

A heartbeat is any event from an agent's account through a `monitoring.agent.*` source:
it moves the agent's last_seen on, at most once a minute per agent, so that a chatty
agent costs one write a minute, not one per event.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
from collections.abc import Callable
from typing import Any

from bot.errors import ConflictError, NotFoundError
from bot.models import Agent, DeploymentDTO, Event, IngestResult, Signal, UpdateAgentDTO
from bot.ports import AgentStore, Clock
from bot.sources.base import dig
from bot.sources.registry import AGENT_DEPLOYMENT

log = logging.getLogger(__name__)

AGENT_SOURCE_PREFIX = "monitoring.agent."
AGENTS_SOURCE = "monitoring.agents"  # the bot's own events about its agents
DEPLOYMENT_TYPE = AGENT_DEPLOYMENT
STACK_STATUS = "CloudFormation Stack Status Change"
HEARTBEAT_EVERY_S = 60


def register(agents: AgentStore, agent: Agent, now: int) -> Agent:
    """POST /agents: ConflictError when the account already has an agent."""
    created = agent if agent.created_at else agent.model_copy(update={"created_at": now})
    agents.create(created)
    return created


def update_deployment(
    agents: AgentStore, dto: DeploymentDTO, now: int, ingest: Callable[[Any], IngestResult]
) -> tuple[Agent, bool]:
    """Apply a deployment: (the agent, whether it was new). Then publish it as an event."""
    agent, created = record_deployment(agents, dto, now)
    ingest(deployment_event(dto))
    return agent, created


def stack_deployment(event: Event, stack: str | None, pattern: str) -> DeploymentDTO | None:
    """A stack status change of an agent's stack (its name matches AGENT_STACK_PATTERN),
    as a deployment of the agent of its account; None for any other event."""
    if event.family != "cloudformation" or event.detail_type != STACK_STATUS or not stack:
        return None
    if not fnmatch.fnmatchcase(stack, pattern):
        return None
    status = dig(event.detail, "status-details", "status")
    try:
        return DeploymentDTO(
            agent_id=event.account,
            region=event.region or "",
            status=str(status or "UNKNOWN"),
            deployed_at=event.published_at,
        )
    except ValueError:  # not a 12-digit account or a region name: not an agent's stack
        return None


def record_deployment(agents: AgentStore, dto: DeploymentDTO, now: int) -> tuple[Agent, bool]:
    """Update the agent's region, status and deployed_at, or register it if new."""
    change = UpdateAgentDTO(region=dto.region, status=dto.status, deployed_at=dto.deployed_at)
    try:
        agent, created = agents.update(dto.agent_id, change), False
    except NotFoundError:
        agent = Agent(
            id=dto.agent_id,
            region=dto.region,
            status=dto.status,
            deployed_at=dto.deployed_at,
            created_at=now,
        )
        try:
            agents.create(agent)
        except ConflictError:  # registered meanwhile by another instance: update it
            return agents.update(dto.agent_id, change), False
        created = True
    return agent, created


def deployment_event(dto: DeploymentDTO) -> dict[str, Any]:
    """The deployment as an EventBridge event; its id is derived, so a repeat is a duplicate."""
    return {
        "id": f"deployment-{dto.agent_id}-{dto.deployed_at}-{dto.status}"[:256],
        "version": "0",
        "source": AGENTS_SOURCE,
        "detail-type": DEPLOYMENT_TYPE,
        "account": dto.agent_id,
        "region": dto.region,
        "time": dto.deployed_at,
        "resources": [],
        "detail": dto.model_dump(),
    }


class Heartbeats:
    """last_seen of agents, moved on by their events at most once a minute each."""

    def __init__(self, agents: AgentStore) -> None:
        self._agents = agents
        self._written: dict[str, int] = {}  # this process's last write per agent
        self._lock = threading.Lock()

    def seen(self, event: Event) -> bool:
        """Record the event as a heartbeat of its account's agent. True if written."""
        if not event.source.startswith(AGENT_SOURCE_PREFIX):  # ours: monitoring.agents
            return False
        at = event.received_at
        with self._lock:
            if at - self._written.get(event.account, -HEARTBEAT_EVERY_S) < HEARTBEAT_EVERY_S:
                return False
            self._written[event.account] = at
        try:
            agent = self._agents.get(event.account)
        except NotFoundError:
            return False  # an account with no registered agent: nothing to mark
        if agent.last_seen is not None and at - agent.last_seen < HEARTBEAT_EVERY_S:
            return False  # another instance wrote it within the minute
        self._agents.update(event.account, UpdateAgentDTO(last_seen=at))
        return True


class AgentNews:
    """What a newly stored event says about the agents: a heartbeat of its account's
    agent, or a deployment of an agent's stack (AGENT_STACK_PATTERN). Ingest tells it of
    each new event before alerting on it."""

    def __init__(self, agents: AgentStore, clock: Clock, stack_pattern: str) -> None:
        self._agents = agents
        self._clock = clock
        self._stack_pattern = stack_pattern
        self.heartbeats = Heartbeats(agents)

    def seen(self, event: Event, signals: list[Signal]) -> None:
        """Record the event's news. The registry failing is logged, never raised: it must
        not keep the event's alerts from Slack."""
        try:
            self.heartbeats.seen(event)
            stack = next((f.value for s in signals for f in s.fields if f.label == "Stack"), None)
            deployment = stack_deployment(event, stack, self._stack_pattern)
            if deployment is not None:
                record_deployment(self._agents, deployment, int(self._clock.now()))
        except Exception:
            log.exception("could not update the agent of account %s", event.account)
