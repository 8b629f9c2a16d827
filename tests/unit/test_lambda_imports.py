"""What the ingest Lambda loads, read from fresh interpreters: its import loads none of the
libraries of the HTTP service, the Slack listeners or the scheduler, nor what only the
scheduled jobs or its first event need; its first event, through the Slack adapter, still
loads none of the former two. (How long a cold start takes is a figure of
benchmarks/cold_start.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.contract.dynamodb_local import free_port
from tests.corpus import load

ROOT = Path(__file__).resolve().parents[2]

# Never on the ingest function's path: the HTTP service, the Slack listeners, the
# scheduler, the job table, and boto3 (its clients come from botocore's session).
FOREIGN = (
    "fastapi",
    "starlette",
    "mangum",
    "uvicorn",
    "slack_bolt",
    "apscheduler",
    "boto3",
    "scheduler",
    "handlers.http",
    "handlers.rest",
    "handlers.slack",
    "handlers.jobs",
)
# What only the scheduled jobs use (the daily report, the health and agent checks, the
# log sweep), and the generic view an interpreter falls back on: loaded on first use.
LATER = (
    "bot.daily_report",
    "bot.models.reports",
    "bot.models.logs",
    "blocks.report",
    "bot.health",
    "bot.agent_health",
    "bot.error_logs",
    "bot.sources.generic",
)
# Loaded by the first event, not by the import (powertools' logging imports botocore's
# package for its user agent, not its sessions and clients).
FIRST_EVENT = ("jinja2", "slack_sdk", "pynamodb", "botocore.session", "adapters", "blocks")

PRINT_MODULES = "import json, sys; print(json.dumps(sorted(sys.modules)))"


def loaded(program: str, **env: str) -> set[str]:
    """The modules a fresh interpreter holds after `program`."""
    done = subprocess.run(
        [sys.executable, "-c", f"{program}\n{PRINT_MODULES}"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def among(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The modules that are one of `names` or inside one."""
    return sorted(m for m in modules if any(m == n or m.startswith(f"{n}.") for n in names))


def test_among_finds_packages_and_their_modules() -> None:
    assert among({"jinja2.nodes", "jinja2x", "json"}, ("jinja2",)) == ["jinja2.nodes"]


def test_importing_the_ingest_function_loads_only_what_its_import_needs() -> None:
    modules = loaded("import handlers.aws_lambda.ingest")
    assert "handlers.aws_lambda.ingest" in modules
    assert among(modules, FOREIGN + LATER + FIRST_EVENT) == []


def test_a_first_event_through_the_slack_adapter_loads_nothing_foreign(tmp_path: Path) -> None:
    # Slack refuses the connection: the alert's post waits for a retry, the event is stored.
    modules = loaded(
        "import json, os, handlers.aws_lambda.ingest as ingest\n"
        "answer = ingest.handler(json.loads(os.environ['EVENT']))\n"
        "assert answer['stored'] == 1, answer",
        EVENT=json.dumps(load("cloudwatch_alarm_state_change_single_metric.json")),
        STORE="sqlite",
        DATA_DIR=str(tmp_path),
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_ALERTS_CHANNEL="CIMPORTS",
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
    )
    assert {"slack_sdk", "jinja2", "adapters.slack", "bot.sources.alarm"} <= modules
    assert among(modules, FOREIGN + LATER) == []
