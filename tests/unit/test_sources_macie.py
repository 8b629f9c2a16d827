"""Amazon Macie interpreter: a finding fires at Macie's own rating (High, Medium, Low), an
archived one closes its alert, and each finding is its own alert, keyed by its id."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, SignalState
from bot.sources import interpret, macie
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, field_values, make_event
from tests.factories import macie as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
KEY = f"macie:123456789012:us-east-1:{f.FINDING_ID}"
SEARCH = "findings?search=id%3D64b917aa-3843-014c-91d8-937ffexample&macros=current"


def _event(
    detail: dict[str, Any], detail_type: str | None = f.FINDING, region: str | None = "us-east-1"
) -> Event:
    return make_event(detail_type, f.SOURCE, detail, region=region)


def _one(event: Event):
    [signal] = macie.interpret(event, CTX)
    return signal


@pytest.mark.parametrize(
    ("rating", "severity"),
    [
        ("High", Severity.HIGH),
        ("Medium", Severity.MEDIUM),
        ("Low", Severity.LOW),
        ("HIGH", Severity.HIGH),
    ],
)
def test_macie_rating_decides_severity(rating: str, severity: Severity) -> None:
    signal = _one(_event(f.finding(rating)))
    assert signal.family == "macie"
    assert (signal.severity, signal.state) == (severity, SignalState.FIRING)
    assert signal.title == (
        "Macie: The S3 object contains personal information in "
        "customer-exports/2023/11/customers.csv"
    )
    assert signal.fingerprint == KEY


@pytest.mark.parametrize(
    ("score", "severity"),
    [(3, Severity.HIGH), (2, Severity.MEDIUM), (1, Severity.LOW), (7, Severity.MEDIUM)],
)
def test_without_a_description_the_score_decides(score: int, severity: Severity) -> None:
    signal = _one(_event(f.finding(None, score=score)))
    assert (signal.severity, signal.state) == (severity, SignalState.FIRING)


def test_a_finding_without_any_rating_is_medium() -> None:
    detail = f.finding()
    del detail["severity"]
    assert _one(_event(detail)).severity is Severity.MEDIUM


def test_an_archived_finding_closes_its_alert() -> None:
    active = _one(_event(f.finding("High")))
    archived = _one(_event(f.finding("High", archived=True)))
    other = _one(_event(f.finding("High", finding_id="another-finding")))
    assert (archived.severity, archived.state) == (Severity.INFO, SignalState.RESOLVED)
    assert archived.title.endswith("(archived)")
    assert archived.fingerprint == active.fingerprint == KEY
    assert other.fingerprint != KEY


def test_a_bucket_finding_names_the_bucket() -> None:
    detail = f.finding(
        "Low",
        key=None,
        finding_type="Policy:IAMUser/S3BucketEncryptionDisabled",
        title="Encryption is disabled for the S3 bucket",
    )
    signal = _one(_event(detail))
    assert signal.title == "Macie: Encryption is disabled for the S3 bucket in customer-exports"
    values = field_values(signal)
    assert values["Finding type"] == "Policy:IAMUser/S3BucketEncryptionDisabled"
    assert values["Category"] == "POLICY"
    assert "Object" not in values
    assert signal.resource == "arn:aws:s3:::customer-exports"


def test_the_finding_type_names_a_finding_without_a_title() -> None:
    detail = f.finding()
    del detail["title"]
    detail["type"] = {"id": "SensitiveData:S3Object/Credentials"}
    signal = _one(_event(detail))
    assert signal.title.startswith("Macie: SensitiveData:S3Object/Credentials in customer-exports/")


def test_fields_and_description() -> None:
    signal = _one(_event(f.finding("Medium")))
    values = field_values(signal)
    assert values["Bucket"] == "customer-exports"
    assert values["Object"] == "2023/11/customers.csv"
    assert values["Severity"] == "Medium"
    assert values["Finding ID"] == f.FINDING_ID
    assert signal.description.startswith("The object contains personal information")


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_follow_the_partition(region: str, host: str) -> None:
    signal = _one(_event(f.finding(), region=region))
    assert signal.console_url == f"{host}/macie/home?region={region}#{SEARCH}"
    assert signal.fingerprint == f"macie:123456789012:{region}:{f.FINDING_ID}"


def test_no_link_without_a_region() -> None:
    signal = _one(_event(f.finding(), region=None))
    assert signal.region is None
    assert signal.console_url is None
    assert signal.severity is Severity.HIGH


def test_a_reduced_event_without_detail_type_is_read_by_its_shape() -> None:
    assert _one(_event(f.finding("Low"), detail_type=None)).severity is Severity.LOW


def test_dispatch_reaches_the_macie_interpreter() -> None:
    [signal] = interpret(_event(f.finding("High")))
    assert signal.family == macie.FAMILY
    assert (
        signal.console_url
        == f"https://us-east-1.console.aws.amazon.com/macie/home?region=us-east-1#{SEARCH}"
    )


def test_cloudtrail_calls_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event(
        "AWS API Call via CloudTrail", f.SOURCE, {"eventName": "CreateClassificationJob"}
    )
    assert_left_to_generic(macie.interpret, event)


@settings(max_examples=60, deadline=None)
@given(detail=junk_like(f.finding("High", archived=True)) | st.builds(dict))
def test_any_detail_gives_one_readable_signal(detail: object) -> None:
    body = detail if isinstance(detail, dict) else {"severity": detail}
    [signal] = macie.interpret(_event(body), CTX)
    assert_readable(signal, "macie:123456789012:us-east-1:")
    if body.get("archived") is True:
        assert signal.state is SignalState.RESOLVED
