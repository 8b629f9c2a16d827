"""Escaping and Slack's limits, in one place.

Every string that reaches a message came from an event, a user or AWS, so it is
mrkdwn-escaped here before it goes into mrkdwn, and every element is cut to the length
Slack accepts, so that Slack never rejects a message. `fit_message` is the last guard
every message goes through; the views build their elements with the helpers below.

Slack decodes only three entities (`&amp;`, `&lt;`, `&gt;`), and acts on `<…>` tokens
(`<!channel>`, `<@U123>`, `<#C1>`, `<https://x|y>`) only where a raw `<` opens them, so
escaping those three characters is all it takes to show untrusted text as it was written.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from bot.timeutil import utc

# ---------------------------------------------------------------------------------------------
# Slack's limits (https://api.slack.com/reference/block-kit)
# ---------------------------------------------------------------------------------------------

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # a modal or a Home tab
SECTION_TEXT = 3000
HEADER_TEXT = 150
BUTTON_TEXT = 75
FIELD_TEXT = 2000
MAX_FIELDS = 10
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 3000
ACTION_ELEMENTS = 25
MESSAGE_TEXT = 12_000
FALLBACK_TEXT = 3000
OPTION_TEXT = 75
OPTION_VALUE = 150
MAX_OPTIONS = 100
PLACEHOLDER_TEXT = 150
BLOCK_ID = 255
ACTION_ID = 255
BUTTON_VALUE = 2000
URL = 3000

ELLIPSIS = "…"

# What Slack decodes, and the tokens it acts on: a cut must not split either.
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_TOKEN = re.compile(r"<(?:[!@#]|https?://)[^<>]*>")
_URL = re.compile(r"https?://[^\s|<>\x00-\x1f\x7f]+", re.IGNORECASE)
_USER_ID = re.compile(r"[UW][A-Z0-9]+")


def escape(text: Any) -> str:
    """Untrusted text as mrkdwn that shows it: `&`, `<` and `>` become entities."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in "…" when something was cut.

    The cut backs off to before an entity (`&amp;`) or a token (`<@U1>`) that it would
    split, so that escaped text never shows half an entity and a token never loses its end.
    """
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    cut = limit - len(ELLIPSIS)
    cut = min(_backoff(text, cut, _ENTITY, "&"), _backoff(text, cut, _TOKEN, "<"))
    return text[:cut].rstrip() + ELLIPSIS


def _backoff(text: str, cut: int, pattern: re.Pattern[str], opener: str) -> int:
    """`cut`, or the start of the `pattern` match that spans it."""
    start = text.rfind(opener, 0, cut)
    if start == -1:
        return cut
    match = pattern.match(text, start)
    return start if match and match.end() > cut else cut


def one_line(text: Any) -> str:
    """Whitespace runs, newlines included, as one space (headers and button labels)."""
    return " ".join(str(text).split())


# ---------------------------------------------------------------------------------------------
# Elements
# ---------------------------------------------------------------------------------------------


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    """A mrkdwn text object from text that is already escaped (or built from escaped parts).

    `verbatim` stops Slack from turning bare URLs, channel names and @mentions in the text
    into links and pings on its own; our explicit `<…>` tokens still work.
    """
    return {"type": "mrkdwn", "text": truncate(text, limit) or " ", "verbatim": True}


def plain(text: Any, limit: int) -> dict[str, Any]:
    """A plain_text object: Slack does not parse it, so it needs limits but no escaping."""
    return {"type": "plain_text", "text": truncate(str(text), limit) or " ", "emoji": True}


def safe_url(url: Any) -> str | None:
    """The URL when it is a plain http(s) URL that fits Slack's limit, else None."""
    if not isinstance(url, str) or len(url) > URL or not _URL.fullmatch(url):
        return None
    return url


def link(url: Any, label: Any) -> str:
    """`<url|label>` for a safe http(s) URL; otherwise the label alone, escaped."""
    shown = escape(str(label).replace("|", " "))
    checked = safe_url(url)
    if checked is None:
        return shown
    return f"<{checked.replace('&', '&amp;')}|{shown}>"


