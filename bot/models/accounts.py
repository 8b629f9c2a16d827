"""The accounts of an AWS organisation, as the bot names and tags them on messages."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, field_validator

from bot.models.base import Model

MAX_TAGS = 20  # an account's tags kept; AWS allows 50, of which routes use a few
MAX_TAG_KEY = 128  # AWS's own limits on a tag's key and value
MAX_TAG_VALUE = 256
MAX_NAME = 128
SHOWN_TAGS = ("owner", "team")  # kept first, and shown on alerts


class AccountInfo(Model):
    """One account: its id, its name and its tags (bounded, so that a thousand accounts
    stay a small cache)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=32)
    name: str = ""
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        return str(value or "")[:MAX_NAME]

    @field_validator("tags", mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> dict[str, str]:
        """At most MAX_TAGS tags, the shown ones first, then by key; keys and values cut
        to AWS's limits."""
        if not isinstance(value, dict):
            return {}
        pairs = {str(k)[:MAX_TAG_KEY]: str(v)[:MAX_TAG_VALUE] for k, v in value.items() if k}
        ordered = sorted(pairs, key=lambda k: (k.casefold() not in SHOWN_TAGS, k))
        return {k: pairs[k] for k in ordered[:MAX_TAGS]}
