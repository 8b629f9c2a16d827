"""Cold start of the ingest Lambda as it runs on AWS: STORE=dynamodb (on DynamoDB Local)
and the Slack adapter (on the fake Slack Web API), against a process that imports boto3
and makes one PutItem on the same table. As deployed, the function also reads its Slack
token from SSM (moto's server here), and its code comes without bytecode.

Each figure is the median of fresh interpreters, timed from the first line of the
program, so that the interpreter's own start (the same for all) is left out. Rounds
interleave the programs, so that the machine's noise falls on all of them alike; the
first round warms the bytecode caches and DynamoDB Local, and is not counted.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.alarms import alarm_event

ROOT = Path(__file__).resolve().parents[1]
RUNS = 9
GOAL = 1.5  # import + first event, × the baseline
TABLE = "cold-start"
REGION = "us-east-1"
PACKAGES = ("bot", "adapters", "blocks", "handlers")  # what serverless.yml packages
TOKEN_PARAMETER = "/cold-start/slack-bot-token"

# Each program prints its seconds; the ingest ones read their event before the clock
# starts (the Lambda runtime hands the handler a decoded event).
BASELINE = """\
import os, time
t = time.perf_counter()
import boto3
boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT"]).put_item(
    TableName=os.environ["AWS_DYNAMODB_TABLE"],
    Item={"pk": {"S": os.environ["COLD_START_KEY"]}, "sk": {"S": "BASELINE"}},
)
print(time.perf_counter() - t)
"""
FIRST_EVENT = """\
import json, os, time
event = json.loads(os.environ["COLD_START_EVENT"])
t = time.perf_counter()
import handlers.aws_lambda.ingest as ingest
imported = time.perf_counter() - t
answer = ingest.handler(event)
print(imported, time.perf_counter() - t)
assert answer["stored"] == 1, answer
"""
# Untimed: what the first event does (requests, clients, service models) and which
# third-party modules it loads.
INSPECT = """\
import collections, json, os, sys, sysconfig
import botocore.client, botocore.loaders, botocore.session

seen = collections.Counter()

def spy(cls, name, what):
    real = getattr(cls, name)
    def counted(self, *args, **kwargs):
        seen[what(args)] += 1
        return real(self, *args, **kwargs)
    setattr(cls, name, counted)

spy(botocore.session.Session, "__init__", lambda a: "session")
spy(botocore.client.BaseClient, "_make_api_call", lambda a: f"request {a[0]}")
spy(botocore.session.Session, "create_client", lambda a: f"client {a[0]}")
spy(botocore.loaders.Loader, "load_service_model", lambda a: f"model {a[0]} {a[1]}")
import handlers.aws_lambda.ingest as ingest
ingest.handler(json.loads(os.environ["COLD_START_EVENT"]))
lib = (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])
third = [n for n, m in sys.modules.items() if str(getattr(m, "__file__", "")).startswith(lib)]
print(json.dumps({"seen": seen, "modules": third}))
"""
LIBRARIES = """\
import importlib, json, os, sys, time
names = json.loads(sys.stdin.read())
t = time.perf_counter()
for name in names:
    try:
        importlib.import_module(name)
    except ImportError:  # an alias a package makes for itself (six.moves.*)
        pass
imported = time.perf_counter() - t
import boto3
boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT"]).put_item(
    TableName=os.environ["AWS_DYNAMODB_TABLE"],
    Item={"pk": {"S": os.environ["COLD_START_KEY"]}, "sk": {"S": "LIBRARIES"}},
)
print(imported, time.perf_counter() - t)
"""


@dataclass(frozen=True)
class Place:
    """DynamoDB Local with the table, the fake Slack, and moto's SSM with the token."""

    endpoint: str
    slack: Any
    ssm: str


def _child(code: str, env: dict[str, str], *, cwd: Path = ROOT, stdin: str = "") -> str:
    """The last line a fresh interpreter running `code` printed: its figures. The lines
    before are the handler's own, such as its embedded metrics (on Lambda they go to
    stdout, which CloudWatch reads)."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"cold start program failed:\n{out.stderr[-3000:]}")
    lines = out.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def _timed(code: str, env: dict[str, str], *, cwd: Path = ROOT, stdin: str = "") -> list[float]:
    """The seconds a timed program printed."""
    return [float(x) for x in _child(code, env, cwd=cwd, stdin=stdin).split()]


@contextmanager
def _place() -> Iterator[Place]:
    import boto3
    from moto.server import ThreadedMotoServer

    from adapters.dynamodb.schema import create_table
    from tests.contract.dynamodb_local import DynamoDBLocal
    from tests.slack.fake_slack import FakeSlack

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        with DynamoDBLocal() as local, FakeSlack() as fake:
            fake.rate_limits = False
            create_table(table=TABLE, endpoint=local.endpoint, region=REGION)
            host, port = moto.get_host_and_port()
            ssm = f"http://{host}:{port}"
            boto3.client("ssm", endpoint_url=ssm, region_name=REGION).put_parameter(
                Name=TOKEN_PARAMETER, Value="xoxb-bench", Type="SecureString"
            )
            yield Place(local.endpoint, fake, ssm)
    finally:
        moto.stop()


def _env(place: Place, run: int) -> dict[str, str]:
    """A Lambda's settings: the ingest function's, with its own alarm and channel for each
    run, so that every first event opens an alert and posts it (no storm, no budget)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {
        "STORE": "dynamodb",
        "AWS_DYNAMODB_TABLE": TABLE,
        "AWS_ENDPOINT": place.endpoint,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": place.slack.url,
        "SLACK_ALERTS_CHANNEL": f"CCOLD{run:04d}",
        "COLD_START_KEY": f"BASELINE#{run}",
        "COLD_START_EVENT": json.dumps(alarm_event(f"cold-{run}", f"ColdStart{run}", run)),
    }


