"""blocks/ imports only the core and Jinja2 (and the standard library): never slack_sdk,
never an adapter or a handler, so that every driving and driven side can use it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.unit.test_architecture import ROOT, imported_modules

ALLOWED = {"bot", "blocks", "jinja2"}


@pytest.mark.parametrize(
    "path", sorted((ROOT / "blocks").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_blocks_import_only_the_core_and_jinja2(path: Path) -> None:
    tops = {name.split(".")[0] for name in imported_modules(path)}
    bad = {name for name in tops if name not in ALLOWED and name not in sys.stdlib_module_names}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_blocks_rule_catches_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("import json\nfrom slack_sdk.models.blocks import Block\n")
    tops = {name.split(".")[0] for name in imported_modules(sample)}
    assert {n for n in tops if n not in ALLOWED and n not in sys.stdlib_module_names} == {
        "slack_sdk"
    }
