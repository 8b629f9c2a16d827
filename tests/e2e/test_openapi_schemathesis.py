"""Schemathesis, with every one of its checks, against the app in-process (ASGI), over
the document the app publishes at /openapi.json, unchanged: what the document says a
request may be is what the API accepts, and what it answers is what the document says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

from bot.models import NewAgent
from tests.corpus import load
from tests.fuzz.test_api_schemathesis import build_app as fuzz_app

EXAMPLES = 12  # per operation: the whole run stays within a few seconds
KNOWN_AGENT = "123456789012"
# POST /ingest reads many shapes of AWS event by their content: its document describes
# the body as any JSON object or array, so not every schema-valid body is an event.
EXCEPT = {"POST /ingest": ("positive_data_acceptance",)}


def build_app(data_dir: Path) -> Any:
    """The fuzz suite's app (SQLite, a fake clock and chat), with two agents and two events."""
    app, services = fuzz_app(data_dir, {})
    services.agents.create(NewAgent(id=KNOWN_AGENT, region="us-east-1"))
    services.agents.create(NewAgent(id="210987654321", region="eu-west-1"))
    services.ingest(load("ecs_task_state_change_running.json"))
    services.ingest(load("guardduty_finding_high_minimal.json"))
    return app


def _positive(case: Any) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def test_schemathesis_with_all_its_checks_passes(tmp_path):
    app = build_app(tmp_path)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    load_all_checks()
    checks = CHECKS.get_all()
    assert len(checks) >= 10
    client = TestClient(app)
    cursors = {
        path: client.get(path, params={"limit": 1, **since}).json()["next"]
        for path, since in (("/events", {"start_date": 0}), ("/agents", {}))
    }
    assert all(cursors.values())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []
    for operation in operations:
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=cases)
        def run(case: Any) -> None:
            if case.query and _positive(case):
                # What no JSON Schema can say: a valid cursor is one the API issued, a
                # range starts before it ends, a body's agent id is its path's.
                if "cursor" in case.query:
                    case.query["cursor"] = cursors[case.path]
                if {"start_date", "end_date"} <= set(case.query):
                    low, high = sorted([case.query["start_date"], case.query["end_date"]])
                    case.query.update(start_date=low, end_date=high)
            body = case.body if _positive(case) else None
            if isinstance(body, dict) and "agent_id" in body and case.path_parameters:
                body["agent_id"] = case.path_parameters["agent_id"]  # the path's, if given
            skipped = EXCEPT.get(case.operation.label, ())
            case.call_and_validate(checks=[c for c in checks if c.__name__ not in skipped])

        try:
            run()
        except (Exception, BaseExceptionGroup) as err:  # each operation's failures are listed
            failures.append(f"{operation.label}: {str(err)[:1500]}")
    assert not failures, "\n\n".join(failures)
