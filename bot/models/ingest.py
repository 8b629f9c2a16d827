"""What the ingest use case answers."""

from __future__ import annotations

from pydantic import Field

from bot.models.base import Model


class Rejection(Model):
    index: int
    error: str


class IngestResult(Model):
    """The answer of the ingest use case, shared by POST /ingest, the CLI and the Lambda."""

    stored: int = 0
    duplicates: int = 0
    ids: list[str] = Field(default_factory=list)
    rejected: list[Rejection] = Field(default_factory=list)
