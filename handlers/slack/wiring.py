"""What every listener module uses: the parts of the core a listener is given, and the
way its `register` hands it to Bolt."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack

from bot.services import Services
from handlers.slack.authorization import Responders

# A request's body, or the action, view or command in it, as Bolt hands it over.
Payload = dict[str, Any]


@dataclass(frozen=True)
class Core:
    """What a listener is given at registration: the services, and who may act. One
    instance serves the whole app, so the usergroups' cache is shared."""

    services: Services
    responders: Responders


def ack_only(ack: Ack) -> None:
    """The ack of a listener whose work is lazy: it carries nothing, so Slack hears back
    at once however long the work takes."""
    ack()


def bound(listener: Callable[..., None], core: Core) -> Callable[..., None]:
    """`listener` with its keyword-only `core` given. Bolt fills the other arguments by
    the names it reads from `__wrapped__`, and on Lambda finds a lazy listener again by
    its `__name__`, so the wrapper keeps both."""
    return functools.update_wrapper(functools.partial(listener, core=core), listener)
