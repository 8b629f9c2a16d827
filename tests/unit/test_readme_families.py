"""The family table of docs/alerts.md is the code's: one row per family the registry knows (the
bot's own `agent` events aside), none for a family that does not exist, and each family
with its own template."""

from __future__ import annotations

import re
from pathlib import Path

from blocks.templates import BUNDLED_DIR
from bot.sources import interpreter
from bot.sources.registry import ALIASES, FAMILIES

ALERTS_DOC = Path(__file__).parents[2] / "docs" / "alerts.md"


def table_families() -> list[str]:
    text = ALERTS_DOC.read_text(encoding="utf-8")
    start = text.index("| family | what | firing | resolved | info |")
    rows = text[start:].split("\n\n", 1)[0].splitlines()[2:]
    return [re.split(r"\s*\|\s*", row.strip())[1] for row in rows]


def test_every_family_has_one_row_and_every_row_is_a_family() -> None:
    rows = table_families()
    assert len(rows) == len(set(rows))
    assert set(rows) == set(FAMILIES) - {"agent"}


def test_every_family_is_interpreted_templated_and_named_by_an_alias() -> None:
    templates = {path.stem for path in BUNDLED_DIR.glob("*.jinja")}
    for family in FAMILIES:
        assert callable(interpreter(family)), family
        assert family in templates, family
        assert family == "generic" or ALIASES.get(family) == family, family
