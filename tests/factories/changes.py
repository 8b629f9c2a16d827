"""Stored events of every kind of change (a stack update, a pipeline execution, an ECS or
CodeDeploy deployment, an agent deployment) and of their families' events that are not
changes, as ingest stores them: with their family and their signals' fingerprints."""

from __future__ import annotations

from typing import Any

from bot.ingest import summarise
from bot.models import Event
from bot.sources import interpret
from bot.sources.registry import AGENT_DEPLOYMENT, family_of
from tests.factories import T0, ecs, make_event
from tests.factories import cloudformation as cfn
from tests.factories import codedeploy as cd
from tests.factories import codepipeline as cp

ACCOUNT = "123456789012"
REGION = "eu-west-1"


def stored(detail_type: str | None, source: str, detail: dict[str, Any], **kw: Any) -> Event:
    """An Event as ingest stores it: its family, and the summary of its signals."""
    kw.setdefault("account", ACCOUNT)
    kw.setdefault("region", REGION)
    event = make_event(detail_type, source, detail, **kw)
    event = event.model_copy(update={"family": family_of(event.source, event.detail_type)})
    return summarise(event, interpret(event))


def stack(status: str = "UPDATE_COMPLETE", name: str = "api-prod", **kw: Any) -> Event:
    region, account = kw.get("region", REGION) or REGION, kw.get("account", ACCOUNT)
    detail = cfn.stack_status(status, stack=name, region=region, account=account)
    kw.setdefault("resources", [detail["stack-id"]])
    return stored(cfn.STACK, cfn.SOURCE, detail, **kw)


def stack_resource(status: str = "UPDATE_COMPLETE", name: str = "api-prod", **kw: Any) -> Event:
    detail = cfn.resource_status(status, stack=name, region=kw.get("region", REGION) or REGION)
    return stored(cfn.RESOURCE, cfn.SOURCE, detail, **kw)


def stack_drift(name: str = "api-prod", **kw: Any) -> Event:
    detail = cfn.drift_status(stack=name, region=kw.get("region", REGION) or REGION)
    return stored(cfn.DRIFT, cfn.SOURCE, detail, **kw)


def pipeline(state: str = "SUCCEEDED", name: str = "deploy-api", **kw: Any) -> Event:
    return stored(cp.PIPELINE, cp.SOURCE, cp.pipeline_execution(state, pipeline=name), **kw)


def pipeline_stage(state: str = "SUCCEEDED", name: str = "deploy-api", **kw: Any) -> Event:
    return stored(cp.STAGE, cp.SOURCE, cp.stage_execution(state, pipeline=name), **kw)


def pipeline_action(state: str = "FAILED", name: str = "deploy-api", **kw: Any) -> Event:
    return stored(cp.ACTION, cp.SOURCE, cp.action_execution(state, pipeline=name), **kw)


def ecs_deployment(
    event_name: str = "SERVICE_DEPLOYMENT_COMPLETED", service: str = "web", **kw: Any
) -> Event:
    region = kw.get("region", REGION) or REGION
    kw.setdefault("resources", [ecs.service_arn(service, region=region)])
    return stored(ecs.DEPLOYMENT, ecs.SOURCE, ecs.deployment_state(event_name), **kw)


def ecs_service_action(service: str = "web", **kw: Any) -> Event:
    region = kw.get("region", REGION) or REGION
    kw.setdefault("resources", [ecs.service_arn(service, region=region)])
    detail = ecs.service_action("INFO", "SERVICE_STEADY_STATE", region=region)
    return stored(ecs.SERVICE_ACTION, ecs.SOURCE, detail, **kw)


def codedeploy(state: str = "SUCCESS", application: str = "shop", **kw: Any) -> Event:
    region = kw.get("region", REGION) or REGION
    kw.setdefault("resources", cd.resources(application, region=region))
    detail = cd.deployment(state, application=application, region=region)
    return stored(cd.DEPLOYMENT, cd.SOURCE, detail, **kw)


def codedeploy_instance(state: str = "SUCCESS", application: str = "shop", **kw: Any) -> Event:
    region = kw.get("region", REGION) or REGION
    kw.setdefault("resources", cd.resources(application, region=region, instance="i-0abc"))
    detail = cd.instance(state, application=application, region=region)
    return stored(cd.INSTANCE, cd.SOURCE, detail, **kw)


def agent_deployment(status: str = "v1.2.3", **kw: Any) -> Event:
    """An agent's deployment as the registry publishes it (bot/agents.py)."""
    account, region = kw.get("account", ACCOUNT), kw.get("region", REGION)
    at = kw.get("published_at", T0)
    detail = {"agent_id": account, "region": region, "status": status, "deployed_at": at}
    return stored(AGENT_DEPLOYMENT, "monitoring.agents", detail, **kw)


def alarm(**kw: Any) -> Event:
    """An alarm firing: the kind of event changes come before, never a change itself."""
    detail = {
        "alarmName": "CpuHigh",
        "state": {"value": "ALARM", "reason": "Threshold Crossed"},
        "previousState": {"value": "OK"},
    }
    return stored("CloudWatch Alarm State Change", "aws.cloudwatch", detail, **kw)


# Every kind of change, and every event of their families that is none.
CHANGES = (stack, pipeline, ecs_deployment, codedeploy, agent_deployment)
NOT_CHANGES = (
    stack_resource,
    stack_drift,
    pipeline_stage,
    pipeline_action,
    ecs_service_action,
    codedeploy_instance,
    alarm,
)
