"""The error-lines reply: untrusted log text escaped and shown as code, within Slack's limits."""

from __future__ import annotations

from blocks.enrichment import log_findings_blocks
from blocks.slack_text import MAX_BLOCKS, MESSAGE_TEXT, SECTION_TEXT, message_chars
from bot.models import ErrorLine, LogFindings


def findings(*examples: str, count: int = 3) -> LogFindings:
    lines = [ErrorLine(signature=e[:20], example=e, count=count, group="/aws/lambda/api")
             for e in examples]  # fmt: skip
    return LogFindings(groups=["/aws/lambda/api"], start=1_700_000_000, end=1_700_001_200,
                       lines=lines, read=len(lines) * count)  # fmt: skip


def texts(blocks: list[dict]) -> str:
    return "\n".join(
        str(b.get("text", {}).get("text", ""))
        + " ".join(e.get("text", "") for e in b.get("elements", []))
        for b in blocks
    )


def test_each_signature_shows_its_count_its_group_and_its_newest_line_as_code():
    blocks, text = log_findings_blocks(findings("ERROR db timeout after 3000 ms"))
    shown = texts(blocks)
    assert "*3×* in `/aws/lambda/api`" in shown
    assert "```ERROR db timeout after 3000 ms```" in shown
    assert "Top 1 error line" in text


def test_mentions_links_and_fences_in_log_lines_reach_slack_as_text():
    hostile = "<!channel> <@U123> <https://evil.example|click> ``` done"
    blocks, text = log_findings_blocks(findings(hostile))
    shown = texts(blocks) + text
    assert "<!channel>" not in shown and "<@U123>" not in shown and "<https://" not in shown
    assert "&lt;!channel&gt;" in shown
    assert "``` done" not in texts(blocks)  # a fence in the line cannot close ours


def test_many_long_lines_stay_within_slacks_limits():
    lines = ["&<>" * 2000 + str(i) for i in range(60)]
    blocks, text = log_findings_blocks(findings(*lines))
    assert len(blocks) <= MAX_BLOCKS
    assert message_chars(blocks) <= MESSAGE_TEXT
    assert all(len(b["text"]["text"]) <= SECTION_TEXT for b in blocks if b["type"] == "section")
    assert text
