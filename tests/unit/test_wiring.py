"""The composition root and what moved into the core with it: the agents' news of each
new event, the ingest use case's nudges, the one job table, and the narrow store ports
that every store adapter serves."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import scheduler
from adapters.memory import MemoryAgentStore, MemoryAlertStore
from bot.agents import AgentNews
from bot.config import Settings
from bot.errors import InternalServerError
from bot.intake import FLUSH_EVERY_S
from bot.models import Agent, Alert, Outbox
from bot.ports import AlertStore, SilenceStore, StateStore
from bot.services import Services
from handlers.aws_lambda import wiring
from handlers.jobs import JOBS, of_function
from tests.corpus import load
from tests.deploy.cfn import load_yaml
from tests.factories.services import memory_services

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"


class Nudged:
    """The Nudges port, remembering the channels it was told of."""

    delay_s = 10

    def __init__(self) -> None:
        self.channels: list[str] = []

    def nudge(self, channel: str, now: float) -> bool:
        self.channels.append(channel)
        return True


def services(*, agents: Any = None, nudges: Nudged | None = None, **settings: Any) -> Services:
    return memory_services(
        Settings(_env_file=None, slack_alerts_channel="C1", **settings),
        agents=agents or MemoryAgentStore(),
        nudges=nudges,
    )


def agent_event(event_id: str) -> dict[str, Any]:
    return {"id": event_id, "source": "monitoring.agent.logs",
            "detail-type": "CloudWatch Logs Error", "account": ACCOUNT, "region": "eu-west-1",
            "detail": {"log_group_name": "/agent", "logs": []}}  # fmt: skip


# --- the composition root -----------------------------------------------------------------


def test_the_use_cases_share_one_delivery_built_once():
    svc = services()
    assert svc.delivery is svc.delivery
    assert svc.ingest.delivery is svc.delivery
    assert svc.delivery.alerts is svc.alerts and svc.delivery.clock is svc.clock


# --- the agents' news ---------------------------------------------------------------------


def test_an_agent_event_is_a_heartbeat_of_its_agent():
    svc = services()
    svc.agents.create(Agent(id=ACCOUNT, region="eu-west-1"))
    svc.ingest(agent_event("hb-1"))
    assert svc.agents.get(ACCOUNT).last_seen == int(svc.clock.now())


def test_a_status_change_of_an_agent_stack_is_a_deployment_of_its_agent():
    svc = services(agent_stack_pattern="test*")  # the sample's stack is "teststack"
    event = load("cloudformation_stack_status_change_create_complete.json")
    svc.ingest(event)
    agent = svc.agents.get(event["account"])
    assert (agent.status, agent.region) == ("CREATE_COMPLETE", event["region"])


def test_a_failing_registry_is_logged_and_the_alert_still_goes(caplog):
    class Broken(MemoryAgentStore):
        def get(self, agent_id: str) -> Agent:
            raise InternalServerError("the registry is down")

    svc = services(agents=Broken())
    result = svc.ingest(agent_event("hb-1"))
    assert result.stored == 1
    assert "could not update the agent of account" in caplog.text
    assert svc.chat.posts  # notified all the same


def test_agent_news_is_given_only_the_ports_it_declares():
    assert list(inspect.signature(AgentNews).parameters) == ["agents", "clock", "stack_pattern"]


# --- the ingest use case's nudges ----------------------------------------------------------


def due(svc: Services, alert_id: str, channel: str | None, at: int) -> None:
    svc.alerts.create_alert(
        Alert(
            id=alert_id,
            fingerprint=alert_id,
            channel=channel,
            outbox=Outbox(pending=True, next_attempt_at=at),
            first_seen=at,
            last_seen=at,
        )
    )


def test_channels_with_work_due_before_a_nudge_arrives_are_nudged_once_each():
    nudges = Nudged()
    svc = services(nudges=nudges)
    now = int(svc.clock.now())
    due(svc, "a1", "C2", now)
    due(svc, "a2", "C2", now + 5)
    due(svc, "a3", None, now + nudges.delay_s)  # the default channel's
    due(svc, "a4", "C3", now + nudges.delay_s + 1)  # not due yet when it would arrive
    assert svc.ingest.nudge_channels() == 2
    assert nudges.channels == ["C1", "C2"]


def test_without_a_send_queue_nothing_is_nudged():
    svc = services()
    due(svc, "a1", "C2", int(svc.clock.now()))
    assert svc.ingest.nudge_channels() == 0


def test_receive_stores_then_moves_due_work_on_and_a_failure_after_is_only_logged(caplog):
    nudges = Nudged()
    svc = services(nudges=nudges)
    svc.chat.fail_next()  # the alert's post stays due
    assert svc.ingest.receive(load("cloudwatch_alarm_state_change_single_metric.json")).stored == 1
    assert nudges.channels == ["C1"]

    def broken(*args: Any, **kwargs: Any) -> list[Alert]:
        raise InternalServerError("store down")

    svc.alerts.list_pending = broken  # type: ignore[method-assign]
    svc.clock.advance(FLUSH_EVERY_S)  # type: ignore[attr-defined]
    event = load("cloudformation_stack_status_change_create_complete.json")
    assert svc.ingest.receive(event).stored == 1
    assert "flush after ingest failed" in caplog.text


def test_receive_moves_due_work_on_at_most_once_a_second():
    """A burst pays for the flush and the nudges once a second, not once per event."""
    svc = services(nudges=Nudged())
    looked: list[int] = []
    real = svc.alerts.list_pending

    def counted(now: int, limit: int = 100) -> list[Alert]:
        looked.append(now)
        return real(now, limit)

    svc.alerts.list_pending = counted  # type: ignore[method-assign]
    body = load("cloudwatch_alarm_state_change_single_metric.json")
    for n in range(5):
        svc.ingest.receive({**body, "id": f"burst-{n}"})
    first = len(looked)
    assert first > 0  # the first event did it
    svc.ingest.receive({**body, "id": "burst-5"})
    assert len(looked) == first  # the same second: not again
    svc.clock.advance(FLUSH_EVERY_S)  # type: ignore[attr-defined]
    svc.ingest.receive({**body, "id": "burst-6"})
    assert len(looked) > first


# --- the job table ------------------------------------------------------------------------


def test_the_scheduler_runs_the_table_s_jobs_and_nothing_else():
    svc = services()
    jobs = scheduler.start(svc)
    try:
        ids = {job.id for job in jobs.get_jobs()} - {"report-catch-up"}
    finally:
        jobs.shutdown(wait=False)
    assert ids == {name for name, job in JOBS.items() if job.every is not None}
    assert all(job.function or job.every for job in JOBS.values())  # each runs somewhere


LAMBDA_JOB = re.compile(
    r'^""".+?"""\n\nfrom handlers\.aws_lambda\.wiring import scheduled\n\n'
    r'handler = scheduled\("(\w+)"\)\n$',
    re.S,
)


@pytest.mark.parametrize("job", [j for j in JOBS.values() if j.function], ids=lambda j: j.function)
def test_each_lambda_job_module_is_its_table_entry(job, tmp_path, monkeypatch):
    source = (ROOT / "handlers" / "aws_lambda" / f"{job.function}.py").read_text()
    found = LAMBDA_JOB.match(source)
    assert found and found.group(1) == job.function, f"{job.function}.py is not a one-liner"
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STORE", "sqlite")
    from tests.lambdas import cold_start

    with cold_start():
        module = importlib.reload(importlib.import_module(f"handlers.aws_lambda.{job.function}"))
    assert module.handler.__qualname__ == f"{wiring.scheduled.__qualname__}.<locals>.handler"
    assert of_function(job.function) is job


def schedules() -> dict[str, list[str]]:
    """Each function's schedule expressions in serverless.yml, its params' defaults put in."""
    config = load_yaml(ROOT / "serverless.yml")
    params = config["params"]["default"]

    def resolved(text: str) -> str:
        return re.sub(r"\$\{param:(\w+)\}", lambda m: str(params[m.group(1)]), text)

    return {
        name: [resolved(e["schedule"]) for e in function.get("events", []) if "schedule" in e]
        for name, function in config["functions"].items()
    }


def test_serverless_schedules_only_the_table_s_jobs_on_their_schedules():
    scheduled_functions = {name: found for name, found in schedules().items() if found}
    assert scheduled_functions == {
        job.function: [job.aws] for job in JOBS.values() if job.function is not None
    }


def test_an_unknown_function_runs_no_job():
    with pytest.raises(KeyError, match="ingest"):
        of_function("ingest")


# --- the narrow store ports ---------------------------------------------------------------


def members(protocol: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(value)
        for name, value in vars(protocol).items()
        if inspect.isfunction(value) and not name.startswith("_")
    }


def store_classes() -> list[type]:
    from adapters.dynamodb.stores import DynamoAlertStore
    from adapters.sqlite import SqliteAlertStore

    return [MemoryAlertStore, SqliteAlertStore, DynamoAlertStore]


@pytest.mark.parametrize("port", [AlertStore, SilenceStore, StateStore], ids=lambda p: p.__name__)
@pytest.mark.parametrize("store", store_classes(), ids=lambda c: c.__name__)
def test_every_alert_store_adapter_serves_each_port(store, port):
    for name, wanted in members(port).items():
        method = getattr(store, name, None)
        assert callable(method), f"{store.__name__} lacks {port.__name__}.{name}"
        assert list(inspect.signature(method).parameters) == list(wanted.parameters), name


def test_the_ports_split_the_store_s_methods_between_them():
    split = [set(members(port)) for port in (AlertStore, SilenceStore, StateStore)]
    assert not (split[0] & split[1] or split[0] & split[2] or split[1] & split[2])
    assert {"get_state", "put_state"} == split[2]
