"""blocks.alert: the alert message. Every corpus event renders into blocks Slack accepts;
untrusted text is shown, not obeyed; the controls carry exactly the contract's action ids,
values and block_id; acknowledged, silenced and resolved alerts say so; and whatever a
Signal or an Alert holds, the message stays within Slack's limits."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blocks.alert import alert_blocks, fallback_text
from blocks.look import SEVERITY_EMOJI, STATE_EMOJI
from bot.models import (
    Alert,
    AlertStatus,
    HistoryEntry,
    Severity,
    Signal,
    SignalField,
    SignalState,
)
from bot.sources import Context, interpret
from bot.sources.registry import FAMILIES
from tests.corpus import corpus_events
from tests.factories import T0, make_event
from tests.factories import alarm as alarm_factory
from tests.unit.test_blocks_slack_text import (
    TEXT,
    assert_safe_mrkdwn,
    assert_slack_accepts,
    assert_within_limits,
    mrkdwn_texts,
    text_objects,
)

CTX = Context(account_names={"123456789012": "prod"})
NOW = T0 + 600  # 2023-11-14T22:23:20Z
USER = re.compile(r"[UW][A-Z0-9]+")
SILENCE_VALUES = ["30m", "1h", "4h", "24h", "7d", "custom"]


def _alert(**kwargs: Any) -> Alert:
    values: dict[str, Any] = {
        "id": "a-1",
        "fingerprint": "fp",
        "version": 4,
        "first_seen": T0,
        "last_seen": T0,
    }
    return Alert(**{**values, **kwargs})


def _alarm(description: str = "CPU is too high", state: str = "ALARM") -> Signal:
    detail = alarm_factory.state_change(description=description, state=state)
    event = make_event(alarm_factory.STATE_CHANGE, alarm_factory.SOURCE, detail)
    [signal] = interpret(event, CTX)
    return signal


def _corpus_signals() -> list[tuple[str, Signal]]:
    return [
        (name, signal) for name, _, signals in corpus_events(received_at=T0) for signal in signals
    ]


def _by_type(blocks: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [b for b in blocks if b["type"] == kind]


def _elements(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The action elements by action_id."""
    return {e["action_id"]: e for b in _by_type(blocks, "actions") for e in b["elements"]}


def _fields(blocks: list[dict[str, Any]]) -> dict[str, str]:
    section = next(b for b in blocks if "fields" in b)
    return dict(f["text"].removeprefix("*").split("*\n", 1) for f in section["fields"])


def _all_text(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(t["text"] for b in blocks for t in text_objects(b))


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------

CORPUS = _corpus_signals()


@pytest.mark.parametrize(
    ("name", "signal"), CORPUS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CORPUS)]
)
def test_every_corpus_signal_renders_into_blocks_slack_accepts(name: str, signal: Signal) -> None:
    firing = signal.state is SignalState.FIRING
    alert = _alert(fingerprint=signal.fingerprint) if firing else None
    blocks, text = alert_blocks(signal, alert, controls=firing, now=NOW)
    assert_slack_accepts(blocks)
    assert_within_limits(blocks, text)
    for mrkdwn in mrkdwn_texts(blocks):
        assert_safe_mrkdwn(mrkdwn)
    assert blocks[0]["type"] == "header" and signal.title[:20] in blocks[0]["text"]["text"]
    assert _fields(blocks)["Severity"].startswith(signal.severity.value)
    assert "<!date^" in _by_type(blocks, "context")[-1]["elements"][0]["text"]
    assert text.startswith(f"{signal.severity.value} {signal.state.value}: ")
    if firing:
        assert {"alert_ack", "alert_silence"} <= set(_elements(blocks))
    else:
        assert set(_elements(blocks)) <= {"alert_open_console"}


def test_the_corpus_covers_every_family_and_state() -> None:
    assert {s.family for _, s in CORPUS} == set(FAMILIES) - {"agent"}  # the bot's own
    assert {s.state for _, s in CORPUS} == set(SignalState)


# ---------------------------------------------------------------------------------------------
# Untrusted text
# ---------------------------------------------------------------------------------------------


def test_an_alarm_description_cannot_ping_or_link() -> None:
    signal = _alarm("<!channel> <https://evil.example|click>")
    blocks, text = alert_blocks(signal, _alert(), controls=True, now=NOW)
    shown = _all_text(blocks)
    assert "&lt;!channel&gt; &lt;https://evil.example|click&gt;" in shown
    assert "<!channel>" not in json.dumps(blocks) and "<https://evil" not in shown
    assert "<" not in text


