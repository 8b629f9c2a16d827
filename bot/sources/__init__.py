"""Family interpreters: each turns an event's detail into Signals people can act on.

One module per family. `interpret` picks the family by detail-type, then source
(see registry), and never raises: an interpreter that fails on a strange detail falls
back to the generic one, with a warning in the log, so one odd event never stops a batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.models import Event, Signal
from bot.sources import (
    accessanalyzer,
    agent,
    alarm,
    autoscaling,
    backup,
    budgets,
    cloudformation,
    codebuild,
    codedeploy,
    codepipeline,
    config,
    costanomaly,
    ec2,
    ecr,
    ecs,
    generic,
    guardduty,
    health,
    inspector,
    lambda_failures,
    logs,
    macie,
    prometheus,
    rds,
    securityhub,
    stepfunctions,
)
from bot.sources.base import Context
from bot.sources.registry import family_of

log = logging.getLogger(__name__)

Interpreter = Callable[[Event, Context], list[Signal]]

INTERPRETERS: dict[str, Interpreter] = {
    module.FAMILY: module.interpret
    for module in (
        alarm,
        guardduty,
        securityhub,
        health,
        cloudformation,
        ecs,
        codepipeline,
        backup,
        logs,
        stepfunctions,
        autoscaling,
        ecr,
        inspector,
        codebuild,
        codedeploy,
        config,
        rds,
        ec2,
        budgets,
        costanomaly,
        lambda_failures,
        accessanalyzer,
        macie,
        prometheus,
        agent,
        generic,
    )
}


def interpret(event: Event, ctx: Context | None = None) -> list[Signal]:
    """The event's signals: at least one, one per finding for Security Hub."""
    ctx = ctx or Context()
    family = family_of(event.source, event.detail_type)
    try:
        signals = INTERPRETERS[family](event, ctx)
    except Exception:  # an interpreter bug must not lose the event
        log.warning(
            "interpreter %s failed on event %s; using the generic view",
            family,
            event.id,
            exc_info=True,
        )
        signals = []
    return signals or generic.interpret(event, ctx)


__all__ = ["Context", "interpret"]
