"""The agent registry's models and the REST API's agent bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, model_validator

from bot.models.base import Model
from bot.timeutil import MAX_TIME

AccountId = Annotated[str, Field(pattern=r"^[0-9]{12}$", description="A 12-digit AWS account id")]
RegionName = Annotated[
    str,
    Field(pattern=r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$", description="An AWS region name"),
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
    deployed_at: int = Field(ge=0, le=MAX_TIME)
