"""Inspector interpreter: an active finding of critical, high or medium severity fires at
that severity until it is closed or suppressed; lower ones are news. A scan fires at the
worst severity it counted and a completed scan without those resolves."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Severity, SignalState
from bot.sources import inspector, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event, one_signal
from tests.factories import inspector as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
FINDING_KEY = f"inspector:123456789012:us-east-1:{f.finding_arn()}"
SCAN_KEY = f"inspector:123456789012:us-east-1:team/web:{f.DIGEST}"
FINDINGS_LINK = (
    "https://us-east-1.console.aws.amazon.com/inspector/v2/home?region=us-east-1#/findings"
)


_one = partial(one_signal, inspector.interpret, f.SOURCE)


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_active_medium_finding_fires_medium() -> None:
    [signal] = inspector.interpret(
        corpus("inspector_finding_ecr_package_vulnerability_medium.json"), CTX
    )
    assert signal.family == "inspector"
    assert signal.title == "CVE-2019-17498 - libssh2 on amazon/amazon-ecs-sample:latest"
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert signal.fingerprint == (
        "inspector:123456789012:us-east-2:"
        "arn:aws:inspector2:us-east-2:123456789012:finding/be674aaddd0f75ac632055EXAMPLE"
    )
    values = field_values(signal)
    assert values["Vulnerability"] == "CVE-2019-17498"
    assert values["Packages"] == "libssh2 1.4.3"
    assert values["Inspector score"] == "6.5"
    assert signal.description.startswith("In libssh2 v1.9.0 and earlier versions")


def test_corpus_scan_with_critical_counts_fires_critical() -> None:
    [signal] = inspector.interpret(
        corpus("inspector_scan_ecr_initial_scan_complete_critical.json"), CTX
    )
    assert signal.title == (
        "Inspector scan of amazon/amazon-ecs-sample:latest: 7 critical, 61 high, 62 medium findings"
    )
    assert (signal.severity, signal.state) == (Severity.CRITICAL, SignalState.FIRING)
    assert signal.fingerprint == (
        "inspector:123456789012:us-east-2:amazon/amazon-ecs-sample:"
        "sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE"
    )
    assert field_values(signal)["Total findings"] == "158"


# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity_label", "status", "severity", "state"),
    [
        ("CRITICAL", "ACTIVE", Severity.CRITICAL, SignalState.FIRING),
        ("HIGH", "ACTIVE", Severity.HIGH, SignalState.FIRING),
        ("MEDIUM", "ACTIVE", Severity.MEDIUM, SignalState.FIRING),
        ("LOW", "ACTIVE", Severity.INFO, SignalState.INFO),
        ("INFORMATIONAL", "ACTIVE", Severity.INFO, SignalState.INFO),
        ("UNTRIAGED", "ACTIVE", Severity.INFO, SignalState.INFO),
        ("CRITICAL", "CLOSED", Severity.INFO, SignalState.RESOLVED),
        ("HIGH", "SUPPRESSED", Severity.INFO, SignalState.RESOLVED),
        ("HIGH", "INACTIVE", Severity.INFO, SignalState.INFO),
        ("HIGH", "", Severity.INFO, SignalState.INFO),
    ],
)
def test_status_and_severity_decide(
    severity_label: str, status: str, severity: Severity, state: SignalState
) -> None:
    signal = _one(f.FINDING, f.finding(severity_label, status))
    assert (signal.severity, signal.state) == (severity, state)
    assert signal.fingerprint == FINDING_KEY


def test_closing_the_finding_resolves_its_alert() -> None:
    active = _one(f.FINDING, f.finding("HIGH", "ACTIVE"))
    closed = _one(f.FINDING, f.finding("HIGH", "CLOSED"))
    assert active.title == "CVE-2023-0001 - libssh2 on team/web:v1"
    assert closed.title == "CVE-2023-0001 - libssh2 on team/web:v1 (CLOSED)"
    assert active.fingerprint == closed.fingerprint == FINDING_KEY


def test_findings_have_alerts_of_their_own() -> None:
    one = _one(f.FINDING, f.finding())
    other = _one(f.FINDING, f.finding(finding="0000aaaa"))
    assert one.fingerprint != other.fingerprint


def test_a_finding_without_its_arn_is_keyed_by_vulnerability_and_resource() -> None:
    detail = f.finding()
    del detail["findingArn"]
    signal = _one(f.FINDING, detail)
    assert signal.fingerprint.startswith("inspector:123456789012:us-east-1:CVE-2023-0001:")
    assert signal.console_url == FINDINGS_LINK


def test_functions_and_instances_are_named_as_people_know_them() -> None:
    detail = f.finding()
    detail["resources"] = [
        {
            "id": "arn:aws:lambda:us-east-1:123456789012:function:resize:$LATEST",
            "type": "AWS_LAMBDA_FUNCTION",
            "details": {"awsLambdaFunction": {"functionName": "resize"}},
        }
    ]
    assert _one(f.FINDING, detail).title == "CVE-2023-0001 - libssh2 on resize"
    detail["resources"] = [{"id": "i-0abc", "type": "AWS_EC2_INSTANCE"}]
    assert _one(f.FINDING, detail).title == "CVE-2023-0001 - libssh2 on i-0abc"


# ---------------------------------------------------------------------------------------------
# Scans and other events
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "severity", "state"),
    [
        (
            {"CRITICAL": 7, "HIGH": 61, "MEDIUM": 62, "TOTAL": 158},
            Severity.CRITICAL,
            SignalState.FIRING,
        ),
        ({"CRITICAL": 0, "HIGH": 1, "MEDIUM": 0, "TOTAL": 1}, Severity.HIGH, SignalState.FIRING),
        ({"CRITICAL": 0, "HIGH": 0, "MEDIUM": 3, "TOTAL": 9}, Severity.MEDIUM, SignalState.FIRING),
        ({"CRITICAL": 0, "HIGH": 0, "MEDIUM": 0, "TOTAL": 4}, Severity.INFO, SignalState.RESOLVED),
    ],
)
def test_scan_worst_count_decides(
    counts: dict[str, int], severity: Severity, state: SignalState
) -> None:
    signal = _one(f.SCAN, f.scan(counts))
    assert (signal.severity, signal.state) == (severity, state)
    assert signal.fingerprint == SCAN_KEY


def test_a_clean_rescan_resolves_the_scan_alert() -> None:
    dirty = _one(f.SCAN, f.scan({"HIGH": 2, "TOTAL": 2}))
    clean = _one(f.SCAN, f.scan({"TOTAL": 0}))
    assert (dirty.state, clean.state) == (SignalState.FIRING, SignalState.RESOLVED)
    assert dirty.fingerprint == clean.fingerprint == SCAN_KEY
    assert clean.title == "Inspector scan of team/web:v1: no critical, high or medium findings"


def test_a_scan_not_complete_without_counts_is_news() -> None:
    signal = _one(f.SCAN, f.scan({"TOTAL": 0}, status="SCAN_ELIGIBILITY_EXPIRED"))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)


def test_other_inspector_events_are_news() -> None:
    detail = {"resourceId": "i-0abc", "scanType": "PACKAGE", "scanStatus": {"reason": "x"}}
    signal = _one(f.COVERAGE, detail)
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.title == "Inspector2 Coverage: i-0abc"
    assert field_values(signal)["Scan type"] == "PACKAGE"


# ---------------------------------------------------------------------------------------------
# Links, partitions, dispatch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_and_keys_follow_the_partition(region: str, host: str) -> None:
    signal = _one(f.FINDING, f.finding(region=region), region=region)
    assert signal.console_url == f"{host}/inspector/v2/home?region={region}#/findings"
    assert signal.fingerprint == f"inspector:123456789012:{region}:{f.finding_arn(region=region)}"
    scan = _one(f.SCAN, f.scan({"HIGH": 1}, region=region), region=region)
    assert scan.console_url == (
        f"{host}/ecr/repositories/private/123456789012/team%2Fweb?region={region}"
    )


def test_region_comes_from_the_finding_arn_when_the_envelope_lacks_it() -> None:
    signal = _one(f.FINDING, f.finding(region="eu-west-1"), region=None)
    assert (
        signal.fingerprint
        == f"inspector:123456789012:eu-west-1:{f.finding_arn(region='eu-west-1')}"
    )
    assert signal.console_url == (
        "https://eu-west-1.console.aws.amazon.com/inspector/v2/home?region=eu-west-1#/findings"
    )


def test_no_link_when_the_region_is_unknown() -> None:
    detail = f.finding()
    del detail["findingArn"]
    signal = _one(f.FINDING, detail, region=None)
    assert signal.console_url is None
    assert signal.state is SignalState.FIRING


def test_dispatch_reaches_the_inspector_interpreter() -> None:
    [signal] = interpret(corpus("inspector_finding_ecr_package_vulnerability_medium.json"))
    assert signal.family == inspector.FAMILY
    assert signal.severity is Severity.MEDIUM


def test_a_reduced_event_without_detail_type_is_read_by_its_shape() -> None:
    finding = _one(None, f.finding("CRITICAL"))
    scan = _one(None, f.scan({"MEDIUM": 1}))
    assert (finding.severity, finding.fingerprint) == (Severity.CRITICAL, FINDING_KEY)
    assert (scan.severity, scan.fingerprint) == (Severity.MEDIUM, SCAN_KEY)


def test_other_detail_types_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event("AWS API Call via CloudTrail", f.SOURCE, {"eventName": "ListFindings"})
    assert_left_to_generic(inspector.interpret, event)


@settings(max_examples=60, deadline=None)
@given(
    detail_type=st.sampled_from([f.FINDING, f.SCAN, f.COVERAGE, None]),
    detail=junk_like({**f.finding(), **f.scan({"CRITICAL": 1, "TOTAL": 1})}),
    resources=st.lists(st.sampled_from([f.repository_arn()]) | st.text(), max_size=2),
)
def test_any_detail_gives_a_readable_signal(
    detail_type: str | None, detail: object, resources: list[str]
) -> None:
    event = make_event(
        detail_type,
        f.SOURCE,
        detail if isinstance(detail, dict) else {"severity": detail},
        resources=resources,
    )
    [signal] = inspector.interpret(event, CTX)
    assert_readable(signal, "inspector:123456789012:us-east-1:")
