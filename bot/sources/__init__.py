"""Family interpreters: each turns an event's detail into Signals people can act on.

One module per family. `interpret` picks the family by detail-type, then source
(see registry), and never raises: an interpreter that fails on a strange detail falls
back to the generic one, with a warning in the log, so one odd event never stops a batch.

The families of CHANGE_FAMILIES also say which of their events are changes (a stack
update, a deployment): their module's `change`, read through `change` here.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import cache

from bot.models import Change, Event, Signal
from bot.sources import registry
from bot.sources.base import Context
from bot.sources.registry import family_of

log = logging.getLogger(__name__)

Interpreter = Callable[[Event, Context], list[Signal]]
ChangeReader = Callable[[Event], Change | None]

# family → the module that interprets it (a family's own name, but for `lambda`, a
# Python keyword). Modules are imported on first use: a Lambda that reads alarms never
# pays, on its cold start, for the other twenty-five families, nor for the generic view
# that it falls back on.
MODULES: dict[str, str] = {family: family for family in registry.FAMILIES} | {
    registry.LAMBDA: "lambda_destinations"
}


# The families some of whose events change what runs: each module has a `change`.
CHANGE_FAMILIES = frozenset(
    {
        registry.CLOUDFORMATION,
        registry.CODEPIPELINE,
        registry.ECS,
        registry.CODEDEPLOY,
        registry.AGENT,
    }
)


@cache
def interpreter(family: str) -> Interpreter:
    """The interpreter of a family, imported the first time it is needed."""
    module = importlib.import_module(f"bot.sources.{MODULES[family]}")
    return module.interpret  # type: ignore[no-any-return]


def interpret(event: Event, ctx: Context | None = None) -> list[Signal]:
    """The event's signals: at least one, one per finding for Security Hub."""
    ctx = ctx or Context()
    family = family_of(event.source, event.detail_type)
    try:
        signals = interpreter(family)(event, ctx)
    except Exception:  # an interpreter bug must not lose the event
        log.warning(
            "interpreter %s failed on event %s; using the generic view",
            family,
            event.id,
            exc_info=True,
        )
        signals = []
    return signals or interpreter(registry.GENERIC)(event, ctx)


def change(event: Event) -> Change | None:
    """The change the stored event tells of (by its family, as stored), or None when it
    is none. Never raises: a reader that fails on an odd detail logs a warning and the
    event is no change, so that storing it never fails for that."""
    if event.family not in CHANGE_FAMILIES:
        return None
    module = importlib.import_module(f"bot.sources.{MODULES[event.family]}")
    reader: ChangeReader = module.change
    try:
        return reader(event)
    except Exception:
        log.warning("reading event %s as a change failed", event.id, exc_info=True)
        return None


__all__ = ["CHANGE_FAMILIES", "Context", "change", "interpret", "interpreter"]
