"""What every rendered message must be: within Slack's limits and escaped.

The limits are the project's own constants (blocks/slack_text.py); escaping is as that
module defines it: `&`, `<` and `>` from untrusted text become entities, so the only raw
`<…>` left in mrkdwn are the tokens the views write on purpose (a date token, a link
built by `link()` from a safe http(s) URL, and, where a person's Slack id is shown, a
user mention).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from adapters.memory import MemoryAgentStore, MemoryAlertStore, MemoryEventStore
from blocks import slack_text as limits
from blocks.view import MessageView
from bot.config import Settings
from bot.models import Alert, MessageRef, Signal, StormDigest
from bot.services import Services
from handlers.bootstrap import bootstrap
from tests.fakes import FakeChat, FakeClock

# Raw tokens the views write on purpose, nothing from input inside their `<…|` part.
_DATE = re.compile(r"<!date\^\d+\^[^|<>]*\|[^<>]*>")
_LINK = re.compile(r"<https?://[^\s|<>]+\|[^<>]*>")
_USER = re.compile(r"<@[UW][A-Z0-9]+>")
_ENTITY = re.compile(r"&(?:amp|lt|gt);")


def unescaped(text: str, *, user_mentions: bool = False, allow: tuple[str, ...] = ()) -> str | None:
    """What in mrkdwn `text` Slack would obey or mis-decode, or None when it is all shown
    as written: no raw `<`/`>` outside the tokens we write, no `&` that is not an entity.
    `allow` names tokens a trusted setting put there (a routing rule's mention)."""
    rest = _LINK.sub("", _DATE.sub("", text))
    if user_mentions:
        rest = _USER.sub("", rest)
    for token in allow:
        rest = rest.replace(token, "")
    for i, ch in enumerate(rest):
        if ch in "<>":
            return rest[max(0, i - 20) : i + 30]
        if ch == "&" and not _ENTITY.match(rest, i):
            return rest[max(0, i - 20) : i + 30]
    return None


@dataclass
class Problems:
    """Every limit broken and every unescaped text in one message, with where it is."""

    where: str
    user_mentions: bool = False  # a person's Slack id may be shown as `<@U…>`
    allow: tuple[str, ...] = ()
    found: list[str] = field(default_factory=list)

    def limit(self, path: str, value: Any, cap: int) -> None:
        if len(value) > cap:
            self.found.append(f"{self.where}{path}: {len(value)} > {cap}")

    def text(self, path: str, obj: Any, cap: int) -> None:
        """A text object: a non-empty string within `cap`; escaped when it is mrkdwn."""
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            self.found.append(f"{self.where}{path}: not a text object: {obj!r:.80}")
            return
        self.limit(f"{path}.text", obj["text"], cap)
        if not obj["text"]:
            self.found.append(f"{self.where}{path}.text: empty")
        if obj.get("type") == "mrkdwn":
            self.escaped(f"{path}.text", obj["text"])
        elif obj.get("type") != "plain_text":
            self.found.append(f"{self.where}{path}: text type {obj.get('type')!r}")

    def escaped(self, path: str, text: str) -> None:
        bad = unescaped(text, user_mentions=self.user_mentions, allow=self.allow)
        if bad is not None:
            self.found.append(f"{self.where}{path}: unescaped {bad!r}")


def _element(p: Problems, path: str, el: dict[str, Any]) -> None:
    p.limit(f"{path}.action_id", str(el.get("action_id", "")), limits.ACTION_ID)
    kind = el.get("type")
    if kind == "button":
        p.text(f"{path}.text", el.get("text"), limits.BUTTON_TEXT)
        p.limit(f"{path}.value", str(el.get("value", "")), limits.BUTTON_VALUE)
        p.limit(f"{path}.url", str(el.get("url", "")), limits.URL)
    elif kind == "static_select":
        p.text(f"{path}.placeholder", el.get("placeholder"), limits.PLACEHOLDER_TEXT)
        options = el.get("options", [])
        p.limit(f"{path}.options", options, limits.MAX_OPTIONS)
        for i, option in enumerate(options):
            p.text(f"{path}.options[{i}].text", option.get("text"), limits.OPTION_TEXT)
            p.limit(f"{path}.options[{i}].value", str(option.get("value", "")), limits.OPTION_VALUE)
    else:
        p.found.append(f"{p.where}{path}: unexpected element {kind!r}")


def check_blocks(
    p: Problems, path: str, blocks: list[dict[str, Any]], *, view: bool = False
) -> None:
    """Each block within Slack's limits, and its mrkdwn escaped; a `view`'s (a Home tab's)
    are 100 blocks, with no message's cap on their characters."""
    p.limit(path, blocks, limits.MAX_VIEW_BLOCKS if view else limits.MAX_BLOCKS)
    if not view:
        p.limit(f"{path} (characters)", "x" * limits.message_chars(blocks), limits.MESSAGE_TEXT)
    for i, block in enumerate(blocks):
        at = f"{path}[{i}]"
        if "block_id" in block:
            p.limit(f"{at}.block_id", str(block["block_id"]), limits.BLOCK_ID)
        kind = block.get("type")
        if kind == "header":
            p.text(f"{at}.text", block.get("text"), limits.HEADER_TEXT)
            if block["text"].get("type") != "plain_text":
                p.found.append(f"{p.where}{at}: a header must be plain_text")
        elif kind == "section":
            if "text" not in block and not block.get("fields"):
                p.found.append(f"{p.where}{at}: a section needs text or fields")
            if "text" in block:
                p.text(f"{at}.text", block["text"], limits.SECTION_TEXT)
            fields = block.get("fields", [])
            p.limit(f"{at}.fields", fields, limits.MAX_FIELDS)
            for j, f in enumerate(fields):
                p.text(f"{at}.fields[{j}]", f, limits.FIELD_TEXT)
            if "accessory" in block:
                _element(p, f"{at}.accessory", block["accessory"])
        elif kind == "context":
            elements = block.get("elements", [])
            if not elements:
                p.found.append(f"{p.where}{at}: an empty context")
            p.limit(f"{at}.elements", elements, limits.CONTEXT_ELEMENTS)
            for j, el in enumerate(elements):
                p.text(f"{at}.elements[{j}]", el, limits.CONTEXT_TEXT)
        elif kind == "actions":
            elements = block.get("elements", [])
            if not elements:
                p.found.append(f"{p.where}{at}: an empty actions block")
            p.limit(f"{at}.elements", elements, limits.ACTION_ELEMENTS)
            for j, el in enumerate(elements):
                _element(p, f"{at}.elements[{j}]", el)
        elif kind != "divider":
            p.found.append(f"{p.where}{at}: unexpected block type {kind!r}")


def message_problems(
    message: dict[str, Any],
    where: str,
    *,
    user_mentions: bool = False,
    allow: tuple[str, ...] = (),
) -> list[str]:
    """Everything wrong with one chat.postMessage / chat.update / response_url payload."""
    p = Problems(where, user_mentions, allow)
    try:
        json.dumps(message, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as err:  # a lone surrogate, NaN: Slack could not read it
        p.found.append(f"{where}: not JSON Slack can read: {err}")
    text = message.get("text")
    if not isinstance(text, str) or not text:
        p.found.append(f"{where}.text: missing fallback text")
    else:
        p.limit(".text", text, limits.FALLBACK_TEXT)
        p.escaped(".text", text)
    blocks = message.get("blocks", [])
    check_blocks(p, ".blocks", blocks)
    attached = [b for a in message.get("attachments", []) for b in a.get("blocks", [])]
    for i, attachment in enumerate(message.get("attachments", [])):
        check_blocks(p, f".attachments[{i}].blocks", attachment.get("blocks", []))
        p.limit(f".attachments[{i}].fallback", attachment.get("fallback", ""), limits.FALLBACK_TEXT)
    p.limit(".blocks+attachments", [*blocks, *attached], limits.MAX_BLOCKS)
    return p.found


# ---------------------------------------------------------------------------------------------
# A chat that draws every message as Slack would be sent it
# ---------------------------------------------------------------------------------------------


class RenderingChat(FakeChat):
    """FakeChat that also renders each post, edit, storm and reply through the shared
    MessageView, as SlackChat does, so that the drawn payloads can be checked."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.view = MessageView(clock=clock)
        self.drawn: list[tuple[str, dict[str, Any]]] = []

    def post_alert(self, channel, signal: Signal, alert: Alert | None, **kw: Any) -> MessageRef:
        self.drawn.append(("post", self.view.message(signal, alert, controls=kw["controls"])))
        return super().post_alert(channel, signal, alert, **kw)

    def update_alert(self, ref: MessageRef, signal: Signal, alert: Alert) -> None:
        self.drawn.append(("update", self.view.message(signal, alert, controls=True)))
        super().update_alert(ref, signal, alert)

    def post_storm(self, channel, storm: Alert, digest: StormDigest, *, message_id: str):
        self.drawn.append(("storm", self.view.storm_message(storm, digest)))
        return super().post_storm(channel, storm, digest, message_id=message_id)

    def update_storm(self, ref: MessageRef, storm: Alert, digest: StormDigest) -> None:
        self.drawn.append(("storm update", self.view.storm_message(storm, digest)))
        super().update_storm(ref, storm, digest)

    def post_text(self, channel, text: str, **kw: Any) -> MessageRef:
        # As SlackChat.post_text sends it.
        content = {
            "text": limits.truncate(text, limits.FALLBACK_TEXT),
            "blocks": [{"type": "section", "text": limits.mrkdwn(text, limits.SECTION_TEXT)}],
        }
        self.drawn.append(("reply", content))
        return super().post_text(channel, text, **kw)


# Account names are operator input, but escaped like the rest: make them hostile too.
ACCOUNT_NAMES = {"123456789012": "<!channel> prod & <b>co</b>", "210987654321": "staging"}


@lru_cache(maxsize=4)
def fuzz_settings_for(storm_threshold: int) -> Settings:
    """Settings are read once per threshold: building them is most of an example's time."""
    return Settings(
        _env_file=None,
        slack_alerts_channel="C0ALERTS",
        storm_threshold=storm_threshold,
        account_names=ACCOUNT_NAMES,
    )


def make_services(clock: FakeClock, *, storm_threshold: int = 20) -> Services:
    """Services over the memory stores and a RenderingChat, as the unit tests wire them."""
    return bootstrap(
        settings=fuzz_settings_for(storm_threshold),
        events=MemoryEventStore(),
        agents=MemoryAgentStore(),
        alerts=MemoryAlertStore(),
        chat=RenderingChat(clock),
        clock=clock,
    )


class ErrorLog(logging.Handler):
    """Collects every log record that carries an exception: the project catches
    unexpected errors to keep a batch going (ingest, interpret, notify, templates), and
    logs them; in a fuzz run each one is a bug the catch-all would hide."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)

    def __enter__(self) -> ErrorLog:
        logging.getLogger().addHandler(self)
        self.records.clear()
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)

    def describe(self) -> Iterator[str]:
        for r in self.records:
            yield f"{r.name}: {r.getMessage()} ({r.exc_info[1]!r})" if r.exc_info else r.name
