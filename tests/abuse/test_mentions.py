"""Mentions and links typed into a slash command's text.

The rule (blocks/slack_text.py): every string from a user is mrkdwn-escaped (`&`,
`<`, `>`) before it goes into mrkdwn, so `<!channel>` or `<https://x|y>` is shown, not
obeyed. A command's text comes back in its answer (the query echoed, an error naming the
bad value): nowhere in that answer, blocks or fallback `text`, may the user's token
appear unescaped, and the answer stays ephemeral.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.abuse.conftest import Tally, Target, snapshot
from tests.slack.test_commands_e2e import command

MENTIONS = "mentions and links in command text"
HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C123|general>",
    "<http://evil.example|click>",
    "<!subteam^S1>",
    "<!date^0^{date}|x>",
    "&amp;<>",
]

# where the text lands: (command, its text around the hostile token)
FORMS = [
    ("/events", "{t}"),  # one word: an id lookup, then a title search
    ("/events", "cpu {t}"),  # free words, echoed in the heading
    ("/events", "source:alarm {t}"),
    ("/events", "severity:{t}"),  # a bad value, named in the error
    ("/events", "account:{t}"),
    ("/events", "since:{t}"),
    ("/events", "state:{t}"),
    ("/agents", "{t}"),  # an unknown agent, named in the answer
    ("/silences", "{t}"),
]


def strings(node: Any) -> Iterator[tuple[str, str]]:
    """Every string in an answer, with where it is."""
    stack: list[tuple[str, Any]] = [("", node)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            yield where, value
        elif isinstance(value, dict):
            stack.extend((f"{where}.{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(value))


def raw_tokens(text: str) -> list[str]:
    """The parts of `text` that Slack would parse: `<…>` tokens (and `<>` itself)."""
    return re.findall(r"<[^<>]*>", text)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_mentions_and_links_in_command_text_are_shown_not_obeyed(
    shared_target: Target, tally: Tally, hostile: str
) -> None:
    """Each command answers through its response_url with the token escaped everywhere,
    ephemeral, and changes no record."""
    before = snapshot(target=shared_target)
    leaks: list[tuple[str, str, str]] = []
    tally.trying(MENTIONS, "answered escaped and ephemeral", len(FORMS))
    for name, form in FORMS:
        text = form.format(t=hostile)
        answer = command(shared_target.http, shared_target.fake, name, text)
        assert answer["response_type"] == "ephemeral", (name, text)
        assert answer.get("replace_original") is not True
        found = [
            (f"{name} {text}", where, value)
            for where, value in strings(answer)
            for token in raw_tokens(hostile)
            if token in value
        ]
        tally.holding(MENTIONS, 0 if found else 1)
        leaks += found
    assert not leaks, "unescaped:\n" + "\n".join(f"{c} → {w}: {v!r}" for c, w, v in leaks)
    after = snapshot(shared_target)
    assert {k: v for k, v in after.items() if k != "slack"} == {
        k: v for k, v in before.items() if k != "slack"
    }
    new_calls = {method for method, _ in after["slack"][len(before["slack"]) :]}
    assert new_calls == {"response_url"}


def test_the_escaped_text_is_still_shown(shared_target: Target, figures: Any) -> None:
    """Escaping shows the text rather than dropping it: the heading of a search echoes the
    query with `&lt;!channel&gt;`, so the person sees what they asked."""
    answer = command(shared_target.http, shared_target.fake, "/events", "cpu <!channel>")
    shown = json.dumps(answer["blocks"])
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    figures.add("abuse", "mention echoed in /events", "shown as &lt;!channel&gt;")
