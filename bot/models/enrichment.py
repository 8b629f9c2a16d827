"""What is learnt about an alert after its first post: the changes just before it, its
runbook, and when each enrichment last ran (each is bounded per alert)."""

from __future__ import annotations

from pydantic import Field

from bot.models.base import Model


class Change(Model):
    """A change in an alert's account and region shortly before it fired: a stack
    update, a pipeline execution, an ECS or CodeDeploy deployment, an agent deployment."""

    at: int  # epoch seconds of the change
    kind: str  # "stack", "pipeline", "ecs", "codedeploy", "agent"
    title: str  # what changed, e.g. "stack api-prod UPDATE_COMPLETE"
    url: str | None = None  # the console page of the change
    event_id: str = ""  # the stored event it was read from


class Enrichment(Model):
    """An alert's enrichment: what its root shows beyond the signal, and, per kind
    ("graph", "logs", "changes", "runbook"), when it last ran."""

    runbook_url: str | None = None
    changes: list[Change] = Field(default_factory=list)
    ran_at: dict[str, int] = Field(default_factory=dict)


class ErrorLine(Model):
    """Alike log lines (the same once numbers and ids are made alike): the newest of them
    as logged, how many there were, and where."""

    signature: str
    example: str
    count: int
    group: str = ""
    last_at: str = ""


class LogFindings(Model):
    """What one query of an alert's log groups found over its window."""

    groups: list[str]
    start: int
    end: int
    lines: list[ErrorLine] = Field(default_factory=list)
    read: int = 0  # matching lines read
    capped: bool = False  # more matched than were read: counts are of the newest