def mention(user: Any) -> str:
    """`<@U123>` for a real Slack user id; anything else is shown as escaped text."""
    text = str(user)
    return f"<@{text}>" if _USER_ID.fullmatch(text) else escape(text)


_BROADCASTS = {"@here": "<!here>", "@channel": "<!channel>", "@everyone": "<!everyone>"}
_GROUP_ID = re.compile(r"S[A-Z0-9]+")


def route_mention(value: Any) -> str:
    """A route's mention as Slack's token: `<!here>`, `<@U123>`, `<!subteam^S123>`.

    Only a routing rule's validated value reaches here, never event text; anything else
    is shown as escaped text, so it cannot ping."""
    text = str(value)
    if text in _BROADCASTS:
        return _BROADCASTS[text]
    if _GROUP_ID.fullmatch(text):
        return f"<!subteam^{text}>"
    return mention(text)


def date_token(ts: int, fmt: str = "{date_short_pretty} {time}") -> str:
    """Slack's date token, shown in each reader's time zone, with a UTC fallback.

    The one place a `<!…>` is written by us; nothing from input ever goes into it.
    """
    at = utc(ts)
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{fmt}|{escape(fallback)}>"


def context_block(*texts: str) -> dict[str, Any]:
    """A context block of mrkdwn lines (already escaped)."""
    return {"type": "context", "elements": [mrkdwn(t, CONTEXT_TEXT) for t in texts]}


# ---------------------------------------------------------------------------------------------
# The final guard
# ---------------------------------------------------------------------------------------------


def fit_message(blocks: list[dict[str, Any]], text: str) -> tuple[list[dict[str, Any]], str]:
    """Blocks and fallback text that Slack accepts: every element within its limit, at most
    MAX_BLOCKS blocks, at most MESSAGE_TEXT characters in all. Idempotent; the input is not
    changed."""
    fitted = [_fit_block(block) for block in copy.deepcopy(blocks)]
    for limit in range(min(len(fitted), MAX_BLOCKS), 0, -1):
        candidate = _cap_blocks(copy.deepcopy(fitted), limit)
        if _cap_total(candidate):
            return candidate, _fit_fallback(text)
    return [], _fit_fallback(text)  # no blocks, or not even one block could fit


