"""/agents: every agent with its health, or one agent (by account id or name) with its
recent events."""

from __future__ import annotations

import itertools
from typing import Any

from slack_bolt import App, Respond

from blocks.lists import agent_detail, agents_list, usage
from bot.agent_health import all_agents, problem_recorded
from bot.errors import NotFoundError
from bot.list_events import DEFAULT_WINDOW_S
from bot.models import ListEventsDTO
from bot.services import Services
from handlers.slack.answers import answer, now
from handlers.slack.wiring import Core, Payload, on_command

AGENTS_SHOWN = 40  # one message; an organisation with more uses the REST API
RECENT_SHOWN = 10


def agents_command(command: Payload, respond: Respond, *, core: Core) -> None:
    answer(respond, lambda: agents(core.services, (command.get("text") or "").strip()))


def agents(services: Services, asked: str) -> dict[str, Any]:
    """All agents when `asked` is empty; else the one it names."""
    at = now(services)
    names = services.context.all_account_names()
    if not asked:
        listed = list(itertools.islice(all_agents(services.agents), AGENTS_SHOWN))
        marked = [(a, problem_recorded(services.alerts, a.id)) for a in listed]
        return agents_list(marked, names, at)
    wanted = next((i for i, n in names.items() if n.casefold() == asked.casefold()), asked)
    try:
        agent = services.agents.get(wanted)
    except (NotFoundError, ValueError):
        return usage(f"No agent for {asked!r}: give an account id or its name.")
    dto = ListEventsDTO(account=agent.id, limit=100, start_date=max(at - DEFAULT_WINDOW_S, 0))
    recent = [
        e for e in services.events.list(dto, at).items if e.source.startswith("monitoring.agent")
    ][:RECENT_SHOWN]
    return agent_detail(agent, problem_recorded(services.alerts, agent.id), recent, names, at)


def register(app: App, core: Core) -> None:
    on_command(app, "/agents", agents_command, core)
