"""ECR interpreter: an image scan fires at the worst severity it counted (critical, high,
medium), a completed scan of the same image without those resolves, a failed scan and the
registry's other events (pushes, deletions…) are news."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Severity, SignalState
from bot.sources import ecr, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event, one_signal
from tests.factories import ecr as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
KEY = f"ecr:123456789012:us-east-1:web:{f.DIGEST}"
REPO_LINK = (
    "https://us-east-1.console.aws.amazon.com/ecr/repositories/private/123456789012/web"
    "?region=us-east-1"
)


_one = partial(one_signal, ecr.interpret, f.SOURCE)


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_scan_with_critical_findings_fires_critical() -> None:
    [signal] = ecr.interpret(corpus("ecr_image_scan_all_severities_lambda_go.json"), CTX)
    assert signal.family == "ecr"
    assert signal.title == (
        "ECR image tribble-image-scan-test:1572471135: 10 critical, 2 high, 9 medium, 3 low "
        "vulnerabilities"
    )
    assert (signal.severity, signal.state) == (Severity.CRITICAL, SignalState.FIRING)
    assert signal.fingerprint == (
        "ecr:123456789012:eu-north-1:tribble-image-scan-test:"
        "sha256:d4a96ee9443e641fc100e763a0c10928720b50c6e3ea3342d05d7c3435fc5355"
    )
    assert signal.console_url == (
        "https://eu-north-1.console.aws.amazon.com/ecr/repositories/private/123456789012"
        "/tribble-image-scan-test?region=eu-north-1"
    )


def test_corpus_scan_without_findings_resolves_the_image() -> None:
    [signal] = ecr.interpret(corpus("ecr_image_scan_complete_no_findings_2019.json"), CTX)
    assert signal.title == (
        "ECR image my-repo@sha256:7f5b2640fe6f: no critical, high or medium vulnerabilities"
    )
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.RESOLVED)
    assert field_values(signal)["Findings"] == "none"


@pytest.mark.parametrize("name", ["ecr_image_action_push.json", "ecr_image_action_delete.json"])
def test_corpus_image_actions_are_news_on_the_image(name: str) -> None:
    [signal] = ecr.interpret(corpus(name), CTX)
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.title.startswith("ECR image my-repository-name:latest: ")
    assert signal.fingerprint == (
        "ecr:123456789012:us-west-2:my-repository-name:"
        "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"
    )


def test_corpus_scan_configuration_change_is_news_naming_its_repositories() -> None:
    [signal] = ecr.interpret(corpus("ecr_scan_resource_change_frequency.json"), CTX)
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.title == "ECR Scan Resource Change: repository-1, repository-2, repository-3"
    assert field_values(signal)["Scan type"] == "ENHANCED"


# ---------------------------------------------------------------------------------------------
# Scans
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "severity", "state"),
    [
        ({"CRITICAL": 1, "HIGH": 5, "MEDIUM": 2}, Severity.CRITICAL, SignalState.FIRING),
        ({"CRITICAL": 0, "HIGH": 5, "MEDIUM": 2}, Severity.HIGH, SignalState.FIRING),
        ({"HIGH": 0, "MEDIUM": 2, "LOW": 9}, Severity.MEDIUM, SignalState.FIRING),
        ({"LOW": 9, "INFORMATIONAL": 3}, Severity.INFO, SignalState.RESOLVED),
        ({"CRITICAL": 0, "HIGH": 0, "MEDIUM": 0}, Severity.INFO, SignalState.RESOLVED),
        (None, Severity.INFO, SignalState.RESOLVED),
    ],
)
def test_the_worst_count_decides(
    counts: dict[str, int] | None, severity: Severity, state: SignalState
) -> None:
    signal = _one(f.IMAGE_SCAN, f.image_scan("COMPLETE", counts))
    assert (signal.severity, signal.state) == (severity, state)
    assert signal.fingerprint == KEY
    assert signal.console_url == REPO_LINK


def test_a_failed_scan_is_news_whatever_it_counted() -> None:
    signal = _one(f.IMAGE_SCAN, f.image_scan("FAILED", {"CRITICAL": 3}))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.title == "ECR image web@sha256:7f5b2640fe6f: scan FAILED"


def test_a_scan_in_progress_without_counts_is_news() -> None:
    signal = _one(f.IMAGE_SCAN, f.image_scan("IN_PROGRESS"))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)


def test_counts_written_as_strings_still_count() -> None:
    signal = _one(f.IMAGE_SCAN, f.image_scan("COMPLETE", {"HIGH": "4", "MEDIUM": "x"}))
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert field_values(signal)["Findings"] == "4 high"


def test_a_clean_rescan_of_the_image_resolves_its_alert() -> None:
    dirty = _one(f.IMAGE_SCAN, f.image_scan("COMPLETE", {"HIGH": 2}, tags=["v1"]))
    clean = _one(f.IMAGE_SCAN, f.image_scan("COMPLETE", tags=["v1"]))
    assert dirty.state is SignalState.FIRING
    assert clean.state is SignalState.RESOLVED
    assert dirty.fingerprint == clean.fingerprint == KEY


def test_images_of_one_repository_have_alerts_of_their_own() -> None:
    one = _one(f.IMAGE_SCAN, f.image_scan("COMPLETE", {"HIGH": 2}))
    other = _one(f.IMAGE_SCAN, f.image_scan("COMPLETE", {"HIGH": 2}, digest="sha256:0123"))
    assert one.fingerprint != other.fingerprint


def test_without_a_digest_the_tag_names_the_image() -> None:
    signal = _one(f.IMAGE_SCAN, f.image_scan("COMPLETE", {"MEDIUM": 1}, digest=None, tags=["v2"]))
    assert signal.fingerprint == "ecr:123456789012:us-east-1:web:v2"
    assert signal.title == "ECR image web:v2: 1 medium vulnerability"


def test_the_repository_falls_back_to_its_arn() -> None:
    detail = f.image_scan("COMPLETE", {"HIGH": 1})
    del detail["repository-name"]
    signal = _one(f.IMAGE_SCAN, detail, resources=[f.repository_arn()])
    assert signal.fingerprint == KEY


def test_scan_fields() -> None:
    values = field_values(
        _one(f.IMAGE_SCAN, f.image_scan("COMPLETE", {"CRITICAL": 1}, tags=["v1", "latest"]))
    )
    assert values["Repository"] == "web"
    assert values["Image tags"] == "v1, latest"
    assert values["Image digest"] == f.DIGEST
    assert values["Scan status"] == "COMPLETE"
    assert values["Findings"] == "1 critical"


# ---------------------------------------------------------------------------------------------
# Image actions and other events
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "result"), [("PUSH", "SUCCESS"), ("DELETE", "FAILURE")])
def test_image_actions_are_news(action: str, result: str) -> None:
    signal = _one(f.IMAGE_ACTION, f.image_action(action, result))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.title == f"ECR image web:latest: {action} {result}"
    assert signal.fingerprint == KEY


def test_replication_is_news() -> None:
    detail = {"result": "SUCCESS", "repository-name": "web", "action-type": "REPLICATE"}
    signal = _one("ECR Replication Action", detail)
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.title == "ECR Replication Action: web"


# ---------------------------------------------------------------------------------------------
# Links, partitions, dispatch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_and_keys_follow_the_partition(region: str, host: str) -> None:
    signal = _one(f.IMAGE_SCAN, f.image_scan("COMPLETE", {"HIGH": 1}), region=region)
    assert signal.console_url == (
        f"{host}/ecr/repositories/private/123456789012/web?region={region}"
    )
    assert signal.fingerprint == f"ecr:123456789012:{region}:web:{f.DIGEST}"


def test_region_comes_from_the_repository_arn_when_the_envelope_lacks_it() -> None:
    signal = _one(
        f.IMAGE_SCAN,
        f.image_scan("COMPLETE", {"HIGH": 1}),
        region=None,
        resources=[f.repository_arn(region="eu-west-1")],
    )
    assert signal.fingerprint == f"ecr:123456789012:eu-west-1:web:{f.DIGEST}"
    assert signal.console_url is not None
    assert signal.console_url.startswith("https://eu-west-1.console.aws.amazon.com/")


def test_no_link_when_the_region_is_unknown() -> None:
    signal = _one(f.IMAGE_SCAN, f.image_scan("COMPLETE", {"HIGH": 1}), region=None)
    assert signal.console_url is None
    assert signal.state is SignalState.FIRING


def test_dispatch_reaches_the_ecr_interpreter() -> None:
    [signal] = interpret(corpus("ecr_image_scan_critical_medium.json"))
    assert signal.family == ecr.FAMILY
    assert signal.severity is Severity.CRITICAL


def test_a_reduced_event_without_detail_type_is_read_by_its_shape() -> None:
    scan = _one(None, f.image_scan("COMPLETE", {"MEDIUM": 1}))
    action = _one(None, f.image_action())
    assert (scan.severity, scan.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert (action.severity, action.state) == (Severity.INFO, SignalState.INFO)


def test_other_detail_types_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event("AWS API Call via CloudTrail", f.SOURCE, {"eventName": "PutImage"})
    assert_left_to_generic(ecr.interpret, event)


@settings(max_examples=60, deadline=None)
@given(
    detail_type=st.sampled_from([f.IMAGE_SCAN, f.IMAGE_ACTION, f.SCAN_RESOURCE_CHANGE, None]),
    detail=junk_like(
        {
            **f.image_scan("COMPLETE", {"CRITICAL": 1, "HIGH": 2}, tags=["v1"]),
            **f.image_action(),
            "repositories": [{"repository-name": "web"}],
        }
    ),
    resources=st.lists(st.sampled_from([f.repository_arn()]) | st.text(), max_size=2),
)
def test_any_detail_gives_a_readable_signal(
    detail_type: str | None, detail: object, resources: list[str]
) -> None:
    event = make_event(
        detail_type,
        f.SOURCE,
        detail if isinstance(detail, dict) else {"scan-status": detail},
        resources=resources,
    )
    [signal] = ecr.interpret(event, CTX)
    assert_readable(signal, "ecr:123456789012:us-east-1:")
