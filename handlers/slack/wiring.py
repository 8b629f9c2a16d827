"""What every listener module uses: the parts of the core a listener is given, and the
way its `register` hands it to Bolt."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App

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


def on_action(app: App, action_id: str, listener: Callable[..., None], core: Core) -> None:
    """Wire a button whose work is `listener`, lazy: it runs after the ack (on Lambda, in
    a second invocation), so Slack hears back within 3 s however long the store and
    chat.update take (Acknowledge on a storm's summary walks the whole storm)."""
    app.action(action_id)(ack=ack_only, lazy=[bound(listener, core)])


def on_command(app: App, command: str, listener: Callable[..., None], core: Core) -> None:
    """Wire a slash command whose answer is `listener`, lazy, as `on_action` wires a
    button; it answers through the request's response_url."""
    app.command(command)(ack=ack_only, lazy=[bound(listener, core)])
