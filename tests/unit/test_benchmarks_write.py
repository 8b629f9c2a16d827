"""`python -m benchmarks --write`: the sections run take the place of their old figures."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import _replaced

BEFORE = (
    "# Benchmarks\n\n- date: D\n\n## One\n\nold one\n\n## Two\n\nold two\n\n## Three\n\nthree\n"
)


def test_a_section_run_again_replaces_its_old_figures_and_no_other():
    after = _replaced(BEFORE, "## Two\n\nnew two\n")
    assert after == BEFORE.replace("old two", "new two")


def test_a_run_printing_two_sections_replaces_both():
    after = _replaced(BEFORE, "## Three\n\n3\n\n## One\n\n1\n")
    assert "## One\n\n1\n\n## Two\n\nold two\n\n## Three\n\n3\n" in after
    assert after.startswith("# Benchmarks\n\n- date: D\n\n")


def test_a_section_the_file_lacks_asks_for_a_full_run():
    with pytest.raises(SystemExit, match="no section '## Four': run them all"):
        _replaced(BEFORE, "## Four\n\nfour\n")
