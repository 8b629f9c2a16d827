"""CodePipeline interpreter: one alert per pipeline. FAILED at any level fires it, only the
pipeline's own SUCCEEDED resolves it, the rest (a stage's or an action's SUCCEEDED too) is
news on the same alert; titles still say which stage or action it was."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Severity, SignalState
from bot.sources import codepipeline, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event
from tests.factories import codepipeline as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()


def _one(detail_type: str, detail: dict[str, Any], region: str = "us-east-1"):
    event = make_event(
        detail_type, f.SOURCE, detail, region=region, resources=[f.pipeline_arn(region=region)]
    )
    [signal] = codepipeline.interpret(event, CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_pipeline_failed_fires() -> None:
    [signal] = codepipeline.interpret(corpus("codepipeline_pipeline_execution_failed.json"), CTX)
    assert signal.family == "codepipeline"
    assert signal.title == "Pipeline myPipeline FAILED"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == "codepipeline:123456789012:us-west-2:myPipeline"
    assert signal.console_url == (
        "https://us-west-2.console.aws.amazon.com/codesuite/codepipeline/pipelines/myPipeline"
        "/view?region=us-west-2"
    )
    assert field_values(signal)["Execution ID"] == "12345678-1234-5678-abcd-12345678abcd"


def test_corpus_pipeline_succeeded_resolves() -> None:
    [signal] = codepipeline.interpret(corpus("codepipeline_pipeline_execution_succeeded.json"), CTX)
    assert signal.title == "Pipeline myPipeline SUCCEEDED"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.RESOLVED)
    assert signal.fingerprint == "codepipeline:123456789012:us-east-1:myPipeline"


def test_corpus_action_failed_shows_the_deployment_error() -> None:
    [signal] = codepipeline.interpret(corpus("codepipeline_action_execution_failed.json"), CTX)
    assert signal.title == "Pipeline myPipeline: Deploy/Deploy action FAILED"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == "codepipeline:123456789012:us-west-2:myPipeline"
    values = field_values(signal)
    assert values["Provider"] == "CodeDeploy"
    assert values["Error code"] == "JobFailed"
    assert values["Summary"] == "Deployment <ID> failed"
    assert values["External URL"].startswith("https://us-west-2.console.aws.amazon.com/codedeploy")


# ---------------------------------------------------------------------------------------------
# States and levels
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "severity", "signal_state"),
    [
        ("FAILED", Severity.HIGH, SignalState.FIRING),
        ("STARTED", Severity.INFO, SignalState.INFO),
        ("CANCELED", Severity.INFO, SignalState.INFO),
        ("SUPERSEDED", Severity.INFO, SignalState.INFO),
        ("RESUMED", Severity.INFO, SignalState.INFO),
        ("STOPPED", Severity.INFO, SignalState.INFO),
    ],
)
@pytest.mark.parametrize(
    "level",
    [
        (f.PIPELINE, f.pipeline_execution),
        (f.STAGE, f.stage_execution),
        (f.ACTION, f.action_execution),
    ],
)
def test_state_decides_severity_at_every_level(
    state: str, severity: Severity, signal_state: SignalState, level: tuple[str, Any]
) -> None:
    detail_type, factory = level
    signal = _one(detail_type, factory(state))
    assert (signal.severity, signal.state) == (severity, signal_state)
    assert signal.title.endswith(f" {state}")


@pytest.mark.parametrize(
    ("level", "signal_state"),
    [
        ((f.PIPELINE, f.pipeline_execution), SignalState.RESOLVED),
        ((f.STAGE, f.stage_execution), SignalState.INFO),
        ((f.ACTION, f.action_execution), SignalState.INFO),
    ],
)
def test_only_the_pipeline_succeeding_resolves(
    level: tuple[str, Any], signal_state: SignalState
) -> None:
    detail_type, factory = level
    signal = _one(detail_type, factory("SUCCEEDED"))
    assert (signal.severity, signal.state) == (Severity.INFO, signal_state)
    assert signal.title.endswith(" SUCCEEDED")


def test_pipeline_succeeded_after_failed_shares_its_fingerprint() -> None:
    failed = _one(f.PIPELINE, f.pipeline_execution("FAILED"))
    succeeded = _one(f.PIPELINE, f.pipeline_execution("SUCCEEDED", execution_id="another-run"))
    assert failed.state is SignalState.FIRING
    assert succeeded.state is SignalState.RESOLVED
    assert (
        succeeded.fingerprint
        == failed.fingerprint
        == "codepipeline:123456789012:us-east-1:myPipeline"
    )


def test_levels_fold_into_the_pipeline_alert_and_keep_their_titles() -> None:
    pipeline = _one(f.PIPELINE, f.pipeline_execution("FAILED"))
    stage = _one(f.STAGE, f.stage_execution("FAILED", stage="Build"))
    action = _one(f.ACTION, f.action_execution("FAILED", stage="Build", action="Compile"))
    assert stage.title == "Pipeline myPipeline: Build stage FAILED"
    assert action.title == "Pipeline myPipeline: Build/Compile action FAILED"
    assert (
        pipeline.fingerprint
        == stage.fingerprint
        == action.fingerprint
        == "codepipeline:123456789012:us-east-1:myPipeline"
    )


def test_action_retry_succeeded_is_news_on_the_pipeline_alert() -> None:
    failed = _one(f.ACTION, f.action_execution("FAILED", error_code="JobFailed"))
    retried = _one(f.ACTION, f.action_execution("SUCCEEDED"))
    assert (retried.severity, retried.state) == (Severity.INFO, SignalState.INFO)
    assert retried.fingerprint == failed.fingerprint
    assert field_values(failed)["Error code"] == "JobFailed"


def test_a_reduced_event_without_detail_type_is_placed_by_its_shape() -> None:
    action = make_event(None, f.SOURCE, f.action_execution("SUCCEEDED", stage="Build"))
    stage = make_event(None, f.SOURCE, f.stage_execution("SUCCEEDED", stage="Test"))
    pipeline = make_event(None, f.SOURCE, f.pipeline_execution("SUCCEEDED"))
    signals = [codepipeline.interpret(e, CTX)[0] for e in (action, stage, pipeline)]
    assert [s.title for s in signals] == [
        "Pipeline myPipeline: Build/Deploy action SUCCEEDED",
        "Pipeline myPipeline: Test stage SUCCEEDED",
        "Pipeline myPipeline SUCCEEDED",
    ]
    assert [s.state for s in signals] == [SignalState.INFO, SignalState.INFO, SignalState.RESOLVED]


def test_pipeline_name_falls_back_to_the_arn() -> None:
    detail = {"execution-id": "x", "state": "FAILED"}
    signal = _one(f.PIPELINE, detail)
    assert signal.title == "Pipeline myPipeline FAILED"
    assert signal.fingerprint == "codepipeline:123456789012:us-east-1:myPipeline"


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_follow_the_partition(region: str, host: str) -> None:
    signal = _one(f.PIPELINE, f.pipeline_execution("FAILED"), region=region)
    assert signal.console_url == (
        f"{host}/codesuite/codepipeline/pipelines/myPipeline/view?region={region}"
    )
    assert signal.fingerprint == f"codepipeline:123456789012:{region}:myPipeline"


def test_dispatch_reaches_the_codepipeline_interpreter() -> None:
    [signal] = interpret(corpus("codepipeline_action_execution_failed.json"))
    assert signal.family == codepipeline.FAMILY
    assert signal.state is SignalState.FIRING


def test_other_detail_types_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event("AWS API Call via CloudTrail", f.SOURCE, {"eventName": "UpdatePipeline"})
    assert_left_to_generic(codepipeline.interpret, event)


@settings(max_examples=50, deadline=None)
@given(
    detail_type=st.sampled_from([f.PIPELINE, f.STAGE, f.ACTION, None]),
    detail=junk_like(f.action_execution(error_code="E", summary="s", url="https://x")),
    resources=st.lists(st.sampled_from([f.pipeline_arn()]) | st.text(), max_size=2),
)
def test_any_detail_gives_one_signal(
    detail_type: str | None, detail: object, resources: list[str]
) -> None:
    event = make_event(
        detail_type,
        f.SOURCE,
        detail if isinstance(detail, dict) else {"pipeline": detail},
        resources=resources,
    )
    [signal] = codepipeline.interpret(event, CTX)
    assert_readable(signal, "codepipeline:123456789012:us-east-1:")