def test_an_acknowledger_that_is_not_a_user_id_is_shown_as_text() -> None:
    alert = _alert(status=AlertStatus.ACKED, acked_by="<!channel>", acked_at=T0)
    blocks, _ = alert_blocks(_alarm(), alert, controls=True, now=NOW)
    assert "Acknowledged by &lt;!channel&gt; at 22:13 UTC" in _all_text(blocks)


def test_fallback_text_names_severity_state_title_account_and_region() -> None:
    assert fallback_text(_alarm(), None) == "HIGH firing: CpuHigh (prod (123456789012), us-east-1)"
    bare = Signal(
        family="generic",
        title="<b> & co",
        severity=Severity.LOW,
        state=SignalState.INFO,
        fingerprint="x",
    )
    assert fallback_text(bare, None) == "LOW info: &lt;b&gt; &amp; co"
    assert fallback_text(_alarm(), _alert(status=AlertStatus.RESOLVED)).startswith(
        "HIGH resolved: "
    )


# ---------------------------------------------------------------------------------------------
# Fields and summary
# ---------------------------------------------------------------------------------------------


def test_fields_lead_with_account_region_state_severity_resource() -> None:
    blocks, _ = alert_blocks(_alarm(), _alert(), controls=True, now=NOW)
    fields = _fields(blocks)
    assert list(fields)[:5] == ["Account", "Region", "State", "Severity", "Resource"]
    assert fields["Account"] == "prod (123456789012)"
    assert fields["Severity"] == "HIGH"
    assert fields["State"] == "firing, open · OK → ALARM"  # the alarm's own State adds to ours
    assert fields["Metric"] == "AWS/EC2 CPUUtilization"
    header = blocks[0]["text"]["text"]
    assert header == f"{SEVERITY_EMOJI[Severity.HIGH]} CpuHigh"


def test_the_summary_comes_from_the_family_template_and_is_not_repeated_in_fields() -> None:
    blocks, _ = alert_blocks(_alarm(), _alert(), controls=True, now=NOW)
    summary = next(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)
    reason = "Threshold Crossed: 3 datapoints were greater than the threshold (80.0)."
    assert summary == f"CPU is too high\n_{reason}_"
    assert "Reason" not in _fields(blocks)


def test_at_most_ten_fields() -> None:
    many = [SignalField(label=f"L{i}", value=f"v{i}") for i in range(20)]
    signal = _alarm().model_copy(update={"fields": many})
    fields = _fields(alert_blocks(signal, None, controls=False)[0])
    assert list(fields) == ["Account", "Region", "State", "Severity", "Resource"] + [
        f"L{i}" for i in range(5)
    ]


def test_templates_dir_overrides_the_summary(tmp_path: Path) -> None:
    (tmp_path / "alarm.jinja").write_text(
        "{% block summary %}Runbook for {{ signal.title }}: {{ signal.description }}{% endblock %}"
    )
    signal = _alarm("<@U999> & more")
    blocks, _ = alert_blocks(signal, _alert(), controls=True, templates_dir=tmp_path, now=NOW)
    assert "Runbook for CpuHigh: &lt;@U999&gt; &amp; more" in _all_text(blocks)
    assert "<@U999>" not in _all_text(blocks)


# ---------------------------------------------------------------------------------------------
# Controls
# ---------------------------------------------------------------------------------------------


def test_open_alert_controls_follow_the_contract() -> None:
    signal = _alarm()
    blocks, _ = alert_blocks(signal, _alert(), controls=True, now=NOW)
    [actions] = _by_type(blocks, "actions")
    assert blocks[-1] is actions
    assert actions["block_id"] == "alert:a-1:4"
    elements = _elements(blocks)
    assert set(elements) == {
        "alert_open_console", "alert_ack", "alert_resolve", "alert_silence", "alert_incident"
    }  # fmt: skip
    assert elements["alert_ack"]["value"] == elements["alert_resolve"]["value"] == "a-1:4"
    assert elements["alert_open_console"]["url"] == signal.console_url
    select = elements["alert_silence"]
    assert select["type"] == "static_select"
    assert [o["value"] for o in select["options"]] == SILENCE_VALUES


def test_acknowledged_alert_offers_undo_and_says_who() -> None:
    alert = _alert(status=AlertStatus.ACKED, acked_by="U0ABC123", acked_at=T0 + 60)
    blocks, _ = alert_blocks(_alarm(), alert, controls=True, now=NOW)
    elements = _elements(blocks)
    assert set(elements) == {
        "alert_open_console", "alert_unack", "alert_resolve", "alert_silence", "alert_incident"
    }  # fmt: skip
    assert elements["alert_unack"]["value"] == "a-1:4"
    assert "Acknowledged by <@U0ABC123> at 22:14 UTC" in _all_text(blocks)
    assert _fields(blocks)["State"].startswith("firing, acknowledged")
    for mrkdwn in mrkdwn_texts(blocks):
        assert_safe_mrkdwn(mrkdwn, frozenset({"U0ABC123"}))


