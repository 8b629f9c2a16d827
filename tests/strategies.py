"""Robustness of the interpreters: junk JSON, the untrusted details every family must
survive (AWS, agents and anyone who can call PutEvents write them), what a signal made
from junk must still be, and where an event a family does not know ends up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

from bot.models import Event, Signal
from bot.sources import interpret
from bot.sources.base import TITLE_LIMIT, Context

# No brackets in generated text, so that a field starting with one can only be a JSON dump.
TEXT = st.text(st.characters(blacklist_characters="{["), max_size=30)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT


def _names(keys: Sequence[str], other_keys: bool) -> st.SearchStrategy[str]:
    if not keys:
        return TEXT
    named = st.sampled_from(list(keys))
    return named | TEXT if other_keys else named


def junk(keys: Sequence[str] = (), *, other_keys: bool = False) -> st.SearchStrategy[Any]:
    """Any JSON value. Its objects are keyed by `keys` (the names an interpreter reads, so
    that junk lands where it looks), and by any text too with `other_keys` or no `keys`."""
    names = _names(keys, other_keys)
    return st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner),
        max_leaves=12,
    )


def junk_object(
    keys: Sequence[str], *, other_keys: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """A detail: an object of junk under the keys an interpreter reads."""
    return st.dictionaries(_names(keys, other_keys), junk(keys, other_keys=other_keys), max_size=8)


def junk_like(template: Any) -> st.SearchStrategy[Any]:
    """Values shaped like `template` at random depths: each key may be missing, and each
    value may be junk of any JSON type instead of what AWS documents."""
    if isinstance(template, dict):
        shaped = st.fixed_dictionaries({}, optional={k: junk_like(v) for k, v in template.items()})
        return shaped | junk()
    if isinstance(template, list) and template:
        return st.lists(junk_like(template[0]), max_size=3) | junk()
    return st.just(template) | junk()


def assert_readable(signal: Signal, fingerprint_prefix: str) -> None:
    """What any junk must still give: a signal of the family that its fingerprint names, a
    title on one line within the title limit, and fields that are never JSON dumps."""
    assert signal.family == fingerprint_prefix.split(":", 1)[0]
    assert signal.title and "\n" not in signal.title and len(signal.title) <= TITLE_LIMIT
    assert signal.fingerprint.startswith(fingerprint_prefix)
    assert all(not field.value.startswith(("{", "[")) for field in signal.fields)


def assert_left_to_generic(
    family_interpret: Callable[[Event, Context], list[Signal]], event: Event
) -> Signal:
    """The family gives nothing for the event, so dispatch tells it with the generic view."""
    assert family_interpret(event, Context()) == []
    [signal] = interpret(event)
    assert signal.family == "generic"
    return signal
