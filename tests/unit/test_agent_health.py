"""Agents watched, not just listed: stale agents and agents without a running ECS task
open an alert through the normal path; recovery resolves it. ECS is read on moto."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.moto_api import state_manager

from adapters.ecs import EcsAgentTasks
from bot.config import Settings
from bot.models import Agent, AlertStatus
from bot.services import Services
from tests.factories.services import memory_services

AGENT = "123456789012"
DAY = 86400


class FixedTasks:
    def __init__(self, states: dict[str, str]) -> None:
        self.now = states

    def states(self) -> dict[str, str]:
        return self.now


def services(tasks=None) -> Services:
    svc = memory_services(
        Settings(_env_file=None, slack_alerts_channel="C0ALERTS"), agent_tasks=tasks
    )
    now = int(svc.clock.now())
    svc.agents.create(Agent(id=AGENT, region="eu-west-1", deployed_at=now, last_seen=now))
    return svc


def health_alert(svc: Services):
    found = [a for a in svc.alerts.list_alerts() if a.kind == "alert"]
    return found[0] if found else None


def heartbeat(svc: Services, event_id: str) -> None:
    svc.ingest({"id": event_id, "source": "monitoring.agent.logs",
                "detail-type": "CloudWatch Logs Error", "account": AGENT, "region": "eu-west-1",
                "detail": {"log_group_name": "/agent", "logs": []}})  # fmt: skip


def test_a_stale_agent_opens_an_alert_and_a_heartbeat_resolves_it():
    svc = services()
    assert svc.check_agents() == 0 and health_alert(svc) is None
    svc.clock.advance(DAY + 60)  # past AGENT_STALE_AFTER (24 h)
    assert svc.check_agents() == 1
    alert = health_alert(svc)
    assert alert.status is AlertStatus.OPEN and "no events for 1 d" in alert.title
    assert svc.check_agents() == 0  # the same verdict posts nothing more
    heartbeat(svc, "hb-1")  # the agent speaks again
    assert svc.check_agents() == 1
    assert health_alert(svc).status is AlertStatus.RESOLVED
    health = [p for p in svc.chat.posts if p["signal"].family == "agent"]
    assert len(health) == 1  # one alert, resolved in place


def test_an_agent_event_sent_again_is_no_new_heartbeat():
    """A duplicate may be a retry whose first attempt died before alerting, so it goes
    to its alerts again; but it says nothing new about its agent: a copy sent later
    must not mark a silent agent alive."""
    svc = services()
    heartbeat(svc, "hb-1")
    seen = svc.agents.get(AGENT).last_seen
    svc.clock.advance(600)
    heartbeat(svc, "hb-1")  # the same event again, ten minutes on
    assert svc.agents.get(AGENT).last_seen == seen
    heartbeat(svc, "hb-2")  # a new one is a heartbeat
    assert svc.agents.get(AGENT).last_seen == seen + 600


def test_an_agent_without_a_running_task_is_unhealthy_until_it_has_one():
    tasks = FixedTasks({})
    svc = services(tasks)
    svc.check_agents()
    assert "no ECS task" in health_alert(svc).title
    tasks.now = {AGENT: "UNHEALTHY"}
    svc.check_agents()
    assert health_alert(svc).status is AlertStatus.OPEN
    tasks.now = {AGENT: "RUNNING"}
    svc.check_agents()
    assert health_alert(svc).status is AlertStatus.RESOLVED


@pytest.fixture
def ecs():
    with mock_aws():
        # moto walks a task through its lifecycle on every describe; hold it where it is.
        state_manager.set_transition(
            model_name="ecs::task", transition={"progression": "manual", "times": 10_000}
        )
        client = boto3.client("ecs", region_name="eu-west-1")
        client.create_cluster(clusterName="agents")
        client.register_task_definition(
            family="monitoring-agent",
            containerDefinitions=[{"name": "agent", "image": "agent:1", "memory": 256}],
        )
        client.register_container_instance(
            cluster="agents",
            instanceIdentityDocument=_instance_document(),
        )
        yield client
    state_manager.unset_transition(model_name="ecs::task")


def _instance_document() -> str:
    import json

    ec2 = boto3.client("ec2", region_name="eu-west-1")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
    return json.dumps({"instanceId": instance["InstanceId"], "region": "eu-west-1"})


def test_ecs_tasks_are_read_with_list_tasks_and_describe_tasks(ecs):
    started = ecs.run_task(cluster="agents", taskDefinition="monitoring-agent",
                           startedBy=AGENT, count=1)["tasks"][0]  # fmt: skip
    ecs.run_task(cluster="agents", taskDefinition="monitoring-agent", startedBy="not-an-account")
    tasks = EcsAgentTasks(ecs, "agents", "monitoring-agent")
    assert tasks.states() == {AGENT: "RUNNING"}
    ecs.stop_task(cluster="agents", task=started["taskArn"], reason="test")
    assert tasks.states().get(AGENT) != "RUNNING"


def test_the_health_check_on_moto_flags_an_agent_with_no_task(ecs):
    svc = services(EcsAgentTasks(ecs, "agents", "monitoring-agent"))
    assert svc.check_agents() == 1 and "no ECS task" in health_alert(svc).title
    ecs.run_task(cluster="agents", taskDefinition="monitoring-agent", startedBy=AGENT)
    assert svc.check_agents() == 1
    assert health_alert(svc).status is AlertStatus.RESOLVED


def test_a_still_stale_agent_is_not_news_every_hour():
    svc = services()
    svc.clock.advance(DAY + 60)
    assert svc.check_agents() == 1
    for _ in range(5):  # the duration in the words grows; the verdict does not
        svc.clock.advance(3600)
        assert svc.check_agents() == 0
    assert health_alert(svc).count == 1
