"""The agent registry's models and the REST API's agent bodies."""

from __future__ import annotations

import re
from datetime import datetime
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


# RFC 3339 (ISO 8601 with an offset), years 1971 to 9998: every offset keeps it within
# what epoch seconds and a date can hold.
RFC3339 = (
    r"^(197[1-9]|19[89][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
    r"-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_RFC3339 = re.compile(RFC3339)


def _epoch_seconds(value: Any) -> Any:
    """An ISO 8601 time with an offset ("2026-12-03T10:00:00Z") as epoch seconds; a
    number is left to the integer's own checks."""
    if isinstance(value, bool):
        raise ValueError("a time is epoch seconds or an ISO 8601 time, not true or false")
    if not isinstance(value, str):
        return value
    when = None
    if _RFC3339.fullmatch(value):
        try:
            when = datetime.fromisoformat(value.upper())
        except ValueError:  # month 13, hour 25
            when = None
    if when is None:
        raise ValueError(
            f"{value[:40]!r} is neither epoch seconds nor an ISO 8601 time with an offset, "
            "such as 2026-12-03T10:00:00Z (years 1971 to 9998)"
        )
    return int(when.timestamp())


EpochSeconds = Annotated[int, Field(ge=0, le=MAX_TIME, description="Epoch seconds (UTC)")]


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
                    "pattern": RFC3339,
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
    deployed_at: EpochSeconds = 0
    created_at: EpochSeconds = 0
    last_seen: EpochSeconds | None = None

    @property
    def persistence_id(self) -> str:
        return self.id


def _no_default(schema: dict[str, Any]) -> None:
    """Left out is not null: the document shows a field that may be left out, but never
    null, as its type alone, with no null default."""
    schema.pop("default", None)
    options = schema.pop("anyOf", None)
    if options is not None:
        (kept,) = [option for option in options if option.get("type") != "null"]
        schema.update(kept)


class UpdateAgentDTO(Model):
    """A partial update: only the fields that are set are written."""

    model_config = ConfigDict(extra="forbid")

    # Left out, None (defaults are not validated); given, never null.
    region: RegionName | None = Field(None, json_schema_extra=_no_default)
    status: str | None = None
    deployed_at: EpochSeconds | None = Field(None, json_schema_extra=_no_default)
    last_seen: EpochSeconds | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_stay_set(cls, data: Any) -> Any:
        """An agent always has a region and a deployment time: they may change, not vanish."""
        for name in ("region", "deployed_at"):
            if isinstance(data, dict) and name in data and data[name] is None:
                raise ValueError(f"{name} cannot be null")
        return data


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
