"""Security Hub interpreter: one signal per finding, severity from the label (or the
normalized score), resolution from compliance, workflow or record state."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import securityhub
from bot.sources.base import Context
from tests.factories import corpus, field_values, make_event
from tests.factories import securityhub as f
from tests.strategies import SCALARS, assert_left_to_generic, assert_readable, junk_object

CTX = Context()
CIS_ID = (
    "arn:aws:securityhub:us-east-1:111111111111:subscription/cis-aws-foundations-benchmark"
    "/v/1.2.0/1.4/finding/e7d83ca8-6afd-428e-8ab0-e5b5b3b2239f"
)


def _event(*findings: dict[str, Any], region: str | None = "us-east-1", **kwargs: Any) -> Event:
    detail = f.findings(*findings, **kwargs)
    kind = f.CUSTOM_ACTION if "action_name" in kwargs else f.IMPORTED
    return make_event(kind, f.SOURCE, detail, region=region)


def _one(**kwargs: Any) -> Signal:
    [signal] = securityhub.interpret(_event(f.finding(**kwargs)), CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_cis_medium_fires_with_its_control_and_remediation() -> None:
    [signal] = securityhub.interpret(corpus("securityhub_findings_imported_cis_medium.json"), CTX)
    assert signal.family == "securityhub"
    assert signal.title == "1.4 Ensure access keys are rotated every 90 days or less"
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert signal.fingerprint == f"securityhub:{CIS_ID}"
    assert signal.account == "111111111111"
    assert signal.console_url == (
        "https://us-east-1.console.aws.amazon.com/securityhub/home?region=us-east-1"
        "#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A"
        + quote(quote(CIS_ID, safe=""), safe="")
    )
    assert "arn%253Aaws%253Asecurityhub" in signal.console_url  # the console's double encoding
    shown = field_values(signal)
    assert shown["Product"] == "Security Hub"  # only in ProductFields here
    assert shown["Compliance"] == "WARNING"
    assert shown["Workflow"] == "NEW"
    assert shown["Control"] == "1.4"
    assert shown["Resource"] == "AwsAccount AWS::::Account:111111111111"
    assert shown["Remediation"].endswith(
        "https://docs.aws.amazon.com/console/securityhub/standards-cis-1.4/remediation"
    )
    assert "Action" not in shown


def test_corpus_informational_finding_is_info() -> None:
    [signal] = securityhub.interpret(
        corpus("securityhub_findings_imported_afsbp_informational.json"), CTX
    )
    assert signal.title == "EC2.7 EBS default encryption should be enabled"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert field_values(signal)["Severity"] == "INFORMATIONAL"


def test_corpus_custom_action_gives_one_signal_per_finding() -> None:
    signals = securityhub.interpret(corpus("securityhub_findings_custom_action_critical.json"), CTX)
    assert [s.title for s in signals] == [
        "IAM.6 Hardware MFA should be enabled for the root user",
        "RDS.4 RDS cluster snapshots and database snapshots should be encrypted at rest",
    ]
    assert [s.severity for s in signals] == [Severity.CRITICAL, Severity.MEDIUM]
    assert {s.state for s in signals} == {SignalState.FIRING}
    assert len({s.fingerprint for s in signals}) == 2
    assert all(s.fingerprint.startswith("securityhub:arn:aws:securityhub:") for s in signals)
    assert [field_values(s)["Action"] for s in signals] == ["CIS 1.5 - 1.11"] * 2
    assert [field_values(s)["Control"] for s in signals] == ["IAM.6", "RDS.4"]
    assert signals[1].resource == (
        "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:miotest-us-east-1c-final-snapshot"
    )


# ---------------------------------------------------------------------------------------------
# Severity and state
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "severity", "state"),
    [
        ("CRITICAL", Severity.CRITICAL, SignalState.FIRING),
        ("HIGH", Severity.HIGH, SignalState.FIRING),
        ("medium", Severity.MEDIUM, SignalState.FIRING),
        ("LOW", Severity.LOW, SignalState.FIRING),
        ("INFORMATIONAL", Severity.INFO, SignalState.INFO),
    ],
)
def test_label_gives_severity(label: str, severity: Severity, state: SignalState) -> None:
    signal = _one(label=label)
    assert (signal.severity, signal.state) == (severity, state)


@pytest.mark.parametrize(
    ("label", "normalized", "severity"),
    [
        (None, 95, Severity.CRITICAL),
        (None, 90, Severity.CRITICAL),
        (None, 75, Severity.HIGH),
        (None, 50, Severity.MEDIUM),
        (None, 10, Severity.LOW),
        ("bogus", 70, Severity.HIGH),  # an unknown label falls back to the score
        (None, None, Severity.LOW),
    ],
)
def test_normalized_score_is_the_fallback(
    label: str | None, normalized: float | None, severity: Severity
) -> None:
    signal = _one(label=label, normalized=normalized)
    assert (signal.severity, signal.state) == (severity, SignalState.FIRING)


def test_normalized_zero_is_informational() -> None:
    signal = _one(label=None, normalized=0)
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)


@pytest.mark.parametrize(
    "change",
    [
        {"compliance": "PASSED"},
        {"workflow": "RESOLVED"},
        {"workflow": None, "workflow_state": "RESOLVED"},
        {"record_state": "ARCHIVED"},
        {"label": "INFORMATIONAL", "compliance": "PASSED"},
    ],
)
def test_resolution_resolves_the_same_alert(change: dict[str, Any]) -> None:
    firing = _one(label="CRITICAL")
    resolved = _one(**{"label": "CRITICAL", **change})
    assert (resolved.severity, resolved.state) == (Severity.INFO, SignalState.RESOLVED)
    assert resolved.fingerprint == firing.fingerprint


@pytest.mark.parametrize("workflow", ["NEW", "NOTIFIED", "SUPPRESSED"])
def test_other_workflow_states_keep_firing(workflow: str) -> None:
    assert _one(workflow=workflow).state is SignalState.FIRING


def test_fingerprints_differ_across_findings() -> None:
    assert _one().fingerprint != _one(finding_id="arn:aws:securityhub:x:finding/2").fingerprint


def test_findings_without_an_id_never_share_an_alert() -> None:
    first, second = (f.finding(finding_id=""), f.finding(finding_id=""))
    signals = securityhub.interpret(_event(first, second), CTX)
    assert len(signals) == 2
    assert signals[0].fingerprint != signals[1].fingerprint


# ---------------------------------------------------------------------------------------------
# Account, region, product and links
# ---------------------------------------------------------------------------------------------


def test_finding_region_wins_then_resource_region_then_event_region() -> None:
    assert _one(region="eu-west-1", resource_region="us-west-2").region == "eu-west-1"
    assert _one(resource_region="us-west-2").region == "us-west-2"
    [signal] = securityhub.interpret(
        _event(f.finding(resource_region=None), region="ap-south-1"), CTX
    )
    assert signal.region == "ap-south-1"


def test_finding_account_wins_over_the_event_account() -> None:
    signal = _one(account="999999999999")
    assert signal.account == "999999999999"


def test_govcloud_finding_links_to_the_govcloud_console() -> None:
    signal = _one(region="us-gov-east-1")
    assert signal.console_url is not None
    assert signal.console_url.startswith(
        "https://console.amazonaws-us-gov.com/securityhub/home?region=us-gov-east-1#/findings?"
    )


def test_china_finding_links_to_the_china_console() -> None:
    signal = _one(resource_region="cn-north-1")
    assert signal.console_url is not None
    assert signal.console_url.startswith(
        "https://console.amazonaws.cn/securityhub/home?region=cn-north-1#/findings?"
    )


def test_top_level_product_name_and_custom_action_are_shown() -> None:
    event = _event(f.finding(product_name="Inspector"), action_name="Page on-call")
    [signal] = securityhub.interpret(event, CTX)
    shown = field_values(signal)
    assert shown["Product"] == "Inspector"
    assert shown["Action"] == "Page on-call"
    assert shown["Resource"] == "AwsS3Bucket arn:aws:s3:::my-bucket"
    assert shown["Remediation"] == "Enable it. https://docs.aws.amazon.com/x"


def test_control_falls_back_to_the_generator() -> None:
    shown = field_values(_one(control_id=None))
    assert shown["Control"] == "aws-foundational-security-best-practices/v/1.0.0/S3.1"


def test_an_event_without_findings_falls_back_to_the_generic_view() -> None:
    event = _event()
    assert_left_to_generic(securityhub.interpret, event)


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------

_KEYS = [*f.finding(), "Label", "Normalized", "Status", "Type", "Id", "Region", "Text", "Url"]


@settings(max_examples=50, deadline=None)
@given(
    findings=st.lists(junk_object(_KEYS), min_size=1, max_size=3),
    extra=st.lists(SCALARS, max_size=2),
)
def test_any_finding_still_gives_a_signal(findings: list[dict[str, Any]], extra: list[Any]) -> None:
    event = make_event(f.IMPORTED, f.SOURCE, {"findings": [*findings, *extra]})
    signals = securityhub.interpret(event, CTX)
    assert len(signals) == len(findings)  # non-object entries are skipped
    for signal in signals:
        assert_readable(signal, "securityhub:")


@pytest.mark.parametrize("findings", [None, "x", 3, {"Id": "a"}])
def test_findings_of_the_wrong_type_give_nothing(findings: Any) -> None:
    event = make_event(f.IMPORTED, f.SOURCE, {"findings": findings})
    assert securityhub.interpret(event, CTX) == []
