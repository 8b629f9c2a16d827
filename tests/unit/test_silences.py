"""The silence scopes a form's answer can name."""

from __future__ import annotations

import pytest

from bot.silences import SCOPE_WORDS, scope_named


@pytest.mark.parametrize("word", list(SCOPE_WORDS))
def test_each_scope_is_named_by_its_own_word(word: str) -> None:
    assert scope_named(word) == word


@pytest.mark.parametrize("word", ["", "Alert", "account", "this alert", "resource "])
def test_any_other_word_names_no_scope(word: str) -> None:
    assert scope_named(word) is None
