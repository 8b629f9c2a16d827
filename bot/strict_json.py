"""JSON as the bot reads it from outside: numbers are finite doubles.

Python's json module reads `NaN`, `Infinity` and `-Infinity` (which JSON does not have),
turns `1e400` into infinity, and reads integers of thousands of digits that no float
holds; each would be stored, and break whatever compares, sums or converts it later. So
every body and every JSON text inside one is read here, and such a number refused.
"""

from __future__ import annotations

import json
import math
from typing import Any

# A double's range ends a little past 1.8e308: an integer of more digits never fits one.
MAX_DOUBLE_DIGITS = 309


class NumberError(ValueError):
    """A number that is no finite double: the message names it."""


def _constant(name: str) -> Any:
    raise NumberError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NumberError(f"{text[:24]} is beyond the range of a number")
    return value


def _int(text: str) -> int:
    value = int(text)
    if len(text) >= MAX_DOUBLE_DIGITS and not finite(value):
        digits = len(text.lstrip("-"))
        raise NumberError(f"an integer of {digits} digits is beyond the range of a number")
    return value


_DECODER = json.JSONDecoder(parse_float=_float, parse_int=_int, parse_constant=_constant)


def loads(text: str) -> Any:
    """`json.loads` of a str, NumberError for a number that is no finite double."""
    return _DECODER.decode(text)


def finite(value: int | float) -> bool:
    """Whether a number is a finite double (or an integer that converts to one)."""
    try:
        return math.isfinite(value)
    except OverflowError:  # an int past a double's range
        return False


__all__ = ["MAX_DOUBLE_DIGITS", "NumberError", "finite", "loads"]
