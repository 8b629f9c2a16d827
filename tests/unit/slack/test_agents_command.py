"""/agents: every agent with its health; one agent, by account id or name, with its
recent events; a note for one the bot does not know."""

from __future__ import annotations

import pytest

from bot.models import Agent
from handlers.slack.listeners.agents_command import agents_command
from tests.unit.slack import doubles


@pytest.fixture
def svc():
    svc = doubles.services(account_names={"123456789012": "prod"})
    now = int(svc.clock.now())
    svc.agents.create(
        Agent(id="123456789012", region="eu-west-1", status="CREATE_COMPLETE",
              deployed_at=now - 3600, last_seen=now - 120)
    )  # fmt: skip
    svc.agents.create(Agent(id="210987654321", region="us-east-1", last_seen=now - 3 * 86400))
    svc.check_agents()  # the second is stale
    return svc


def test_every_agent_is_listed_with_its_health(core, respond):
    agents_command({"text": ""}, respond, core=core)
    shown = respond.text()
    assert "prod" in shown and "healthy" in shown and "no events for 3 d" in shown


@pytest.mark.parametrize("asked", ["123456789012", "PROD"])
def test_one_agent_by_id_or_name_with_its_recent_events(svc, core, respond, asked):
    svc.ingest({"id": "ag-1", "source": "monitoring.agent.logs",
                "detail-type": "CloudWatch Logs Error", "account": "123456789012",
                "region": "eu-west-1", "time": int(svc.clock.now()) - 30,
                "detail": {"log_group_name": "/agent", "logs": []}})  # fmt: skip
    agents_command({"text": f" {asked} "}, respond, core=core)
    shown = respond.text()
    assert "Recent agent events" in shown and "/agent" in shown and "210987654321" not in shown


def test_an_unknown_agent_gets_a_note(core, respond):
    agents_command({"text": "nobody"}, respond, core=core)
    assert "No agent for 'nobody'" in respond.text()