def test_silenced_alert_offers_unsilence_until_the_silence_ends() -> None:
    history = [HistoryEntry(at=T0, action="silenced", by="W0SILENT", note="1h")]
    alert = _alert(silenced_until=T0 + 3600, history=history)
    blocks, _ = alert_blocks(_alarm(), alert, controls=True, now=NOW)
    elements = _elements(blocks)
    assert set(elements) == {
        "alert_open_console", "alert_ack", "alert_resolve", "alert_unsilence", "alert_incident"
    }  # fmt: skip
    assert elements["alert_unsilence"]["value"] == "a-1:4"
    assert "Silenced by <@W0SILENT> until 23:13 UTC" in _all_text(blocks)
    assert _fields(blocks)["State"].startswith("firing, open, silenced")
    # Once the silence has ended, the select is back and nothing says "silenced".
    later, _ = alert_blocks(_alarm(), alert, controls=True, now=T0 + 7200)
    assert set(_elements(later)) == {
        "alert_open_console", "alert_ack", "alert_resolve", "alert_silence", "alert_incident"
    }  # fmt: skip
    assert "Silenced" not in _all_text(later)


def test_a_silence_into_another_day_shows_the_date() -> None:
    alert = _alert(silenced_until=T0 + 7 * 86400)
    blocks, _ = alert_blocks(_alarm(), alert, controls=True, now=NOW)
    assert "Silenced until 2023-11-21 22:13 UTC" in _all_text(blocks)


def test_resolved_alert_has_no_controls_and_says_how_long_it_was_open() -> None:
    alert = _alert(status=AlertStatus.RESOLVED, resolved_at=T0 + 45 * 60)
    blocks, text = alert_blocks(_alarm(), alert, controls=True, now=NOW)
    assert blocks[0]["text"]["text"] == f"{STATE_EMOJI[SignalState.RESOLVED]} Resolved: CpuHigh"
    assert set(_elements(blocks)) == {"alert_open_console"}
    assert all("block_id" not in b for b in _by_type(blocks, "actions"))
    assert "Resolved at 22:58 UTC, open for 45 min" in _all_text(blocks)
    assert _fields(blocks)["State"].startswith("resolved")
    assert text.startswith("HIGH resolved: CpuHigh")


def test_an_alert_resolved_by_hand_says_who_resolved_it_and_has_no_controls() -> None:
    history = [HistoryEntry(at=T0 + 45 * 60, action="resolved", by="U0ALICE", note="by hand")]
    alert = _alert(
        status=AlertStatus.RESOLVED, resolved_at=T0 + 45 * 60, resolved_by="U0ALICE",
        history=history,
    )  # fmt: skip
    blocks, _ = alert_blocks(_alarm(), alert, controls=True, now=NOW)
    assert set(_elements(blocks)) == {"alert_open_console"}
    assert "Resolved by <@U0ALICE> at 22:58 UTC, open for 45 min" in _all_text(blocks)
    # Its source resolving it too later leaves the name where it was.
    recovered = alert.model_copy(update={"resolved_by": None})
    blocks, _ = alert_blocks(_alarm(), recovered, controls=True, now=NOW)
    assert "Resolved by <@U0ALICE> at 22:58 UTC" in _all_text(blocks)


def test_a_resolving_signal_without_an_alert_is_a_resolved_notification() -> None:
    signal = _alarm(state="OK")
    blocks, _ = alert_blocks(signal, None, controls=False, now=NOW)
    assert blocks[0]["text"]["text"].endswith("Resolved: CpuHigh")
    assert "Resolved at 22:13 UTC" in _all_text(blocks)


def test_info_notification_offers_only_the_console_link() -> None:
    signal = _alarm().model_copy(update={"state": SignalState.INFO})
    blocks, _ = alert_blocks(signal, _alert(), controls=False, now=NOW)
    [actions] = _by_type(blocks, "actions")
    assert [e["action_id"] for e in actions["elements"]] == ["alert_open_console"]
    assert "block_id" not in actions


@pytest.mark.parametrize(
    "url", [None, "http://console.aws.amazon.com/x", "https://a b", "javascript:alert(1)"]
)
def test_no_console_button_without_a_safe_https_url(url: str | None) -> None:
    signal = _alarm().model_copy(update={"console_url": url})
    blocks, _ = alert_blocks(signal, None, controls=False, now=NOW)
    assert _by_type(blocks, "actions") == []


