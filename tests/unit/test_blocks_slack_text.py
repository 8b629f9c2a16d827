"""blocks.slack_text: escaping, entity-safe truncation, safe links, and `fit_message`, the
last guard every message goes through. The checkers here (limits, injection, slack_sdk's
models) are shared with the alert view's tests."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from blocks import slack_text as st_
from blocks.slack_text import (
    ELLIPSIS,
    date_token,
    escape,
    fit_message,
    link,
    mention,
    message_chars,
    mrkdwn,
    plain,
    truncate,
)

# ---------------------------------------------------------------------------------------------
# Shared checkers and strategies
# ---------------------------------------------------------------------------------------------

SLACK_LIMITS = {
    "MAX_BLOCKS": 50,
    "SECTION_TEXT": 3000,
    "HEADER_TEXT": 150,
    "BUTTON_TEXT": 75,
    "FIELD_TEXT": 2000,
    "MAX_FIELDS": 10,
    "CONTEXT_ELEMENTS": 10,
    "MESSAGE_TEXT": 12_000,
    "FALLBACK_TEXT": 3000,
    "OPTION_TEXT": 75,
    "BLOCK_ID": 255,
    "ACTION_ID": 255,
    "BUTTON_VALUE": 2000,
    "URL": 3000,
}

# Text that tries every trick: Slack's tokens, entities, formatting characters, and runs
# long enough to pass every limit.
NASTY = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<!date^1^{time}|x>",
        "<@U123ABC>",
        "<#C123>",
        "<https://evil.example|click>",
        "<http://x>",
        "&amp;",
        "&lt;",
        "&gt;",
        "&",
        "<",
        ">",
        "|",
        "*",
        "_",
        "`",
        "\n",
        " ",
        ELLIPSIS,
        "é",
        "🙂",
    ]
)
PIECES = NASTY | st.text(max_size=12)
TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(PIECES, max_size=12).map("".join),
    st.tuples(st.lists(PIECES, min_size=1, max_size=4).map("".join), st.integers(1, 900)).map(
        lambda pair: pair[0] * pair[1]
    ),
)

_DATE_TOKEN = re.compile(
    r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC>"
)
_ENTITY = re.compile(r"&(?:amp|lt|gt);")


def text_objects(obj: Any) -> Iterator[dict[str, Any]]:
    """Every text object (mrkdwn or plain_text) anywhere in a block."""
    if isinstance(obj, dict):
        if obj.get("type") in ("mrkdwn", "plain_text") and "text" in obj:
            yield obj
        for value in obj.values():
            yield from text_objects(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from text_objects(value)


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [t["text"] for b in blocks for t in text_objects(b) if t["type"] == "mrkdwn"]


def assert_safe_mrkdwn(text: str, mentions: frozenset[str] = frozenset()) -> None:
    """No token from input: the only `<…>` are our date token and mentions of these users,
    and every `&` starts one of the three entities Slack decodes."""
    rest = _DATE_TOKEN.sub("", text)
    for user in mentions:
        rest = rest.replace(f"<@{user}>", "")
    assert "<" not in rest and ">" not in rest, text
    assert "&" not in _ENTITY.sub("", rest), text


def assert_within_limits(blocks: list[dict[str, Any]], text: str) -> None:
    """Every Slack limit, counted here independently of blocks.slack_text."""
    assert len(blocks) <= 50
    assert 1 <= len(text) <= 3000
    for block in blocks:
        assert len(block.get("block_id", "")) <= 255
        assert all(len(t["text"]) >= 1 for t in text_objects(block))
        kind = block["type"]
        if kind == "header":
            assert len(block["text"]["text"]) <= 150
        elif kind == "section":
            assert "text" in block or block.get("fields")
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])
        elif kind == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for element in block["elements"]:
                assert_element_within_limits(element)
    assert sum(len(t["text"]) for b in blocks for t in text_objects(b)) <= 12_000


def assert_element_within_limits(element: dict[str, Any]) -> None:
    assert len(element.get("action_id", "")) <= 255
    if element["type"] == "button":
        assert len(element["text"]["text"]) <= 75
        assert len(element.get("value", "")) <= 2000
        assert len(element.get("url", "")) <= 3000
    else:
        assert len(element["placeholder"]["text"]) <= 150
        assert len(element["options"]) <= 100
        for option in element["options"]:
            assert len(option["text"]["text"]) <= 75
            assert len(option["value"]) <= 150


def assert_slack_accepts(blocks: list[dict[str, Any]]) -> None:
    """slack_sdk's Block Kit models parse and validate every block (to_dict validates the
    nested elements too)."""
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None and parsed.type == block["type"]
        parsed.validate_json()
        parsed.to_dict()


def _no_partial_entity(text: str) -> bool:
    """Every `&` of escaped text still starts a whole entity."""
    return "&" not in _ENTITY.sub("", text)


# ---------------------------------------------------------------------------------------------
# escape
# ---------------------------------------------------------------------------------------------


def test_limits_are_slacks() -> None:
    for name, value in SLACK_LIMITS.items():
        assert getattr(st_, name) == value, name


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<#C1>", "&lt;#C1&gt;"),
        ("<https://evil|click>", "&lt;https://evil|click&gt;"),
        ("a & b", "a &amp; b"),
        ("&amp;", "&amp;amp;"),
        ("*bold* _it_ `code` \"q\" 'a'", "*bold* _it_ `code` \"q\" 'a'"),
    ],
)
def test_escape_neutralises_only_the_three_characters(raw: str, shown: str) -> None:
    assert escape(raw) == shown


@given(st.text())
def test_escape_leaves_no_token_and_round_trips(text: str) -> None:
    shown = escape(text)
    assert_safe_mrkdwn(shown)
    assert shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text


# ---------------------------------------------------------------------------------------------
# truncate
# ---------------------------------------------------------------------------------------------


def test_truncate_keeps_short_text_and_marks_a_cut() -> None:
    assert truncate("abc", 3) == "abc"
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("abcdef", 1) == "…"
    assert truncate("abcdef", 0) == ""


def test_truncate_backs_off_before_an_entity_it_would_split() -> None:
    text = escape("ab<cd")  # "ab&lt;cd"
    assert truncate(text, 5) == "ab…"
    assert truncate(text, 7) == "ab&lt;…"


def test_truncate_backs_off_before_a_token_it_would_split() -> None:
    text = "seen " + date_token(1_700_000_000) + " ok"
    cut = truncate(text, 20)
    assert cut == "seen…"
    assert "<!date" not in cut


@settings(max_examples=300)
@given(TEXT, st.integers(1, 4000))
def test_truncate_never_exceeds_the_limit_nor_splits_an_entity(raw: str, limit: int) -> None:
    text = escape(raw)
    cut = truncate(text, limit)
    assert len(cut) <= limit
    assert _no_partial_entity(cut)
    if len(text) <= limit:
        assert cut == text
    else:
        assert cut.endswith(ELLIPSIS)
        assert text.startswith(cut[: -len(ELLIPSIS)])


# ---------------------------------------------------------------------------------------------
# Elements
# ---------------------------------------------------------------------------------------------


def test_mrkdwn_and_plain_obey_their_limits() -> None:
    assert mrkdwn("x" * 5000) == {"type": "mrkdwn", "text": "x" * 2999 + ELLIPSIS, "verbatim": True}
    assert plain("y" * 200, 150) == {
        "type": "plain_text",
        "text": "y" * 149 + ELLIPSIS,
        "emoji": True,
    }
    assert mrkdwn("")["text"] and plain("", 10)["text"]  # Slack rejects empty text


@pytest.mark.parametrize(
    ("url", "label", "shown"),
    [
        ("https://example.com/a?b=1&c=2", "Open", "<https://example.com/a?b=1&amp;c=2|Open>"),
        ("http://example.com", "a|b <c>", "<http://example.com|a b &lt;c&gt;>"),
        ("javascript:alert(1)", "x", "x"),
        ("https://evil.example|click", "x", "x"),
        ("https://a b", "x", "x"),
        ("https://x>y", "<!here>", "&lt;!here&gt;"),
        (None, "label", "label"),
        ("https://" + "a" * 3000, "long", "long"),
    ],
)
def test_link_is_built_only_for_safe_http_urls(url: Any, label: str, shown: str) -> None:
    assert link(url, label) == shown


@pytest.mark.parametrize(
    ("user", "shown"),
    [
        ("U0123ABC", "<@U0123ABC>"),
        ("W9Z", "<@W9Z>"),
        ("u123", "u123"),
        ("U123> <!channel", "U123&gt; &lt;!channel"),
        ("", ""),
    ],
)
def test_mention_only_for_a_real_user_id(user: str, shown: str) -> None:
    assert mention(user) == shown


def test_date_token_is_slacks_format_with_a_utc_fallback() -> None:
    token = date_token(1_700_000_000)
    assert token == "<!date^1700000000^{date_short_pretty} {time}|2023-11-14 22:13 UTC>"
    assert_safe_mrkdwn(token)


# ---------------------------------------------------------------------------------------------
# fit_message
# ---------------------------------------------------------------------------------------------


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _actions() -> dict[str, Any]:
    button = {"type": "button", "text": plain("Go", 75), "action_id": "go", "value": "v"}
    return {"type": "actions", "block_id": "alert:a:1", "elements": [button]}


def test_fit_message_drops_blocks_from_the_end_keeping_actions_last() -> None:
    blocks = [_section(f"s{i}") for i in range(60)] + [_actions()]
    fitted, _ = fit_message(blocks, "text")
    assert len(fitted) == 50
    assert fitted[-1] == _actions()
    assert fitted[-2] == {"type": "context", "elements": [mrkdwn("… 12 more")]}
    assert [b["text"]["text"] for b in fitted[:48]] == [f"s{i}" for i in range(48)]


def test_fit_message_shortens_the_longest_texts_first() -> None:
    sizes = {"a": 2900, "b": 2500, "c": 100, "d": 2999, "e": 2999, "f": 2999}  # 14,497 chars
    blocks = [_section(char * size) for char, size in sizes.items()]
    fitted, _ = fit_message(blocks, "t")
    lengths = [len(b["text"]["text"]) for b in fitted]
    # One common cap: 100 + 5 × 2380 = 12,000; the short text is untouched.
    assert lengths == [2380, 2380, 100, 2380, 2380, 2380]
    assert fitted[0]["text"]["text"] == "a" * 2379 + ELLIPSIS


def test_fit_message_cuts_every_element_to_its_limit() -> None:
    select = {
        "type": "static_select",
        "action_id": "s",
        "placeholder": plain("p" * 300, 1000),
        "options": [{"text": plain("o" * 100, 1000), "value": "v"}],
    }
    button = {"type": "button", "text": plain("b" * 100, 1000), "action_id": "b"}
    blocks = [
        {"type": "header", "text": plain("h" * 500, 1000)},
        {"type": "section", "fields": [mrkdwn("f" * 2500, 5000) for _ in range(12)]},
        {"type": "context", "elements": [mrkdwn("c", 10) for _ in range(12)]},
        {"type": "actions", "block_id": "x" * 300, "elements": [button, select]},
    ]
    fitted, text = fit_message(blocks, "t" * 5000)
    assert_within_limits(fitted, text)
    assert_slack_accepts(fitted)
    assert "block_id" not in fitted[-1]  # too long to keep; Slack assigns one


def test_fit_message_drops_an_element_whose_value_cannot_be_cut() -> None:
    good = {"type": "button", "text": plain("ok", 75), "action_id": "ok", "value": "1"}
    bad = {"type": "button", "text": plain("no", 75), "action_id": "no", "value": "v" * 2001}
    fitted, _ = fit_message([{"type": "actions", "elements": [good, bad]}], "t")
    assert fitted[0]["elements"] == [good]


def test_fit_message_does_not_change_its_input() -> None:
    blocks = [_section("x" * 4000) for _ in range(60)]
    before = copy.deepcopy(blocks)
    fit_message(blocks, "t")
    assert blocks == before


def test_fit_message_keeps_escaped_text_whole_when_it_cuts() -> None:
    blocks = [_section(escape("<" * 2000)) for _ in range(5)]
    fitted, _ = fit_message(blocks, escape("&" * 4000))
    assert message_chars(fitted) <= 12_000
    assert all(_no_partial_entity(t) for t in mrkdwn_texts(fitted))


_BLOCK = st.one_of(
    TEXT.map(lambda t: {"type": "section", "text": {"type": "mrkdwn", "text": escape(t) or "x"}}),
    st.lists(TEXT, min_size=1, max_size=14).map(
        lambda ts: {"type": "section", "fields": [mrkdwn(escape(t) or "x", 9999) for t in ts]}
    ),
    TEXT.map(lambda t: {"type": "header", "text": plain(t or "x", 9999)}),
    st.lists(TEXT, min_size=1, max_size=14).map(
        lambda ts: {"type": "context", "elements": [mrkdwn(escape(t) or "x", 9999) for t in ts]}
    ),
    st.just(_actions()),
    st.just({"type": "divider"}),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_BLOCK, max_size=80), TEXT)
def test_fit_message_always_fits_validates_and_is_idempotent(blocks: list, text: str) -> None:
    fitted, fallback = fit_message(blocks, escape(text) or "t")
    assert_within_limits(fitted, fallback)
    assert_slack_accepts(fitted)
    assert all(_no_partial_entity(t) for t in mrkdwn_texts(fitted))
    assert fit_message(fitted, fallback) == (fitted, fallback)
    if len(blocks) > 50 and any(b["type"] == "actions" for b in blocks):
        assert fitted[-1]["type"] == "actions"
        assert fitted[-2]["elements"][0]["text"].startswith("… ")
    if len(blocks) <= 50 and message_chars(blocks) <= 12_000:
        assert len(fitted) == len(blocks)
