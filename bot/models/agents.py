"""The agent registry's models and the REST API's agent bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from bot.models.base import Model
from bot.timeutil import MAX_TIME

AccountId = Annotated[str, Field(pattern=r"^[0-9]{12}$", description="A 12-digit AWS account id")]
RegionName = Annotated[
    str,
    Field(pattern=r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$", description="An AWS region name"),
]


EPOCH_SECONDS = {
    "type": "integer",
    "minimum": 0,
    "maximum": MAX_TIME,
    "description": "Epoch seconds (UTC)",
}


def _epoch_seconds(value: Any) -> Any:
    """An ISO 8601 time ("2026-12-03T10:00:00Z"; UTC when it names no offset) as epoch
    seconds; anything else is left to the integer's own checks."""
    if not isinstance(value, str) or value.strip().isdigit():
        return value
    try:
        when = datetime.fromisoformat(value.strip().upper())  # RFC 3339 allows "t" and "z"
    except ValueError:
        raise ValueError(
            f"{value[:40]!r} is neither epoch seconds nor an ISO 8601 time "
            "such as 2026-12-03T10:00:00Z"
        ) from None
    try:
        seconds = int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
    except (OverflowError, ValueError, OSError):  # an offset past year 1 or 9999
        seconds = -1
    if not 0 <= seconds <= MAX_TIME:
        raise ValueError(f"{value[:40]!r} is outside 1970-01-01 to 9999-12-31 (UTC)")
    return seconds


# Epoch seconds, or an ISO 8601 time, stored as epoch seconds.
DeployedAt = Annotated[
    int,
    Field(ge=0, le=MAX_TIME),
    BeforeValidator(_epoch_seconds),
    WithJsonSchema(
        {
            "anyOf": [
                EPOCH_SECONDS,
                {
                    "type": "string",
                    "format": "date-time",
                    "description": "ISO 8601 (RFC 3339), e.g. 2026-12-03T10:00:00Z",
                },
            ],
            "description": "When it was deployed: epoch seconds, or an ISO 8601 time",
        }
    ),
]


class Agent(Model):
    """A monitoring agent, one per AWS account (its id is the account id)."""

    id: AccountId
    region: RegionName
    status: str | None = None
    deployed_at: int = 0
    created_at: int = 0
    last_seen: int | None = None

    @property
    def persistence_id(self) -> str:
        return self.id


class UpdateAgentDTO(Model):
    """A partial update: only the fields that are set are written."""

    model_config = ConfigDict(extra="forbid")

    region: RegionName | None = None
    status: str | None = None
    deployed_at: int | None = None
    last_seen: int | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> UpdateAgentDTO:
        """An agent always has a region and a deployment time: they may change, not vanish."""
        for name in ("region", "deployed_at"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class NewAgent(Agent):
    """An agent as POST /agents takes it: nothing but the agent's own fields."""

    model_config = ConfigDict(extra="forbid")


class DeploymentDTO(Model):
    """A deployment update: an agent (re)deployed in a region, with a status."""

    model_config = ConfigDict(extra="forbid")

    agent_id: AccountId
    region: RegionName
    status: str = Field(min_length=1, max_length=100)
    deployed_at: DeployedAt
