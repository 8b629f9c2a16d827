"""Paging: page size, order, cursors, and the pages themselves."""

from __future__ import annotations

from typing import Generic

from pydantic import ConfigDict, Field, model_validator

from bot.models.agents import Agent
from bot.models.base import Model, T
from bot.models.events import Event
from bot.models.scales import Direction
from bot.timeutil import MAX_TIME


class PaginatedInputDTO(Model):
    """Page size, order and an opaque cursor, as the REST API takes them."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=100)
    direction: Direction = "desc"
    cursor: str | None = None


class QueryResult(Model, Generic[T]):
    """One page of results, with opaque cursors to the next and the previous page."""

    items: list[T]
    limit: int
    next: str | None = None
    previous: str | None = None


class ListEventsDTO(PaginatedInputDTO):
    """Event listing filters. Dates are epoch seconds over `published_at`, inclusive."""

    start_date: int | None = Field(default=None, ge=0, le=MAX_TIME)
    end_date: int | None = Field(default=None, ge=0, le=MAX_TIME)
    source: str | None = None
    account: str | None = None

    @model_validator(mode="after")
    def _check_range(self) -> ListEventsDTO:
        if (
            self.start_date is not None
            and self.end_date is not None
            and self.start_date > self.end_date
        ):
            raise ValueError("start_date must be before or equal to end_date")
        return self


EventQueryResult = QueryResult[Event]
AgentQueryResult = QueryResult[Agent]
