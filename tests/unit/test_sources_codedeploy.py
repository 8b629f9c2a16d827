"""CodeDeploy interpreter: a deployment that failed or was stopped fires on the alert of
its application's deployment group, which the group's next successful deployment
resolves; an instance's failure fires on an alert of its own within the group, which only
that instance's success resolves; START, READY and the rest are news."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, SignalState
from bot.sources import codedeploy, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event
from tests.factories import codedeploy as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
GROUP_KEY = "codedeploy:123456789012:us-east-1:shop:prod"
INSTANCE_KEY = f"{GROUP_KEY}:i-0000000aaaaaaaaaa"
DEPLOYMENT_LINK = (
    "https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-ABCDEF123"
    "?region=us-east-1"
)


def _event(
    detail_type: str | None, detail: dict[str, Any], region: str | None = "us-east-1", **kw: Any
) -> Event:
    kw.setdefault("resources", f.resources(region=region or "us-east-1"))
    return make_event(detail_type, f.SOURCE, detail, region=region, **kw)


def _one(
    detail_type: str | None, detail: dict[str, Any], region: str | None = "us-east-1", **kw: Any
):
    [signal] = codedeploy.interpret(_event(detail_type, detail, region, **kw), CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_deployment_success_resolves_the_group() -> None:
    [signal] = codedeploy.interpret(corpus("codedeploy_deployment_state_change_success.json"), CTX)
    assert signal.family == "codedeploy"
    assert signal.title == "CodeDeploy myApplication/myDeploymentGroup: deployment SUCCESS"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.RESOLVED)
    assert signal.fingerprint == "codedeploy:123456789012:us-east-1:myApplication:myDeploymentGroup"
    assert signal.console_url == (
        "https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-123456789"
        "?region=us-east-1"
    )


def test_corpus_instance_success_resolves_that_instance() -> None:
    [signal] = codedeploy.interpret(corpus("codedeploy_instance_state_change_success.json"), CTX)
    assert signal.title == (
        "CodeDeploy myApplication/myDeploymentGroup: instance i-0000000aaaaaaaaaa SUCCESS"
    )
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.RESOLVED)
    assert signal.fingerprint == (
        "codedeploy:123456789012:us-east-1:myApplication:myDeploymentGroup:i-0000000aaaaaaaaaa"
    )
    assert field_values(signal)["Deployment ID"] == "d-123456789"


# ---------------------------------------------------------------------------------------------
# States
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "severity", "signal_state"),
    [
        ("FAILURE", Severity.HIGH, SignalState.FIRING),
        ("STOP", Severity.HIGH, SignalState.FIRING),
        ("SUCCESS", Severity.INFO, SignalState.RESOLVED),
        ("START", Severity.INFO, SignalState.INFO),
        ("READY", Severity.INFO, SignalState.INFO),
        ("", Severity.INFO, SignalState.INFO),
    ],
)
@pytest.mark.parametrize(
    ("detail_type", "factory", "key"),
    [(f.DEPLOYMENT, f.deployment, GROUP_KEY), (f.INSTANCE, f.instance, INSTANCE_KEY)],
)
def test_state_decides_at_both_levels(
    state: str,
    severity: Severity,
    signal_state: SignalState,
    detail_type: str,
    factory: Any,
    key: str,
) -> None:
    signal = _one(detail_type, factory(state))
    assert (signal.severity, signal.state) == (severity, signal_state)
    assert signal.fingerprint == key
    assert signal.title.endswith(f" {state or 'state unknown'}")


@pytest.mark.parametrize("state", ["UNSUCCESSFUL", "STOPPING_NOT", "FAILURES"])
def test_states_are_read_as_whole_words(state: str) -> None:
    assert _one(f.DEPLOYMENT, f.deployment(state)).state is SignalState.INFO


def test_the_groups_next_successful_deployment_resolves_its_failure() -> None:
    failed = _one(f.DEPLOYMENT, f.deployment("FAILURE", deployment_id="d-1"))
    succeeded = _one(f.DEPLOYMENT, f.deployment("SUCCESS", deployment_id="d-2"))
    assert (failed.state, succeeded.state) == (SignalState.FIRING, SignalState.RESOLVED)
    assert failed.fingerprint == succeeded.fingerprint == GROUP_KEY
    assert failed.title == "CodeDeploy shop/prod: deployment FAILURE"


def test_an_instance_success_never_resolves_the_deployment_failure() -> None:
    deployment = _one(f.DEPLOYMENT, f.deployment("FAILURE"))
    failed = _one(f.INSTANCE, f.instance("FAILURE"))
    other = _one(f.INSTANCE, f.instance("SUCCESS", instance_id="i-0000000bbbbbbbbbb"))
    same = _one(f.INSTANCE, f.instance("SUCCESS"))
    assert failed.fingerprint == same.fingerprint == INSTANCE_KEY
    assert deployment.fingerprint not in (failed.fingerprint, other.fingerprint)
    assert other.fingerprint != failed.fingerprint


def test_groups_have_alerts_of_their_own() -> None:
    prod = _one(f.DEPLOYMENT, f.deployment("FAILURE"))
    staging = _one(f.DEPLOYMENT, f.deployment("FAILURE", group="staging"))
    assert prod.fingerprint != staging.fingerprint


def test_names_fall_back_to_the_group_arn() -> None:
    detail = f.deployment("FAILURE")
    del detail["application"], detail["deploymentGroup"]
    signal = _one(f.DEPLOYMENT, detail)
    assert signal.title == "CodeDeploy shop/prod: deployment FAILURE"
    assert signal.fingerprint == GROUP_KEY


def test_fields() -> None:
    values = field_values(_one(f.INSTANCE, f.instance("FAILURE")))
    assert values == {
        "Application": "shop",
        "Deployment group": "prod",
        "Deployment ID": "d-ABCDEF123",
        "Instance": "i-0000000aaaaaaaaaa",
        "State": "FAILURE",
        "Instance group ID": "9fd2fbef-2157-40d8-91e7-6845af69e2d2",
    }


# ---------------------------------------------------------------------------------------------
# Links, partitions, dispatch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_and_keys_follow_the_partition(region: str, host: str) -> None:
    signal = _one(f.DEPLOYMENT, f.deployment("FAILURE", region=region), region=region)
    assert signal.console_url == (
        f"{host}/codesuite/codedeploy/deployments/d-ABCDEF123?region={region}"
    )
    assert signal.fingerprint == f"codedeploy:123456789012:{region}:shop:prod"


def test_without_a_deployment_id_the_link_is_the_group() -> None:
    detail = f.deployment("FAILURE")
    del detail["deploymentId"]
    assert _one(f.DEPLOYMENT, detail).console_url == (
        "https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/applications/shop"
        "/deployment-groups/prod?region=us-east-1"
    )


def test_region_comes_from_the_group_arn_when_the_envelope_lacks_it() -> None:
    event = _event(
        f.DEPLOYMENT, f.deployment("FAILURE"), None, resources=f.resources(region="eu-west-1")
    )
    [signal] = codedeploy.interpret(event, CTX)
    assert signal.fingerprint == "codedeploy:123456789012:eu-west-1:shop:prod"
    assert signal.console_url is not None
    assert signal.console_url.startswith("https://eu-west-1.console.aws.amazon.com/")


def test_no_link_when_the_region_is_unknown() -> None:
    detail = f.deployment("FAILURE")
    del detail["region"]
    signal = _one(f.DEPLOYMENT, detail, region=None, resources=[])
    assert signal.console_url is None
    assert signal.state is SignalState.FIRING


def test_a_region_in_the_detail_that_is_no_region_code_is_not_used() -> None:
    detail = {**f.deployment("FAILURE"), "region": "evil.example/x#"}
    signal = _one(f.DEPLOYMENT, detail, region=None, resources=[])
    assert (signal.region, signal.console_url) == (None, None)


def test_dispatch_reaches_the_codedeploy_interpreter() -> None:
    [signal] = interpret(corpus("codedeploy_instance_state_change_success.json"))
    assert signal.family == codedeploy.FAMILY
    assert signal.state is SignalState.RESOLVED


def test_a_reduced_event_without_detail_type_is_read_by_its_shape() -> None:
    instance = _one(None, f.instance("FAILURE"))
    deployment = _one(None, f.deployment("FAILURE"))
    assert (instance.fingerprint, deployment.fingerprint) == (INSTANCE_KEY, GROUP_KEY)


def test_other_detail_types_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event("AWS API Call via CloudTrail", f.SOURCE, {"eventName": "CreateDeployment"})
    assert_left_to_generic(codedeploy.interpret, event)


@settings(max_examples=60, deadline=None)
@given(
    detail_type=st.sampled_from([f.DEPLOYMENT, f.INSTANCE, None]),
    detail=junk_like(f.instance("FAILURE")),
    resources=st.lists(st.sampled_from(f.resources()) | st.text(), max_size=3),
)
def test_any_detail_gives_a_readable_signal(
    detail_type: str | None, detail: object, resources: list[str]
) -> None:
    event = make_event(
        detail_type,
        f.SOURCE,
        detail if isinstance(detail, dict) else {"state": detail},
        resources=resources,
    )
    [signal] = codedeploy.interpret(event, CTX)
    assert_readable(signal, "codedeploy:123456789012:us-east-1:")