# ---------------------------------------------------------------------------------------------
# Any signal, any alert
# ---------------------------------------------------------------------------------------------

# Long enough that ten fields and a summary pass the message's 12,000 characters.
LONG = st.tuples(st.sampled_from(["<!here> & ", "x", "é🙂", "&amp;"]), st.integers(500, 1200)).map(
    lambda pair: pair[0] * pair[1]
)
USERS = st.none() | st.sampled_from(["U0ABC123", "W42"]) | TEXT
TIMES = st.integers(0, 4_102_444_800)  # to 2100
SIGNALS = st.builds(
    Signal,
    family=st.sampled_from(FAMILIES) | TEXT,
    title=TEXT,
    severity=st.sampled_from(Severity),
    state=st.sampled_from(SignalState),
    fingerprint=st.text(max_size=8),
    fields=st.lists(st.builds(SignalField, label=TEXT, value=TEXT | LONG), max_size=14),
    description=TEXT | LONG,
    resource=TEXT,
    console_url=st.none() | st.just("https://console.aws.amazon.com/a?b=1&c=2") | TEXT,
    account=TEXT,
    account_name=st.none() | TEXT,
    region=st.none() | TEXT,
    event_id=TEXT,
    source=TEXT,
    time=st.integers(-10, 2**40),
)
ALERTS = st.none() | st.builds(
    Alert,
    id=st.text(min_size=1, max_size=300),
    fingerprint=st.just("fp"),
    status=st.sampled_from(AlertStatus),
    silenced_until=st.none() | TIMES,
    version=st.integers(0, 10**6),
    count=st.integers(1, 10_000),
    first_seen=TIMES,
    last_seen=TIMES,
    acked_by=USERS,
    acked_at=st.none() | TIMES,
    resolved_at=st.none() | TIMES,
    history=st.lists(
        st.builds(HistoryEntry, at=TIMES, action=st.sampled_from(["silence", "ack"]), by=USERS),
        max_size=3,
    ),
)


def _mentions(alert: Alert | None) -> frozenset[str]:
    if alert is None:
        return frozenset()
    users = [alert.acked_by, *(h.by for h in alert.history)]
    return frozenset(u for u in users if u and USER.fullmatch(u))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SIGNALS, ALERTS, st.booleans(), st.none() | TIMES)
def test_any_signal_and_alert_fit_slack_and_obey_nothing(
    signal: Signal, alert: Alert | None, controls: bool, now: int | None
) -> None:
    blocks, text = alert_blocks(signal, alert, controls=controls, now=now)
    assert_within_limits(blocks, text)
    assert_slack_accepts(blocks)
    for mrkdwn in mrkdwn_texts(blocks):
        assert_safe_mrkdwn(mrkdwn, _mentions(alert))
    assert_safe_mrkdwn(text)
    assert blocks[0]["type"] == "header"
    elements = _elements(blocks)
    if "alert_silence" in elements:
        assert alert is not None and controls
        assert [o["value"] for o in elements["alert_silence"]["options"]] == SILENCE_VALUES
        block_id = next(b.get("block_id") for b in _by_type(blocks, "actions"))
        assert block_id in (f"alert:{alert.id}:{alert.version}", None)  # None: id too long
    for action_id in ("alert_ack", "alert_unack", "alert_resolve", "alert_unsilence"):
        if action_id in elements:
            assert alert is not None and controls
            assert elements[action_id]["value"] == f"{alert.id}:{alert.version}"
    if not controls or alert is None:
        assert set(elements) <= {"alert_open_console"}


def test_key_details_beyond_ten_fields_go_to_a_second_section_and_ours_always_show():
    from bot.models import Severity, Signal, SignalField, SignalState

    signal = Signal(
        family="generic",
        title="many details",
        severity=Severity.HIGH,
        state=SignalState.FIRING,
        fingerprint="fp",
        fields=[SignalField(label=f"Detail {n}", value=f"value {n}") for n in range(12)],
        resource="arn:aws:ec2:us-east-1:123456789012:instance/i-0abc1234567890def",
        description="arn:aws:ec2:us-east-1:123456789012:instance/i-0abc1234567890def",
        account="123456789012",
        region="us-east-1",
    )
    blocks, _ = alert_blocks(signal, None, controls=False)
    sections = [b for b in blocks if b["type"] == "section" and "fields" in b]
    shown = " ".join(f["text"] for s in sections for f in s["fields"])
    assert len(sections) == 2
    assert "Detail 11" in shown  # nothing beyond the first ten is lost
    assert "*Resource*" in shown  # even though the summary repeats it
