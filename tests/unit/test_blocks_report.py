"""blocks.report: the daily report's summary and thread replies stay within Slack's
limits whatever they hold, show untrusted text without obeying it, and say what the
numbers are."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from blocks.look import SEVERITY_EMOJI
from blocks.report import part_blocks, report_blocks, sparkline
from bot.daily_report import PART_ALERTS
from bot.models import (
    AlertStatus,
    CountItem,
    DailyReport,
    ReportAlert,
    ReportPart,
    Severity,
    SignalState,
    Silence,
)
from tests.unit.test_blocks_slack_text import (
    TEXT,
    assert_safe_mrkdwn,
    assert_slack_accepts,
    assert_within_limits,
    mrkdwn_texts,
)

NOW = 1_795_741_200
HOSTILE = "<!channel> *boom* <https://evil.example|click> & <@U123>"


def listed(title: str, n: int = 0, **extra) -> ReportAlert:
    return ReportAlert(
        fingerprint=f"fp-{n}",
        title=title,
        source="aws.cloudwatch",
        account="prod (111111111111)",
        severity=Severity.HIGH,
        state=SignalState.FIRING,
        count=n + 1,
        **extra,
    )


def summary(**extra) -> DailyReport:
    values = {
        "day": "2026-11-26",
        "start": NOW - 90000,
        "end": NOW - 3601,
        "events": 12345,
        "alerts": 67,
        "by_source": [CountItem(label="aws.cloudwatch", count=12000)],
        "by_account": [CountItem(label="prod (111111111111)", count=12345)],
        "by_severity": [CountItem(label="HIGH", count=345), CountItem(label="INFO", count=12000)],
        "hourly": [0] * 12 + [1000] * 12,
        "opened": 12,
        "resolved": 10,
        "still_open": 5,
        "acked": 4,
        "mtta": 600,
        "mttr": 4500,
        "noisiest": [listed("CpuHigh", 9, status=AlertStatus.OPEN)],
        "parts": 3,
    }
    return DailyReport(**{**values, **extra})


def text_of(blocks) -> str:
    return "\n".join(mrkdwn_texts(blocks))


def test_the_summary_says_what_the_numbers_are():
    blocks, text = report_blocks(summary(), now=NOW)
    shown = text_of(blocks)
    assert blocks[0]["text"]["text"] == ":bar_chart: Daily report: 2026-11-26 (UTC)"
    assert "*12,345 events* from 67 alerts" in shown
    assert "12 opened · 10 resolved · 5 still open" in shown
    assert "Mean time to acknowledge 10 min (over 4)" in shown
    assert "mean time to resolve 1 h 15 min (over 10)" in shown
    assert "aws.cloudwatch: 12,000" in shown and "HIGH: 345" in shown
    assert "peak 1,000 at 12:00" in shown
    assert f"1. {SEVERITY_EMOJI[Severity.HIGH]} *CpuHigh* ×10 · prod (111111111111) · open" in shown
    assert "Details by source in the thread (3 replies)." in shown
    assert "12,345 events" in text
    assert_within_limits(blocks, text)
    assert_slack_accepts(blocks)


def test_a_quiet_day_says_so():
    blocks, _ = report_blocks(
        summary(
            events=0,
            alerts=0,
            by_source=[],
            by_account=[],
            by_severity=[],
            hourly=[0] * 24,
            noisiest=[],
            parts=0,
            mtta=None,
            mttr=None,
        ),
        now=NOW,
    )
    shown = text_of(blocks)
    assert "A quiet day: no events." in shown
    assert "Mean time to acknowledge: none" in shown
    assert "Events per hour" not in shown
    assert "thread" not in shown


def test_silences_are_listed_with_those_ending_soon_and_the_rest_counted():
    silences = [
        Silence(
            id=f"s{n}",
            matcher=HOSTILE,
            created_by="U1",
            reason=HOSTILE,
            created_at=NOW - 60,
            expires_at=NOW + 600 * (n + 1),
        )
        for n in range(3)
    ]
    blocks, _text = report_blocks(
        summary(silences=silences, silences_total=14, expiring=2), now=NOW
    )
    shown = text_of(blocks)
    assert "*Silences*: 14 active, 2 end within 24 h" in shown
    assert "… and 11 more" in shown
    for piece in mrkdwn_texts(blocks):
        assert_safe_mrkdwn(piece, frozenset({"U1"}))


def test_a_capped_count_of_alerts_says_at_least():
    blocks, _ = report_blocks(summary(untracked=99), now=NOW)
    assert "from at least 67 alerts" in text_of(blocks)


def test_a_reply_lists_its_alerts_worst_first_with_their_status():
    part = ReportPart(
        day="2026-11-26",
        source="aws.guardduty",
        events=40,
        alerts_total=85,
        alerts=[listed("Probe", 3, status=AlertStatus.ACKED), listed("Recon", 1)],
        part=2,
        parts=3,
    )
    blocks, text = part_blocks(part)
    shown = text_of(blocks)
    assert "*aws.guardduty*: 40 events, 85 alerts (part 2 of 3)" in shown
    assert "*Probe* ×4 · prod (111111111111) · acked" in shown
    assert "*Recon* ×2 · prod (111111111111) · firing" in shown
    assert text == "2026-11-26 · aws.guardduty (part 2 of 3)"


def test_a_full_reply_of_long_hostile_titles_fits_in_one_message():
    alerts = [listed(HOSTILE * 20, n) for n in range(PART_ALERTS)]
    part = ReportPart(day="2026-11-26", source=HOSTILE, events=10**6, alerts_total=10**4,
                      alerts=alerts)  # fmt: skip
    blocks, text = part_blocks(part)
    assert_within_limits(blocks, text)
    assert_slack_accepts(blocks)
    shown = text_of(blocks)
    assert shown.count("×") == PART_ALERTS  # every alert is there, none cut off
    for piece in mrkdwn_texts(blocks):
        assert_safe_mrkdwn(piece)


def test_sparkline_scales_to_the_busiest_hour():
    assert sparkline([0] * 24) == "▁" * 24
    line = sparkline([0, 1, 50, 100])
    assert line[0] == "▁" and line[-1] == "█"
    assert line[1] != "▁"  # an hour with one event is not drawn as an empty one
    assert len(sparkline(list(range(24)))) == 24


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TEXT, source=TEXT, label=TEXT)
def test_whatever_the_text_the_messages_stay_within_limits(title, source, label):
    report = summary(
        by_source=[CountItem(label=label, count=n) for n in range(10)],
        by_account=[CountItem(label=label, count=1)],
        noisiest=[listed(title, n) for n in range(5)],
    )
    blocks, text = report_blocks(report, now=NOW)
    assert_within_limits(blocks, text)
    assert_slack_accepts(blocks)
    part = ReportPart(day="2026-11-26", source=source, events=1, alerts_total=1,
                      alerts=[listed(title, n) for n in range(PART_ALERTS)])  # fmt: skip
    blocks, text = part_blocks(part)
    assert_within_limits(blocks, text)
    assert_slack_accepts(blocks)
    for piece in mrkdwn_texts(blocks):
        assert_safe_mrkdwn(piece)
