"""CodeBuild interpreter: one alert per project. A build that failed, faulted, was stopped
or timed out fires it, the project's next successful build resolves it; builds in progress
and phase changes are news."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Severity, SignalState
from bot.sources import codebuild, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event, one_signal
from tests.factories import codebuild as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
KEY = "codebuild:123456789012:us-east-1:api-tests"


_one = partial(one_signal, codebuild.interpret, f.SOURCE)


def _build_link(host: str, region: str) -> str:
    build = f"api-tests%3A{f.BUILD_UUID}"
    return f"{host}/codesuite/codebuild/projects/api-tests/build/{build}?region={region}"


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_succeeded_build_resolves_the_project() -> None:
    [signal] = codebuild.interpret(corpus("codebuild_build_state_change_succeeded.json"), CTX)
    assert signal.family == "codebuild"
    assert signal.title == "CodeBuild project my-sample-project: build SUCCEEDED"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.RESOLVED)
    assert signal.fingerprint == "codebuild:123456789012:us-west-2:my-sample-project"
    assert signal.console_url == (
        "https://us-west-2.console.aws.amazon.com/codesuite/codebuild/projects/my-sample-project"
        "/build/my-sample-project%3A8745a7a9-c340-456a-9166-edf953571bEX?region=us-west-2"
    )
    values = field_values(signal)
    assert values["Initiator"] == "MyCodeBuildDemoUser"
    assert values["Log group"] == "/aws/codebuild/my-sample-project"
    assert "Failed phase" not in values


def test_corpus_phase_change_is_news_on_the_project() -> None:
    [signal] = codebuild.interpret(corpus("codebuild_build_phase_change_completed.json"), CTX)
    assert signal.title == "CodeBuild project my-sample-project: COMPLETED phase SUCCEEDED"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.fingerprint == "codebuild:123456789012:us-west-2:my-sample-project"
    assert field_values(signal)["Duration"] == "4 s"


# ---------------------------------------------------------------------------------------------
# Build states
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "severity", "state"),
    [
        ("FAILED", Severity.HIGH, SignalState.FIRING),
        ("FAULT", Severity.HIGH, SignalState.FIRING),
        ("STOPPED", Severity.HIGH, SignalState.FIRING),
        ("TIMED_OUT", Severity.HIGH, SignalState.FIRING),
        ("SUCCEEDED", Severity.INFO, SignalState.RESOLVED),
        ("IN_PROGRESS", Severity.INFO, SignalState.INFO),
        ("", Severity.INFO, SignalState.INFO),
    ],
)
def test_build_status_decides(status: str, severity: Severity, state: SignalState) -> None:
    signal = _one(f.BUILD_STATE, f.build_state(status))
    assert (signal.severity, signal.state) == (severity, state)
    assert signal.fingerprint == KEY
    assert signal.title.startswith(
        f"CodeBuild project api-tests: build {status or 'status unknown'}"
    )


@pytest.mark.parametrize("status", ["UNSUCCEEDED", "FAULTY", "TIMEDOUT"])
def test_statuses_are_read_as_whole_words(status: str) -> None:
    assert _one(f.BUILD_STATE, f.build_state(status)).state is SignalState.INFO


def test_the_next_successful_build_resolves_the_failure() -> None:
    failed = _one(f.BUILD_STATE, f.build_state("FAILED", build="run-1"))
    succeeded = _one(f.BUILD_STATE, f.build_state("SUCCEEDED", build="run-2"))
    assert (failed.state, succeeded.state) == (SignalState.FIRING, SignalState.RESOLVED)
    assert failed.fingerprint == succeeded.fingerprint == KEY


def test_projects_have_alerts_of_their_own() -> None:
    one = _one(f.BUILD_STATE, f.build_state("FAILED"))
    other = _one(f.BUILD_STATE, f.build_state("FAILED", project="web-build"))
    assert one.fingerprint != other.fingerprint


def test_a_failed_build_names_the_phase_that_failed_and_what_it_said() -> None:
    phases = [
        f.phase("SUBMITTED"),
        f.phase("INSTALL"),
        f.phase(
            "BUILD",
            "FAILED",
            ["COMMAND_EXECUTION_ERROR: Error while executing command: make. Reason: exit status 2"],
        ),
        f.phase("FINALIZING"),
    ]
    signal = _one(f.BUILD_STATE, f.build_state("FAILED", phases=phases))
    assert signal.title == "CodeBuild project api-tests: build FAILED in BUILD phase"
    values = field_values(signal)
    assert values["Failed phase"] == "BUILD"
    assert values["Phase message"].endswith("Reason: exit status 2")
    assert values["Build number"] == "42"
    assert values["Source version"] == "3f1c2d4"


def test_the_project_falls_back_to_the_build_arn() -> None:
    detail = f.build_state("FAILED")
    del detail["project-name"]
    signal = _one(f.BUILD_STATE, detail)
    assert signal.fingerprint == KEY


def test_phase_changes_are_news_even_when_the_phase_failed() -> None:
    detail = f.build_phase("BUILD", "FAILED")
    detail["completed-phase-context"] = "[COMMAND_EXECUTION_ERROR: exit status 1]"
    signal = _one(f.BUILD_PHASE, detail)
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.title == "CodeBuild project api-tests: BUILD phase FAILED"
    assert signal.fingerprint == KEY
    assert field_values(signal)["Phase message"] == "COMMAND_EXECUTION_ERROR: exit status 1"


# ---------------------------------------------------------------------------------------------
# Links, partitions, dispatch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_and_keys_follow_the_partition(region: str, host: str) -> None:
    signal = _one(f.BUILD_STATE, f.build_state("FAILED", region=region), region=region)
    assert signal.console_url == _build_link(host, region)
    assert signal.fingerprint == f"codebuild:123456789012:{region}:api-tests"


def test_without_a_build_arn_the_link_is_the_project() -> None:
    detail = f.build_state("FAILED")
    detail["build-id"] = "not-an-arn"
    assert _one(f.BUILD_STATE, detail).console_url == (
        "https://us-east-1.console.aws.amazon.com/codesuite/codebuild/projects/api-tests"
        "?region=us-east-1"
    )


def test_region_comes_from_the_build_arn_when_the_envelope_lacks_it() -> None:
    signal = _one(f.BUILD_STATE, f.build_state("FAILED", region="eu-west-1"), region=None)
    assert signal.fingerprint == "codebuild:123456789012:eu-west-1:api-tests"
    assert signal.console_url == _build_link(
        "https://eu-west-1.console.aws.amazon.com", "eu-west-1"
    )


def test_no_link_when_the_region_is_unknown() -> None:
    detail = {"build-status": "FAILED", "project-name": "api-tests"}
    signal = _one(f.BUILD_STATE, detail, region=None)
    assert signal.console_url is None
    assert signal.state is SignalState.FIRING


def test_dispatch_reaches_the_codebuild_interpreter() -> None:
    [signal] = interpret(corpus("codebuild_build_state_change_succeeded.json"))
    assert signal.family == codebuild.FAMILY
    assert signal.state is SignalState.RESOLVED


def test_a_reduced_event_without_detail_type_is_read_by_its_shape() -> None:
    build = _one(None, f.build_state("TIMED_OUT"))
    phase = _one(None, f.build_phase())
    assert build.state is SignalState.FIRING
    assert phase.title == "CodeBuild project api-tests: BUILD phase SUCCEEDED"


def test_other_detail_types_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event("AWS API Call via CloudTrail", f.SOURCE, {"eventName": "StartBuild"})
    assert_left_to_generic(codebuild.interpret, event)


@settings(max_examples=60, deadline=None)
@given(
    detail_type=st.sampled_from([f.BUILD_STATE, f.BUILD_PHASE]),
    detail=junk_like(
        {
            **f.build_state("FAILED", phases=[f.phase("BUILD", "FAILED", ["boom"])]),
            **f.build_phase(),
        }
    ),
    resources=st.lists(st.sampled_from([f.build_arn()]) | st.text(), max_size=2),
)
def test_any_detail_gives_a_readable_signal(
    detail_type: str, detail: object, resources: list[str]
) -> None:
    event = make_event(
        detail_type,
        f.SOURCE,
        detail if isinstance(detail, dict) else {"build-status": detail},
        resources=resources,
    )
    [signal] = codebuild.interpret(event, CTX)
    assert_readable(signal, "codebuild:123456789012:us-east-1:")
