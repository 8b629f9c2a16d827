"""A running bot's services on in-memory stores, a FakeChat and a FakeClock, with no
optional adapter (agent tasks, log sweep, heartbeat, nudges, the accounts directory)
unless one is given."""

from __future__ import annotations

from typing import Any

from adapters.memory import MemoryAgentStore, MemoryAlertStore, MemoryEventStore
from bot.config import Settings
from bot.cursors import CursorCodec
from bot.services import Services
from handlers.bootstrap import bootstrap
from tests.fakes import FakeChat, FakeClock

OPTIONAL_ADAPTERS = (
    "agent_tasks",
    "log_sweep",
    "heartbeat",
    "nudges",
    "graphs",
    "logs",
    "log_sources",
    "alarm_tags",
    "directory",
)


def memory_services(
    settings: Settings, *, cursors: CursorCodec | None = None, **ports: Any
) -> Services:
    """`ports` override any port or adapter bootstrap takes (chat, clock, agents, pause…)."""
    built: dict[str, Any] = {
        "events": MemoryEventStore(cursors),
        "agents": MemoryAgentStore(cursors),
        "alerts": MemoryAlertStore(),
        "chat": FakeChat(),
        "clock": FakeClock(),
        **dict.fromkeys(OPTIONAL_ADAPTERS),
        "readable": lambda account: True,  # every account, as if read roles were there
    }
    return bootstrap(settings, **{**built, **ports})
