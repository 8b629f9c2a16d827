"""The bot's own events about its agents (source `monitoring.agents`):

- "Agent Deployment": an agent (re)deployed, posted as a notification (agent,
  region, status, when);
- "Agent Health": the health check's finding. With a `problem` (stale, no running task)
  it fires HIGH; without one it resolves the agent's alert. One fingerprint per agent,
  so an agent's trouble is one alert, reopened if it flaps.
"""

from __future__ import annotations

import re

from bot.models import Change, Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    dig,
    fields,
    fingerprint,
    headline,
    make_change,
    make_signal,
    scalar,
)

FAMILY = registry.AGENT
# A status that names what was deployed ("v1.2.3", "2024.05.1") rather than how it went.
_VERSION = re.compile(r"v?\d")


def interpret(event: Event, ctx: Context) -> list[Signal]:
    detail = event.detail
    agent = scalar(dig(detail, "agent_id")) or event.account
    region = scalar(dig(detail, "region")) or event.region
    name = ctx.account_name(agent) or agent
    if event.detail_type == registry.AGENT_HEALTH:
        problem = scalar(dig(detail, "problem"))
        return [
            make_signal(
                event,
                ctx,
                family=FAMILY,
                title=f"Agent {name}: {problem}" if problem else f"Agent {name} is healthy",
                severity=Severity.HIGH if problem else Severity.INFO,
                state=SignalState.FIRING if problem else SignalState.RESOLVED,
                fingerprint=fingerprint("agent", agent, "health"),
                fields=fields(
                    [
                        ("Agent", agent),
                        ("Region", region),
                        ("Problem", problem or None),
                        ("Last seen", scalar(dig(detail, "last_seen")) or None),
                    ]
                ),
                resource=agent,
                account=agent,
                region=region,
            )
        ]
    status = scalar(dig(detail, "status")) or "deployed"
    return [
        make_signal(
            event,
            ctx,
            family=FAMILY,
            title=f"Agent {name} deployment: {status}",
            severity=Severity.INFO,
            state=SignalState.INFO,
            fingerprint=fingerprint("agent", agent, "deployment"),
            fields=fields(
                [
                    ("Agent", agent),
                    ("Region", region),
                    ("Status", status),
                    ("Deployed at", scalar(dig(detail, "deployed_at")) or None),
                ]
            ),
            resource=agent,
            account=agent,
            region=region,
        )
    ]


def change(event: Event) -> Change | None:
    """An agent's deployment, as a change before an alert in its account and region: "agent
    123456789012 deployed v1.2.3" when the status names a version, else "agent
    123456789012 deployment SUCCEEDED"."""
    if event.detail_type != registry.AGENT_DEPLOYMENT:
        return None
    agent = headline(dig(event.detail, "agent_id"), 40) or event.account or "unknown"
    status = headline(dig(event.detail, "status"), 60)
    if not status:
        title = f"agent {agent} deployed"
    elif _VERSION.match(status):
        title = f"agent {agent} deployed {status}"
    else:
        title = f"agent {agent} deployment {status}"
    return make_change(event, kind="agent", title=title)
