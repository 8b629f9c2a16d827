"""The base of every model, and the small models several others share."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Model(BaseModel):
    """Base of every model: schemas are built on first use, not at import.

    A Lambda that handles events never validates an Agent or a Silence, so it should not
    pay for building their schemas on a cold start.
    """

    model_config = ConfigDict(defer_build=True)


class CountItem(Model):
    label: str
    count: int
