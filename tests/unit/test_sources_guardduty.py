"""GuardDuty interpreter: findings fire at their score's severity until archived, malware
scans fire only on threats, and links open the finding (or object) in its partition."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import guardduty, interpret
from bot.sources.base import Context
from tests.corpus import load
from tests.factories import corpus_sns, field_values, from_envelope, make_event
from tests.factories import guardduty as f
from tests.strategies import assert_readable, junk_object

CTX = Context()


def _sns_message(name: str) -> Any:
    return json.loads(corpus_sns(name)["Message"])


def _reduced(body: dict[str, Any]) -> Event:
    """A reduced event (detail-type, region, detail) as the envelope parser completes it."""
    detail = body["detail"]
    return make_event(
        body["detail-type"], f.SOURCE, detail, account=detail["accountId"], region=body["region"]
    )


def _one(event: Event) -> Signal:
    [signal] = guardduty.interpret(event, CTX)
    return signal


def _finding(*, account: str = "123456789012", region: str = "us-east-1", **kwargs: Any) -> Event:
    detail = f.finding(account=account, region=region, **kwargs)
    return make_event(f.FINDING, f.SOURCE, detail, account=account, region=region)


def _scan(*, region: str = "us-east-1", **kwargs: Any) -> Event:
    return make_event(f.MALWARE_SCAN, f.SOURCE, f.malware_scan(**kwargs), region=region)


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_high_minimal_finding_is_critical() -> None:
    signal = _one(_reduced(load("guardduty_finding_high_minimal.json")))
    assert signal.family == "guardduty"
    assert signal.title == "SAMPLE Unprotected port on EC2 instance i-123123123 is being probed"
    assert (signal.severity, signal.state) == (Severity.CRITICAL, SignalState.FIRING)
    assert signal.fingerprint == "guardduty:123456789:us-east-1:sample-id-2"
    assert signal.console_url == (
        "https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1"
        "#/findings?fId=sample-id-2"
    )
    assert signal.description.startswith("EC2 instance has an unprotected port")
    assert field_values(signal) == {
        "Type": "Recon:EC2 PortProbeUnprotectedPort",
        "Severity": "9 (CRITICAL)",
        "Count": "1234",
        "First seen": "2020-01-02T01:02:03Z",
        "Last seen": "2020-01-03T01:02:03Z",
    }


def test_corpus_low_minimal_finding_is_low_on_the_same_alert() -> None:
    low = _one(_reduced(load("guardduty_finding_low_minimal.json")))
    high = _one(_reduced(load("guardduty_finding_high_minimal.json")))
    assert (low.severity, low.state) == (Severity.LOW, SignalState.FIRING)
    assert low.fingerprint == high.fingerprint  # one finding id: one alert


def test_corpus_govcloud_finding_links_to_the_govcloud_console() -> None:
    signal = _one(_reduced(_sns_message("sns_guardduty_finding_govcloud.json")))
    assert signal.region == "us-gov-east-1"
    assert signal.fingerprint == "guardduty:123456789:us-gov-east-1:sample-id-2"
    assert signal.console_url == (
        "https://console.amazonaws-us-gov.com/guardduty/home?region=us-gov-east-1"
        "#/findings?fId=sample-id-2"
    )


def test_corpus_detail_only_archived_finding_resolves_with_its_context() -> None:
    detail = load("guardduty_finding_detail_only_iam_recon.json")
    event = make_event(f.FINDING, f.SOURCE, detail, account="123456789012", region="us-east-1")
    signal = _one(event)
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.RESOLVED)
    assert signal.title.startswith("Reconnaissance API GeneratedFindingAPIName was invoked")
    assert signal.fingerprint == "guardduty:123456789012:us-east-1:30bf285e52a1e405084ff6ec28e06e17"
    assert signal.resource == "GeneratedFindingAccessKeyId"
    shown = field_values(signal)
    assert shown["Severity"] == "5 (MEDIUM)"  # the score is kept even once resolved
    assert shown["Resource"] == "AccessKey GeneratedFindingAccessKeyId"
    assert shown["Action"] == "AWS_API_CALL GeneratedFindingAPIName"
    assert shown["Remote IP"] == "198.51.100.0 (GeneratedFindingCountryName)"


def test_corpus_malware_scan_with_threats_fires_high() -> None:
    signal = _one(from_envelope(_sns_message("sns_guardduty_malware_s3_scan_threats_found.json")))
    assert signal.title == "Malware found in s3://amzn-s3-demo-bucket/APKAEIBAERJR2EXAMPLE"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == (
        "guardduty:111122223333:us-east-1:malware:amzn-s3-demo-bucket:APKAEIBAERJR2EXAMPLE"
    )
    assert signal.console_url == (
        "https://us-east-1.console.aws.amazon.com/s3/object/amzn-s3-demo-bucket"
        "?region=us-east-1&prefix=APKAEIBAERJR2EXAMPLE"
    )
    shown = field_values(signal)
    assert shown["Threats"] == "EICAR-Test-File (not a virus)"
    assert shown["Result"] == "THREATS_FOUND"


# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        (10, Severity.CRITICAL),
        (9, Severity.CRITICAL),
        (8.9, Severity.HIGH),
        (7, Severity.HIGH),
        ("7.5", Severity.HIGH),
        (6.9, Severity.MEDIUM),
        (4, Severity.MEDIUM),
        (3.9, Severity.LOW),
        (0.1, Severity.LOW),
        ("High", Severity.HIGH),  # a label instead of a score
        ("nonsense", Severity.LOW),
    ],
)
def test_score_gives_severity(score: float | str, severity: Severity) -> None:
    signal = _one(_finding(severity=score))
    assert (signal.severity, signal.state) == (severity, SignalState.FIRING)


def test_archiving_resolves_the_same_alert() -> None:
    firing = _one(_finding(severity=8))
    archived = _one(_finding(severity=8, archived=True))
    assert (archived.severity, archived.state) == (Severity.INFO, SignalState.RESOLVED)
    assert archived.fingerprint == firing.fingerprint == "guardduty:123456789012:us-east-1:f-0001"


def test_fingerprints_differ_across_findings_and_accounts() -> None:
    base = _one(_finding()).fingerprint
    assert _one(_finding(finding_id="f-0002")).fingerprint != base
    assert _one(_finding(account="210987654321")).fingerprint != base


@pytest.mark.parametrize(
    ("resource_type", "shown", "resource"),
    [
        ("Instance", "Instance i-0abc", "i-0abc"),
        ("AccessKey", "AccessKey AKIAEXAMPLE", "AKIAEXAMPLE"),
        ("S3Bucket", "S3Bucket my-bucket", "my-bucket"),
    ],
)
def test_resource_is_named_by_its_type(resource_type: str, shown: str, resource: str) -> None:
    signal = _one(_finding(resource_type=resource_type))
    assert field_values(signal)["Resource"] == shown
    assert signal.resource == resource


def test_remote_ip_is_found_under_any_action() -> None:
    assert field_values(_one(_finding()))["Remote IP"] == "198.51.100.7 (Exampleland)"
    assert field_values(_one(_finding(country=None)))["Remote IP"] == "198.51.100.7"
    assert "Remote IP" not in field_values(_one(_finding(remote_ip=None, country=None)))


def test_china_finding_links_to_the_china_console() -> None:
    signal = _one(_finding(region="cn-north-1"))
    assert signal.console_url == (
        "https://console.amazonaws.cn/guardduty/home?region=cn-north-1#/findings?fId=f-0001"
    )


def test_detail_account_and_region_fill_in_for_the_event() -> None:
    detail = f.finding(account="555555555555", region="eu-west-1")
    signal = _one(make_event(f.FINDING, f.SOURCE, detail, account="", region=None))
    assert signal.account == "555555555555"
    assert signal.region == "eu-west-1"
    assert signal.fingerprint == "guardduty:555555555555:eu-west-1:f-0001"


# ---------------------------------------------------------------------------------------------
# Malware scans
# ---------------------------------------------------------------------------------------------


def test_clean_scan_is_info_on_the_objects_alert() -> None:
    clean = _one(_scan(status="NO_THREATS_FOUND"))
    infected = _one(_scan(status="THREATS_FOUND"))
    assert (clean.severity, clean.state) == (Severity.INFO, SignalState.INFO)
    assert clean.title == "No malware in s3://uploads/incoming/invoice.pdf"
    assert "Threats" not in field_values(clean)
    assert clean.fingerprint == infected.fingerprint
    assert _one(_scan(key="other.pdf")).fingerprint != infected.fingerprint


def test_unfinished_scan_informs() -> None:
    signal = _one(_scan(status="UNSUPPORTED"))
    assert (signal.severity, signal.state) == (Severity.LOW, SignalState.INFO)
    assert signal.title == "Malware scan UNSUPPORTED: s3://uploads/incoming/invoice.pdf"


def test_malware_link_quotes_the_key_and_knows_the_partition() -> None:
    signal = _one(_scan(region="us-gov-east-1", key="in box/a b.exe"))
    assert signal.console_url == (
        "https://console.amazonaws-us-gov.com/s3/object/uploads"
        "?region=us-gov-east-1&prefix=in%20box%2Fa%20b.exe"
    )


def test_dispatch_routes_agent_findings_here() -> None:
    event = make_event(None, "monitoring.agent.guardduty", f.finding(severity=9.5))
    [signal] = interpret(event)
    assert signal.family == "guardduty"
    assert signal.severity is Severity.CRITICAL


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------

_KEYS = [
    *f.finding(),
    *f.finding()["service"],
    *f.malware_scan(),
    "resourceType",
    "instanceDetails",
    "accessKeyDetails",
    "remoteIpDetails",
    "actionType",
    "bucketName",
    "objectKey",
    "scanResultStatus",
    "threats",
]


@settings(max_examples=50, deadline=None)
@given(
    detail=junk_object(_KEYS),
    detail_type=st.sampled_from([f.FINDING, f.MALWARE_SCAN]),
)
def test_any_detail_still_gives_one_signal(detail: dict[str, Any], detail_type: str) -> None:
    [signal] = guardduty.interpret(make_event(detail_type, f.SOURCE, detail), CTX)
    assert_readable(signal, "guardduty:123456789012:us-east-1:")