def fit_view(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A view's blocks (a Home tab's, a modal's) that Slack accepts: every element within
    its limit, at most MAX_VIEW_BLOCKS, the last of them saying how many were left out.
    Views have no message's total text limit. The input is not changed."""
    fitted = [_fit_block(block) for block in copy.deepcopy(blocks)]
    if len(fitted) <= MAX_VIEW_BLOCKS:
        return fitted
    kept = fitted[: MAX_VIEW_BLOCKS - 1]
    return [*kept, context_block(f"{ELLIPSIS} {len(fitted) - len(kept)} more")]


def _fit_fallback(text: str) -> str:
    return truncate(text, FALLBACK_TEXT) or " "


def _fit_block(block: dict[str, Any]) -> dict[str, Any]:
    if isinstance(block.get("block_id"), str) and len(block["block_id"]) > BLOCK_ID:
        del block["block_id"]  # Slack assigns one; an over-long id would reject the message
    kind = block.get("type")
    if kind == "header":
        _fit_text(block.get("text"), HEADER_TEXT)
    elif kind == "section":
        _fit_section(block)
    elif kind == "context":
        block["elements"] = block.get("elements", [])[:CONTEXT_ELEMENTS]
        for element in block["elements"]:
            _fit_text(element, CONTEXT_TEXT)
    elif kind == "actions":
        elements = [_fit_element(e) for e in block.get("elements", [])]
        block["elements"] = [e for e in elements if e is not None][:ACTION_ELEMENTS]
    return block


def _fit_section(block: dict[str, Any]) -> None:
    _fit_text(block.get("text"), SECTION_TEXT)
    if "fields" in block:
        block["fields"] = block["fields"][:MAX_FIELDS]
        for field in block["fields"]:
            _fit_text(field, FIELD_TEXT)
    if "accessory" in block:
        accessory = _fit_element(block["accessory"])
        if accessory is None:
            del block["accessory"]
        else:
            block["accessory"] = accessory


def _fit_text(obj: Any, limit: int) -> None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        obj["text"] = truncate(obj["text"], limit) or " "


def _fit_element(element: dict[str, Any]) -> dict[str, Any] | None:
    """An interactive element within its limits; None when an id, value or URL is too long
    to cut without breaking what it means (the element is dropped, not the message)."""
    too_long = (("action_id", ACTION_ID), ("value", BUTTON_VALUE), ("url", URL))
    if any(len(str(element.get(key, ""))) > limit for key, limit in too_long):
        return None
    _fit_text(element.get("text"), BUTTON_TEXT)
    _fit_text(element.get("placeholder"), PLACEHOLDER_TEXT)
    if "options" in element:
        options = [o for o in element["options"] if len(str(o.get("value", ""))) <= OPTION_VALUE]
        element["options"] = options[:MAX_OPTIONS]
        for option in element["options"]:
            _fit_text(option.get("text"), OPTION_TEXT)
    return element


def _cap_blocks(blocks: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """At most `limit` blocks: drop from the end, keep the last actions block last, and say
    how many were dropped."""
    if len(blocks) <= limit:
        return blocks
    actions = next((b for b in reversed(blocks) if b.get("type") == "actions"), None)
    rest = [b for b in blocks if b is not actions]
    keep = max(limit - 1 - (actions is not None), 0)
    dropped = len(rest) - keep
    tail = [actions] if actions is not None else []
    return [*rest[:keep], context_block(f"{ELLIPSIS} {dropped} more"), *tail]


def _cap_total(blocks: list[dict[str, Any]]) -> bool:
    """Shorten the longest section, field and context texts first, to one common cap, so
    that the blocks hold at most MESSAGE_TEXT characters of text. False when even one
    character each is too much (then fewer blocks must do)."""
    fixed, cuttable = _text_objects(blocks)
    budget = MESSAGE_TEXT - sum(len(t["text"]) for t in fixed)
    lengths = [len(t["text"]) for t in cuttable]
    if sum(lengths) <= budget:
        return True
    cap = _water_level(lengths, budget)
    if cap < 1:
        return False
    for obj in cuttable:
        obj["text"] = truncate(obj["text"], cap) or " "
    return True


def _water_level(lengths: list[int], budget: int) -> int:
    """The largest cap c such that sum(min(n, c)) <= budget; 0 when none is."""
    low, high = 0, max(lengths, default=0)
    while low < high:
        mid = (low + high + 1) // 2
        if sum(min(n, mid) for n in lengths) <= budget:
            low = mid
        else:
            high = mid - 1
    return low


def _text_objects(
    blocks: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The text objects of the blocks: (ones kept whole, ones that may be shortened)."""
    fixed: list[dict[str, Any]] = []
    cuttable: list[dict[str, Any]] = []
    for block in blocks:
        for obj, may_cut in _texts_of(block):
            (cuttable if may_cut else fixed).append(obj)
    return fixed, cuttable


def _texts_of(block: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    kind = block.get("type")
    if kind in ("section", "context"):
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if _is_text(obj):
                yield obj, True
        yield from _element_texts(block.get("accessory"))
    elif kind == "header" and _is_text(block.get("text")):
        yield block["text"], False
    elif kind == "actions":
        for element in block.get("elements", []):
            yield from _element_texts(element)


def _element_texts(element: Any) -> Iterator[tuple[dict[str, Any], bool]]:
    if not isinstance(element, dict):
        return
    for key in ("text", "placeholder"):
        if _is_text(element.get(key)):
            yield element[key], False
    for option in element.get("options", []):
        if _is_text(option.get("text")):
            yield option["text"], False


def _is_text(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and obj.get("type") in ("mrkdwn", "plain_text")
        and isinstance(obj.get("text"), str)
    )


def message_chars(blocks: list[dict[str, Any]]) -> int:
    """The characters of text in the blocks, as `fit_message` counts them."""
    fixed, cuttable = _text_objects(blocks)
    return sum(len(t["text"]) for t in fixed + cuttable)
