"""IAM Access Analyzer interpreter: an ACTIVE finding fires at its own severity when it has
one, else HIGH when public, else MEDIUM; ARCHIVED and RESOLVED close it. Each finding is
its own alert, keyed by its id."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, SignalState
from bot.sources import accessanalyzer, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event
from tests.factories import accessanalyzer as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
FINDINGS_LINK = (
    "https://us-east-1.console.aws.amazon.com/access-analyzer/home?region=us-east-1#/findings"
)
KEY = f"accessanalyzer:123456789012:us-east-1:{f.FINDING_ID}"


def _event(
    detail: dict[str, Any], detail_type: str | None = f.EXTERNAL, region: str | None = "us-east-1"
) -> Event:
    resources = [f.analyzer_arn(region=region)] if region else []
    return make_event(detail_type, f.SOURCE, detail, region=region, resources=resources)


def _one(event: Event):
    [signal] = accessanalyzer.interpret(event, CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_cross_account_bucket_is_medium() -> None:
    signal = _one(corpus("accessanalyzer_finding_active_cross_account_s3.json"))
    assert signal.family == "accessanalyzer"
    assert signal.title == (
        "Access Analyzer: S3 Bucket my-bucket is shared with 999988887777"
        " (outside the zone of trust)"
    )
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert signal.fingerprint == (
        "accessanalyzer:111122223333:us-west-2:22222222-dcba-4444-dcba-333333333333"
    )
    assert signal.console_url == (
        "https://us-west-2.console.aws.amazon.com/access-analyzer/home?region=us-west-2#/findings"
    )
    values = field_values(signal)
    assert values["Actions"] == "s3:GetObject"
    assert values["Public"] == "false"
    assert values["Resource"] == "arn:aws:s3:::my-bucket"


def test_corpus_error_finding_is_medium_and_says_why() -> None:
    signal = _one(corpus("accessanalyzer_finding_active_error_access_denied.json"))
    assert (
        signal.title == "Access Analyzer: S3 Bucket my-bucket could not be analyzed (ACCESS_DENIED)"
    )
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)


# ---------------------------------------------------------------------------------------------
# Severity and status
# ---------------------------------------------------------------------------------------------


def test_a_public_resource_is_high() -> None:
    signal = _one(_event(f.finding(is_public=True, principal={"AWS": "*"})))
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.title == "Access Analyzer: S3 Bucket my-bucket is public"
    assert signal.fingerprint == KEY


@pytest.mark.parametrize("is_public", [False, None])
def test_a_finding_neither_public_nor_rated_is_medium(is_public: bool | None) -> None:
    signal = _one(_event(f.finding(is_public=is_public)))
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)


@pytest.mark.parametrize(
    ("label", "severity", "state"),
    [
        ("CRITICAL", Severity.CRITICAL, SignalState.FIRING),
        ("High", Severity.HIGH, SignalState.FIRING),
        ("MEDIUM", Severity.MEDIUM, SignalState.FIRING),
        ("low", Severity.LOW, SignalState.FIRING),
        ("INFORMATIONAL", Severity.INFO, SignalState.INFO),
        ("bogus", Severity.HIGH, SignalState.FIRING),
    ],
)
def test_its_own_severity_comes_first(label: str, severity: Severity, state: SignalState) -> None:
    signal = _one(_event(f.finding(is_public=True, severity=label)))
    assert (signal.severity, signal.state) == (severity, state)


@pytest.mark.parametrize("status", ["ARCHIVED", "RESOLVED", "resolved"])
def test_archived_and_resolved_findings_close_their_alert(status: str) -> None:
    active = _one(_event(f.finding(is_public=True)))
    closed = _one(_event(f.finding(status, is_public=True)))
    assert active.state is SignalState.FIRING
    assert (closed.severity, closed.state) == (Severity.INFO, SignalState.RESOLVED)
    assert closed.fingerprint == active.fingerprint == KEY
    assert closed.title.endswith(f"is public ({status.upper()})")


def test_findings_are_separate_alerts() -> None:
    one = _one(_event(f.finding()))
    two = _one(_event(f.finding(finding_id="33333333-dcba-4444-dcba-444444444444")))
    assert one.fingerprint != two.fingerprint


def test_principals_and_conditions_are_listed() -> None:
    principal = {"AWS": ["111111111111", "222222222222"], "Federated": "cognito-identity"}
    signal = _one(_event(f.finding(principal=principal)))
    values = field_values(signal)
    assert values["Principal"] == "111111111111, 222222222222, cognito-identity"
    assert values["Condition"] == "aws:SourceVpc=vpc-0a1b2c3d"
    assert values["Actions"] == "s3:GetObject, s3:ListBucket"


# ---------------------------------------------------------------------------------------------
# Unused and internal access
# ---------------------------------------------------------------------------------------------


def test_unused_access_is_keyed_by_its_finding_id() -> None:
    signal = _one(_event(f.unused_finding(), f.UNUSED))
    assert (
        signal.title == "Access Analyzer: IAM Role OldDeployRole has unused access (UnusedIAMRole)"
    )
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert signal.fingerprint == (
        "accessanalyzer:123456789012:us-east-1:b8ae0460-5d29-4922-b92a-ba956c986277"
    )
    assert field_values(signal)["Finding type"] == "UnusedIAMRole"


def test_unused_access_resolved_closes_its_alert() -> None:
    active = _one(_event(f.unused_finding(), f.UNUSED))
    resolved = _one(_event(f.unused_finding("RESOLVED"), f.UNUSED))
    assert resolved.state is SignalState.RESOLVED
    assert resolved.fingerprint == active.fingerprint


def test_internal_access_names_its_principal() -> None:
    principal = {"AWS": "arn:aws:iam::123456789012:role/MyRole"}
    signal = _one(_event(f.finding(principal=principal), f.INTERNAL))
    assert signal.title.endswith(
        "is shared with arn:aws:iam::123456789012:role/MyRole (within the zone of trust)"
    )
    assert signal.severity is Severity.MEDIUM


# ---------------------------------------------------------------------------------------------
# Partitions, reduced events, dispatch and robustness
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_follow_the_partition(region: str, host: str) -> None:
    signal = _one(_event(f.finding(), region=region))
    assert signal.console_url == f"{host}/access-analyzer/home?region={region}#/findings"
    assert signal.fingerprint == f"accessanalyzer:123456789012:{region}:{f.FINDING_ID}"


def test_no_link_without_a_region() -> None:
    signal = _one(_event(f.finding(is_public=True), region=None))
    assert signal.region is None
    assert signal.console_url is None
    assert signal.severity is Severity.HIGH


def test_a_reduced_event_without_detail_type_is_read_by_its_shape() -> None:
    external = _one(_event(f.finding("ARCHIVED"), detail_type=None))
    unused = _one(_event(f.unused_finding(), detail_type=None))
    assert external.state is SignalState.RESOLVED
    assert unused.title.endswith("has unused access (UnusedIAMRole)")


def test_dispatch_reaches_the_accessanalyzer_interpreter() -> None:
    [signal] = interpret(corpus("accessanalyzer_finding_active_cross_account_s3.json"))
    assert signal.family == accessanalyzer.FAMILY
    assert signal.state is SignalState.FIRING


@pytest.mark.parametrize(
    "detail_type", ["Access Preview State Change", "AWS API Call via CloudTrail"]
)
def test_other_detail_types_are_left_to_the_generic_view(detail_type: str) -> None:
    detail = {"accessPreviewId": "aaaabbbb", "status": "COMPLETED"}
    assert_left_to_generic(accessanalyzer.interpret, make_event(detail_type, f.SOURCE, detail))


@settings(max_examples=60, deadline=None)
@given(
    detail_type=st.sampled_from([f.EXTERNAL, f.UNUSED, f.INTERNAL]),
    detail=junk_like({**f.finding(is_public=True, severity="HIGH"), **f.unused_finding()}),
    resources=st.lists(st.sampled_from([f.analyzer_arn()]) | st.text(), max_size=2),
)
def test_any_detail_gives_one_readable_signal(
    detail_type: str, detail: object, resources: list[str]
) -> None:
    body = detail if isinstance(detail, dict) else {"status": detail}
    event = make_event(detail_type, f.SOURCE, body, resources=resources)
    [signal] = accessanalyzer.interpret(event, CTX)
    assert_readable(signal, "accessanalyzer:123456789012:us-east-1:")
