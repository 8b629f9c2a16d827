"""ECS interpreter: failed deployments and ERROR actions are HIGH, WARN ones MEDIUM, tasks
stopped on an error MEDIUM; the rest is news. Service and task alerts have their own keys."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Severity, SignalState
from bot.sources import ecs, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event
from tests.factories import ecs as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
WEST2 = "https://us-west-2.console.aws.amazon.com"


_EXITED = ("EssentialContainerExited", "Essential container in task exited")


def _service_event(detail_type: str, detail: dict[str, Any], **arn_kwargs: Any):
    region = arn_kwargs.get("region", "us-east-1")
    return make_event(
        detail_type, f.SOURCE, detail, region=region, resources=[f.service_arn(**arn_kwargs)]
    )


def _task(**kwargs: Any):
    [signal] = ecs.interpret(make_event(f.TASK, f.SOURCE, f.task_state(**kwargs)), CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_task_running_is_info() -> None:
    [signal] = ecs.interpret(corpus("ecs_task_state_change_running.json"), CTX)
    assert signal.family == "ecs"
    assert signal.title == "ECS task sample-fargate:1 RUNNING on FargateCluster"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.fingerprint == "ecs:111122223333:us-west-2:FargateCluster:family:sample-fargate"
    assert signal.console_url == (
        f"{WEST2}/ecs/v2/clusters/FargateCluster/tasks/c13b4cb40f1f4fe4a2971f76ae5a47ad"
        "?region=us-west-2"
    )
    assert field_values(signal)["Desired status"] == "RUNNING"


def test_corpus_placement_failure_is_high_on_the_service() -> None:
    [signal] = ecs.interpret(corpus("ecs_service_action_task_placement_failure.json"), CTX)
    assert signal.title == "ECS service servicetest: SERVICE_TASK_PLACEMENT_FAILURE"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == "ecs:111122223333:us-west-2:default:servicetest"
    assert signal.console_url == (
        f"{WEST2}/ecs/v2/clusters/default/services/servicetest/health?region=us-west-2"
    )
    assert field_values(signal)["Capacity providers"] == "FARGATE_SPOT"
    assert field_values(signal)["Reason"] == "RESOURCE:FARGATE"


def test_corpus_deployment_failed_is_high_and_keyed_like_its_service() -> None:
    [signal] = ecs.interpret(corpus("ecs_deployment_state_change_failed.json"), CTX)
    assert signal.title == "ECS service servicetest: SERVICE_DEPLOYMENT_FAILED"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    # No clusterArn in a deployment event: the cluster comes from the service ARN.
    assert signal.fingerprint == "ecs:111122223333:us-west-2:default:servicetest"
    assert field_values(signal)["Deployment ID"] == "ecs-svc/123"
    assert signal.console_url is not None and "/services/servicetest/health" in signal.console_url


# ---------------------------------------------------------------------------------------------
# Service actions and deployments
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detail_type", "detail", "severity", "state"),
    [
        (
            f.SERVICE_ACTION,
            f.service_action("ERROR", "SERVICE_TASK_START_IMPAIRED"),
            "HIGH",
            "firing",
        ),
        (
            f.SERVICE_ACTION,
            f.service_action("WARN", "SERVICE_TASK_CONFIGURATION_FAILURE"),
            "MEDIUM",
            "firing",
        ),
        (f.SERVICE_ACTION, f.service_action("INFO", "SERVICE_STEADY_STATE"), "INFO", "info"),
        (f.DEPLOYMENT, f.deployment_state("SERVICE_DEPLOYMENT_FAILED"), "HIGH", "firing"),
        (
            f.DEPLOYMENT,
            f.deployment_state("SERVICE_DEPLOYMENT_FAILED", event_type="INFO"),
            "HIGH",
            "firing",
        ),
        (f.DEPLOYMENT, f.deployment_state("SERVICE_DEPLOYMENT_IN_PROGRESS"), "INFO", "info"),
        (f.DEPLOYMENT, f.deployment_state("SERVICE_DEPLOYMENT_COMPLETED"), "INFO", "info"),
    ],
)
def test_service_level_severity(
    detail_type: str, detail: dict[str, Any], severity: str, state: str
) -> None:
    [signal] = ecs.interpret(_service_event(detail_type, detail), CTX)
    assert (signal.severity, signal.state) == (Severity(severity), SignalState(state))
    assert signal.fingerprint == "ecs:123456789012:us-east-1:prod:web"
    assert signal.title == f"ECS service web: {detail['eventName']}"


def test_warn_action_shows_reason_and_capacity_providers() -> None:
    detail = f.service_action(
        "WARN",
        "SERVICE_TASK_PLACEMENT_FAILURE",
        reason="RESOURCE:MEMORY",
        capacity_providers=["FARGATE", "FARGATE_SPOT"],
    )
    [signal] = ecs.interpret(_service_event(f.SERVICE_ACTION, detail), CTX)
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert field_values(signal)["Capacity providers"] == "FARGATE, FARGATE_SPOT"
    assert field_values(signal)["Reason"] == "RESOURCE:MEMORY"


def test_old_service_arn_without_cluster_still_names_the_service() -> None:
    event = make_event(
        f.DEPLOYMENT,
        f.SOURCE,
        f.deployment_state("SERVICE_DEPLOYMENT_FAILED"),
        resources=[f.service_arn("legacy", cluster=None)],
    )
    [signal] = ecs.interpret(event, CTX)
    assert signal.title == "ECS service legacy: SERVICE_DEPLOYMENT_FAILED"
    assert signal.fingerprint == "ecs:123456789012:us-east-1:-:legacy"
    assert signal.console_url == (
        "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters?region=us-east-1"
    )


# ---------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stop_code", "reason", "containers", "failed"),
    [
        ("TaskFailedToStart", "CannotPullContainerError: pull access denied", [], True),
        (*_EXITED, [f.container(exit_code=1)], True),
        (*_EXITED, [f.container(exit_code=0)], False),
        (*_EXITED, [f.container(exit_code=137, reason="OutOfMemoryError: Container killed")], True),
        (None, "OutOfMemoryError: Container killed due to memory usage", [], True),
        (
            "ServiceSchedulerInitiated",
            "Task failed ELB health checks in (target-group x)",
            [],
            True,
        ),
        (
            "ServiceSchedulerInitiated",
            "Scaling activity initiated by (deployment ecs-svc/1)",
            [],
            False,
        ),
        ("UserInitiated", "Task stopped by user", [f.container(exit_code=0)], False),
    ],
)
def test_stopped_task_fires_only_on_an_error(
    stop_code: str | None, reason: str, containers: list[dict[str, Any]], failed: bool
) -> None:
    signal = _task(
        last_status="STOPPED", stop_code=stop_code, stopped_reason=reason, containers=containers
    )
    if failed:
        assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    else:
        assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)


def test_failed_task_title_and_fields_say_why() -> None:
    signal = _task(
        last_status="STOPPED",
        stop_code="EssentialContainerExited",
        stopped_reason="Essential container in task exited",
        containers=[f.container("app", exit_code=1, reason="boom"), f.container("sidecar")],
    )
    assert signal.title == "ECS task web:3 STOPPED on prod: EssentialContainerExited"
    values = field_values(signal)
    assert values["Containers"] == "app: exit 1 (boom)\nsidecar"
    assert values["Stop code"] == "EssentialContainerExited"
    assert values["Stopped reason"] == "Essential container in task exited"
    assert values["Task definition"] == "web:3"


def test_a_task_still_stopping_is_not_yet_a_failure() -> None:
    signal = _task(last_status="RUNNING", desired_status="STOPPED", stopped_reason="Error")
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)


def test_tasks_of_one_service_share_a_fingerprint_apart_from_the_service() -> None:
    first = _task(
        group="service:web", task_id="aaa", last_status="STOPPED", stop_code="TaskFailedToStart"
    )
    second = _task(
        group="service:web", task_id="bbb", last_status="STOPPED", stop_code="TaskFailedToStart"
    )
    [service] = ecs.interpret(_service_event(f.SERVICE_ACTION, f.service_action("ERROR")), CTX)
    assert first.fingerprint == second.fingerprint == "ecs:123456789012:us-east-1:prod:service:web"
    assert first.fingerprint != service.fingerprint
    assert first.console_url != second.console_url


def test_container_instance_change_is_info() -> None:
    detail = f.container_instance_state("DRAINING")
    [signal] = ecs.interpret(make_event(f.CONTAINER_INSTANCE, f.SOURCE, detail), CTX)
    assert signal.title == "ECS container instance i-0123456789abcdef0 DRAINING on prod"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.console_url == (
        "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/infrastructure"
        "?region=us-east-1"
    )


# ---------------------------------------------------------------------------------------------
# Partitions, dispatch and robustness
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_and_keys_follow_the_partition(region: str, host: str) -> None:
    detail = f.service_action("ERROR", "SERVICE_TASK_PLACEMENT_FAILURE", region=region)
    [signal] = ecs.interpret(_service_event(f.SERVICE_ACTION, detail, region=region), CTX)
    assert signal.console_url == (
        f"{host}/ecs/v2/clusters/prod/services/web/health?region={region}"
    )
    assert signal.fingerprint == f"ecs:123456789012:{region}:prod:web"


def test_dispatch_reaches_the_ecs_interpreter() -> None:
    [signal] = interpret(corpus("ecs_deployment_state_change_failed.json"))
    assert signal.family == ecs.FAMILY
    assert signal.severity is Severity.HIGH


def test_other_detail_types_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event("AWS API Call via CloudTrail", f.SOURCE, {"eventName": "UpdateService"})
    assert_left_to_generic(ecs.interpret, event)


def test_a_reduced_task_event_without_detail_type_is_read_as_a_task() -> None:
    [signal] = ecs.interpret(make_event(None, f.SOURCE, f.task_state()), CTX)
    assert signal.title == "ECS task web:3 RUNNING on prod"
    assert signal.fingerprint == "ecs:123456789012:us-east-1:prod:family:web"


_EVERY_KEY = {
    **f.task_state(
        stop_code="EssentialContainerExited",
        stopped_reason="x",
        containers=[f.container(exit_code=1, reason="r")],
    ),
    **f.service_action("ERROR", capacity_providers=["FARGATE"], reason="r"),
    **f.deployment_state(),
    **f.container_instance_state(),
}


@settings(max_examples=50, deadline=None)
@given(
    detail_type=st.sampled_from(
        [f.TASK, f.SERVICE_ACTION, f.DEPLOYMENT, f.CONTAINER_INSTANCE, None]
    ),
    detail=junk_like(_EVERY_KEY),
    resources=st.lists(
        st.sampled_from([f.service_arn(), "arn:aws:ecs:::task"]) | st.text(), max_size=2
    ),
)
def test_any_detail_gives_one_signal(
    detail_type: str | None, detail: object, resources: list[str]
) -> None:
    event = make_event(
        detail_type,
        f.SOURCE,
        detail if isinstance(detail, dict) else {"taskArn": detail},
        resources=resources,
    )
    [signal] = ecs.interpret(event, CTX)
    assert_readable(signal, "ecs:123456789012:us-east-1:")
