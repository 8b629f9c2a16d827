"""What an alert's root shows beyond its signal: the changes before it, newest first and
linked, and its runbook as a link button; escaped and within Slack's limits whatever the
enrichment holds."""

from __future__ import annotations

import re
from typing import Any

import pytest

from blocks.alert import CHANGES_SHOWN, OPEN_RUNBOOK, alert_blocks
from blocks.slack_text import URL
from bot.models import Alert, AlertStatus, Change, Enrichment, Signal
from tests.factories import T0
from tests.unit.test_blocks_alert import _alarm, _alert
from tests.unit.test_blocks_slack_text import (
    assert_safe_mrkdwn,
    assert_slack_accepts,
    assert_within_limits,
    mrkdwn_texts,
)

NOW = T0 + 600
ROUTE = "https://wiki.example/runbooks/route"
STACK_URL = "https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1"
# A link to the one console page these tests give, as `link` writes it.
OUR_LINK = re.compile(re.escape(f"<{STACK_URL}|") + r"([^<>]*)>")


def alarm(description: str = "CPU is too high") -> Signal:
    return _alarm(description)


def alert(**kwargs: Any) -> Alert:
    return _alert(**kwargs)


def with_changes(*changes: Change, **kwargs: Any) -> Alert:
    return alert(enrichment=Enrichment(changes=list(changes)), **kwargs)


def change(ago: int, title: str, url: str | None = STACK_URL, kind: str = "stack") -> Change:
    return Change(at=T0 - ago, kind=kind, title=title, url=url, event_id=f"e{ago}")


def elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def changes_text(blocks: list[dict[str, Any]]) -> str | None:
    found = [
        b["elements"][0]["text"]
        for b in blocks
        if b["type"] == "context" and b["elements"][0]["text"].startswith("*Changed before")
    ]
    assert len(found) <= 1
    return found[0] if found else None


# --- the runbook button ------------------------------------------------------------------------


def test_the_routes_runbook_is_a_link_button_after_the_console_link() -> None:
    blocks, _ = alert_blocks(alarm(), alert(runbook=ROUTE), controls=True, now=NOW)
    shown = elements(blocks)
    assert [e["action_id"] for e in shown] == [
        "alert_open_console",
        OPEN_RUNBOOK,
        "alert_ack",
        "alert_resolve",
        "alert_silence",
        "alert_incident",
    ]
    runbook = shown[1]
    assert (runbook["type"], runbook["url"], runbook["text"]["text"]) == (
        "button",
        ROUTE,
        "Runbook",
    )
    assert "value" not in runbook  # a link: nothing for the app to act on


def test_the_alarm_descriptions_https_link_is_the_runbook_on_the_first_post() -> None:
    signal = alarm("High CPU. Runbook: https://wiki.example/cpu.")
    for record in (None, alert()):  # no record yet, or one without enrichment
        blocks, _ = alert_blocks(signal, record, controls=record is not None, now=NOW)
        [runbook] = [e for e in elements(blocks) if e["action_id"] == OPEN_RUNBOOK]
        assert runbook["url"] == "https://wiki.example/cpu"


def test_the_enrichments_runbook_is_drawn_when_nothing_comes_before_it() -> None:
    tagged = alert(enrichment=Enrichment(runbook_url="https://wiki.example/tagged"))
    blocks, _ = alert_blocks(alarm(), tagged, controls=True, now=NOW)
    assert [e["url"] for e in elements(blocks) if e["action_id"] == OPEN_RUNBOOK] == [
        "https://wiki.example/tagged"
    ]


def test_a_resolved_alert_keeps_its_runbook_and_loses_its_controls() -> None:
    resolved = alert(runbook=ROUTE, status=AlertStatus.RESOLVED, resolved_at=T0 + 60)
    blocks, _ = alert_blocks(alarm(), resolved, controls=True, now=NOW)
    assert [e["action_id"] for e in elements(blocks)] == ["alert_open_console", OPEN_RUNBOOK]


