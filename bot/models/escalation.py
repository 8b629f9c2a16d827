"""A step of a route's escalation ladder, as the routes file gives it and an alert keeps it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict

from bot.models.base import Model
from bot.timeutil import parse_duration

# oncall: mention who is on call in the alert's thread; dm: a direct message to each of
# them (and a line in the thread saying so); here: @here in the thread.
Notify = Literal["oncall", "dm", "here"]


class EscalationStep(Model):
    """`notify` once the alert has gone unacknowledged for `after` seconds since it opened."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    after: Annotated[int, BeforeValidator(parse_duration)]
    notify: Notify