def _deployed(place: Place, run: int) -> dict[str, str]:
    """The settings as deployed: the token's SSM parameter in place of the token."""
    env = _env(place, run) | {
        "SLACK_BOT_TOKEN_SSM_PARAM": TOKEN_PARAMETER,
        "AWS_ENDPOINT_URL_SSM": place.ssm,
    }
    del env["SLACK_BOT_TOKEN"]
    return env


def _posted(place: Place, env: dict[str, str]) -> None:
    if not place.slack.messages(env["SLACK_ALERTS_CHANNEL"]):
        raise RuntimeError("the first event posted nothing to Slack: the figure would be wrong")


@contextmanager
def _as_packaged() -> Iterator[Path]:
    """The bot's code as serverless.yml packages it: sources without bytecode."""
    with tempfile.TemporaryDirectory() as tmp:
        for package in PACKAGES:
            shutil.copytree(
                ROOT / package, Path(tmp) / package, ignore=shutil.ignore_patterns("__pycache__")
            )
        yield Path(tmp)


def measure() -> dict[str, Any]:
    """Seconds (medians) of each program, and what the first event did."""
    kinds = ("base", "import", "first", "ssm", "source", "libs", "floor")
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    with _place() as place, _as_packaged() as packaged:
        inspected = json.loads(_child(INSPECT, _deployed(place, 0)))
        libraries = json.dumps(inspected["modules"])
        for run in range(1, RUNS + 2):
            env = _env(place, run)
            (base,) = _timed(BASELINE, env)
            imported, first = _timed(FIRST_EVENT, env)
            _posted(place, env)
            deployed = _deployed(place, 1000 + run)
            _, with_ssm = _timed(FIRST_EVENT, deployed)
            _posted(place, deployed)
            source = _env(place, 2000 + run) | {"PYTHONDONTWRITEBYTECODE": "1"}
            _, from_source = _timed(FIRST_EVENT, source, cwd=packaged)
            _posted(place, source)
            libs, floor = _timed(LIBRARIES, env, stdin=libraries)
            if run > 1:  # the first round warms the caches
                values = (base, imported, first, with_ssm, from_source, libs, floor)
                for key, value in zip(kinds, values, strict=True):
                    samples[key].append(value)
    medians = {k: statistics.median(v) * 1000 for k, v in samples.items()}
    return medians | {"seen": inspected["seen"]}


def _seen(seen: dict[str, int], kind: str) -> str:
    """What the inspection saw of one kind (requests, clients, models), with counts."""
    items = sorted((k.removeprefix(f"{kind} "), n) for k, n in seen.items() if k.startswith(kind))
    return ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in items) or "none"


def _under(floor_ratio: float) -> str:
    """What the floor says of the goal."""
    if floor_ratio > GOAL:
        return f", over the goal of {GOAL}× before the bot's own code runs at all"
    return f", so {GOAL - floor_ratio:.2f}× of the goal is left for the bot's own code"


def run() -> str:
    m = measure()
    base = m["base"]
    ratio = m["first"] / base
    verdict = "met" if ratio <= GOAL else "not met"
    requests = sum(n for k, n in m["seen"].items() if k.startswith("request"))
    sessions = m["seen"].get("session", 0)

    def row(what: str, ms: float) -> str:
        return f"| {what} | {ms:.0f} | {ms / base:.2f}× |\n"

    return (
        "## Cold start of the ingest Lambda\n\n"
        f"Goal: a cold start's import plus its first event takes ≤ {GOAL}× the baseline, a "
        "fresh process that imports boto3 and makes one PutItem on the same table. The "
        "ingest function runs as on AWS: `STORE=dynamodb` on DynamoDB Local and the Slack "
        "adapter on the fake Slack Web API; its first event is a CloudWatch alarm that opens "
        "an alert and posts it. Median of "
        f"{RUNS} fresh interpreters each, timed from their first line, bytecode cached; "
        "rounds interleave the programs.\n\n"
        "| what | ms | × baseline |\n|---|---|---|\n"
        + row("baseline: `import boto3`, a DynamoDB client, one PutItem", base)
        + row("`import handlers.aws_lambda.ingest`", m["import"])
        + row("**import + first event** (alarm stored, alert opened, posted to Slack)", m["first"])
        + row("… with the token read from SSM, as deployed", m["ssm"])
        + row(
            "… with the bot's code without bytecode, as packaged (libraries keep theirs)",
            m["source"],
        )
        + row("the third-party modules of that path, imported alone (no bot code)", m["libs"])
        + row("… then a DynamoDB client and one PutItem: the floor of any such ingest", m["floor"])
        + f"\nRatio: {ratio:.2f}× (goal {verdict}). The floor row is the least a first "
        "event can take with these libraries: it imports them, as the bot's code would, "
        "then does the baseline's one request, and it is "
        f"{m['floor'] / base:.2f}× the baseline{_under(m['floor'] / base)}. "
        "As deployed, the first event makes "
        f"{requests} AWS requests ({_seen(m['seen'], 'request')}) through "
        f"{sessions} botocore session{'' if sessions == 1 else 's'}; clients: "
        f"{_seen(m['seen'], 'client')}; service models loaded: {_seen(m['seen'], 'model')}. "
        "The libraries are those the bot is built on (pydantic and pydantic-settings, "
        "pynamodb and botocore, slack_sdk, Jinja2, powertools), which no laziness in the "
        "bot's code avoids: the first event uses each of them. serverless.yml packages the "
        "bot's code without `.pyc` files and Lambda's code directory is read-only, so on "
        "AWS every cold start compiles it.\n"
    )