@pytest.mark.parametrize(
    "url",
    [
        "http://wiki.example/insecure",
        "javascript:alert(1)",
        "https://x.example/<!channel>",
        "https://x.example/" + "a" * URL,
    ],
)
def test_no_runbook_button_for_a_link_that_is_not_a_safe_https_url(url: str) -> None:
    for record in (alert(runbook=url), alert(enrichment=Enrichment(runbook_url=url))):
        blocks, _ = alert_blocks(alarm(), record, controls=True, now=NOW)
        assert OPEN_RUNBOOK not in [e["action_id"] for e in elements(blocks)]
        assert_slack_accepts(blocks)


def test_a_description_with_no_https_link_names_no_runbook() -> None:
    signal = alarm("see http://wiki.example/cpu or javascript:alert(1) or ftp://x.example")
    blocks, _ = alert_blocks(signal, None, controls=False, now=NOW)
    assert OPEN_RUNBOOK not in [e["action_id"] for e in elements(blocks)]


# --- the changes before it ----------------------------------------------------------------------


def test_the_changes_are_listed_newest_first_linked_and_relative_to_the_alert() -> None:
    record = with_changes(
        change(65 * 60, "pipeline deploy-api execution SUCCEEDED", kind="pipeline"),
        change(4 * 60, "stack api-prod UPDATE_COMPLETE"),
        change(30, "agent 123456789012 deployed v1.2.3", url=None, kind="agent"),
    )
    blocks, _ = alert_blocks(alarm(), record, controls=True, now=NOW)
    url = STACK_URL.replace("&", "&amp;")
    assert changes_text(blocks) == "\n".join(
        [
            "*Changed before it fired:*",
            "under a minute after agent 123456789012 deployed v1.2.3",
            f"4 min after <{url}|stack api-prod UPDATE_COMPLETE>",
            f"1 h 5 min after <{url}|pipeline deploy-api execution SUCCEEDED>",
        ]
    )
    context = [b for b in blocks if b["type"] == "context"]
    assert "<!date^" in context[-1]["elements"][0]["text"]  # the source line stays last


def test_a_reopened_alert_counts_from_its_reopening() -> None:
    record = with_changes(change(4 * 60, "stack api-prod UPDATE_COMPLETE"), opened_at=T0 + 3600)
    blocks, _ = alert_blocks(alarm(), record, controls=True, now=NOW)
    assert "1 h 4 min after" in (changes_text(blocks) or "")


def test_no_changes_no_block() -> None:
    for record in (None, alert()):
        blocks, _ = alert_blocks(alarm(), record, controls=True, now=NOW)
        assert changes_text(blocks) is None


def test_at_most_the_newest_few_are_listed() -> None:
    many = [change(60 * n, f"stack s{n} UPDATE_COMPLETE") for n in range(1, 30)]
    blocks, _ = alert_blocks(alarm(), with_changes(*many), controls=True, now=NOW)
    lines = (changes_text(blocks) or "").split("\n")[1:]
    assert len(lines) == CHANGES_SHOWN
    assert [line.split("|")[1].split(" ")[1] for line in lines] == [
        f"s{n}" for n in range(1, CHANGES_SHOWN + 1)
    ]


def test_hostile_changes_are_shown_never_obeyed_and_fit() -> None:
    hostile = [
        change(60, "<!channel> stack <@U0EVIL> & <https://evil.example|click>"),
        change(120, "pipeline x", url="https://evil.example/|<!here>"),
        change(180, "ECS " + "long " * 2000, url="javascript:alert(1)"),
        change(240, "stack\nmultiline\ttitle", url="https://" + "a" * 5000),
    ]
    blocks, text = alert_blocks(alarm(), with_changes(*hostile), controls=True, now=NOW)
    assert_slack_accepts(blocks)
    assert_within_limits(blocks, text)
    for mrkdwn in mrkdwn_texts(blocks):  # no token but our links, and none in their labels
        assert_safe_mrkdwn(OUR_LINK.sub(r"\1", mrkdwn))
    shown = changes_text(blocks) or ""
    assert OUR_LINK.findall(shown) == [
        "&lt;!channel&gt; stack &lt;@U0EVIL&gt; &amp; &lt;https://evil.example click&gt;"
    ]
    assert "&lt;!channel&gt; stack &lt;@U0EVIL&gt; &amp;" in shown
    assert "evil.example/|" not in shown and "javascript:" not in shown
    assert "stack multiline title" in shown
