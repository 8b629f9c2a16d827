"""What the ingest use case answers."""

from __future__ import annotations

from pydantic import Field, PrivateAttr, model_validator

from bot.models.base import Model

# Rejections an answer lists; `rejected_count` counts them all. A body of many bad events
# gets a short answer, and the first ones say what is wrong with the rest as a rule.
MAX_LISTED_REJECTIONS = 100


class Rejection(Model):
    index: int
    error: str


class IngestResult(Model):
    """The answer of the ingest use case, shared by POST /ingest, the CLI and the Lambda.

    `rejected` lists the first MAX_LISTED_REJECTIONS rejections, `rejected_count` counts
    them all, and `failed_indexes` has every rejected unit's index (an SQS batch names
    each message it could not read, however many)."""

    stored: int = 0
    duplicates: int = 0
    ids: list[str] = Field(default_factory=list)
    rejected: list[Rejection] = Field(default_factory=list)
    rejected_count: int = 0
    _rejected_indexes: list[int] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _count_listed(self) -> IngestResult:
        """A result built with its rejections listed counts at least those."""
        self.rejected_count = max(self.rejected_count, len(self.rejected))
        return self

    def reject(self, index: int, error: str) -> None:
        """Count a rejected unit; list it while the list is short."""
        self.rejected_count += 1
        self._rejected_indexes.append(index)
        if len(self.rejected) < MAX_LISTED_REJECTIONS:
            self.rejected.append(Rejection(index=index, error=error))

    @property
    def failed_indexes(self) -> list[int]:
        """Every rejected unit's index, listed or not, in order, each once."""
        return sorted({*self._rejected_indexes, *(r.index for r in self.rejected)})
