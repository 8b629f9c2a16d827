"""Fuzz strategies: hostile text, every family's detail and every envelope ingest accepts.

Built on tests/strategies.py (`junk`, `junk_object`, `junk_like`): realistic bases (the
per-family factories and the corpus) with fields kept, replaced by junk or hostile text,
wrapped in hostile text, or dropped, so that interpreters reach their deep branches with
the text an attacker (anyone who can call PutEvents) would put there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from bot import strict_json
from bot.envelopes import BACKUP_SNS_DETAIL_TYPE
from bot.event_search import KEYS
from bot.models import (
    Agent,
    Alert,
    AlertStatus,
    Change,
    CountItem,
    DailyReport,
    Enrichment,
    HistoryEntry,
    ReportAlert,
    ReportPart,
    Severity,
    Signal,
    SignalField,
    SignalState,
    Silence,
    StormAlert,
    StormDigest,
)
from bot.runbook import https_url
from tests.corpus import corpus_files
from tests.factories import accessanalyzer as f_aa
from tests.factories import alarm as f_alarm
from tests.factories import autoscaling as f_asg
from tests.factories import backup as f_backup
from tests.factories import budgets as f_budgets
from tests.factories import cloudformation as f_cfn
from tests.factories import codebuild as f_cb
from tests.factories import codedeploy as f_cd
from tests.factories import codepipeline as f_cp
from tests.factories import config as f_config
from tests.factories import costanomaly as f_ce
from tests.factories import ec2 as f_ec2
from tests.factories import ecr as f_ecr
from tests.factories import ecs as f_ecs
from tests.factories import guardduty as f_gd
from tests.factories import health as f_health
from tests.factories import inspector as f_insp
from tests.factories import lambda_destinations as f_lambda
from tests.factories import logs as f_logs
from tests.factories import macie as f_macie
from tests.factories import rds as f_rds
from tests.factories import securityhub as f_sh
from tests.factories import stepfunctions as f_sfn
from tests.strategies import junk, junk_object

# ---------------------------------------------------------------------------------------------
# Hostile text
# ---------------------------------------------------------------------------------------------

# Tokens Slack acts on where a raw `<` opens them, and the characters that open them.
SLACK_TOKENS = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123ABC>",
    "<@W0SLACKER>",
    "<#C0123ABCD|general>",
    "<!subteam^S0123ABC>",
    "<http://x|y>",
    "<https://evil.example/login|Click here>",
    "<mailto:a@b.example|mail>",
    "<!date^1700000000^{date}|x>",
)
MARKUP = (
    "&",
    "<",
    ">",
    "&<>",
    "&amp;",
    "&lt;b&gt;",
    "&#60;",
    "*bold*",
    "_it_",
    "~strike~",
    "`code`",
    "```block```",
    "> quote",
    ">>> quote",
    "@channel",
    "@here",
    "#general",
    "|",
    "https://example.com/a?b=1&c=<2>",
    "{{ 7*7 }}",
    "{% raw %}",
    "%s%n",
)
UNICODE = (
    "\u202e",  # right-to-left override
    "\u200b",  # zero width space
    "\ufeff",
    "e\u0301",  # combining accent
    "\U0001f4a5\U0001f525",
    "\U0001f9d1\u200d\U0001f4bb",  # ZWJ sequence
    "漢字",
    "عربى",
    "ｆｕｌｌ",
    "\u2028\u2029",
)
CONTROL = (
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b[31m",
    "\x7f",
    "\u0085",
    "\r\n",
    "\t",
)
PIECES = SLACK_TOKENS + MARKUP + UNICODE + CONTROL
LONG_MAX = 6000  # long enough to pass every Slack limit, short enough to stay one event


def _long(piece: str, size: int) -> str:
    return (piece * (size // max(len(piece), 1) + 1))[:size]


def hostile_text() -> st.SearchStrategy[str]:
    """Text that mrkdwn would obey, break or mangle: Slack tokens, entities, markup,
    bidi and control characters, and strings longer than every Slack limit."""
    piece = st.sampled_from(PIECES)
    mixed = st.lists(piece | st.text(max_size=8), min_size=1, max_size=6).map("".join)
    long = st.builds(_long, piece | st.just("a"), st.integers(150, LONG_MAX))
    return st.one_of(piece, mixed, long)


# ---------------------------------------------------------------------------------------------
# Mutation of a realistic base
# ---------------------------------------------------------------------------------------------

_DROP = object()  # a slot's value that removes the key (or list item)
# How a slot changes; "keep" (recursing into containers) is the most likely.
_ACTIONS = ("keep", "keep", "keep", "keep", "hostile", "hostile", "wrap", "junk", "drop")


def _slot(value: Any) -> st.SearchStrategy[Any]:
    def act(action: str) -> st.SearchStrategy[Any]:
        if action == "keep":
            return hostile_like(value)
        if action == "hostile":
            return hostile_text()
        if action == "wrap":
            base = value if isinstance(value, str) else json.dumps(value)
            return st.tuples(hostile_text(), hostile_text()).map(lambda t: f"{t[0]}{base}{t[1]}")
        if action == "junk":
            return junk()
        return st.just(_DROP)

    return st.sampled_from(_ACTIONS).flatmap(act)


def hostile_like(template: Any) -> st.SearchStrategy[Any]:
    """`template` with each key or item kept (most often), replaced by hostile text or
    junk of any JSON type, wrapped in hostile text, or dropped; objects may gain a key."""
    if isinstance(template, dict):
        keyed = st.fixed_dictionaries({k: _slot(v) for k, v in template.items()})
        extra = st.dictionaries(hostile_text(), hostile_text() | junk(), max_size=1)
        return st.tuples(keyed, extra).map(
            lambda kv: {**kv[1], **{k: v for k, v in kv[0].items() if v is not _DROP}}
        )
    if isinstance(template, list):
        items = st.tuples(*(_slot(v) for v in template)) if template else st.just(())
        return items.map(lambda xs: [x for x in xs if x is not _DROP])
    return st.just(template)


# ---------------------------------------------------------------------------------------------
# Every family's detail
# ---------------------------------------------------------------------------------------------

# How a case's body is shaped: a detail inside an envelope, or a body AWS sends bare.
DETAIL = "detail"  # goes into any EventBridge-like envelope
CLASSIC = "classic"  # a classic CloudWatch alarm body (bare, or inside SNS)
FINDING = "finding"  # a GuardDuty finding: a detail, or bare (detail-only)
SNS_TEXT = "sns_text"  # an SNS notification whose Message is text


@dataclass(frozen=True)
class Case:
    """A realistic base of one family: what detail-type and source AWS gives it."""

    family: str
    detail_type: str | None
    source: str
    base: dict[str, Any]
    shape: str = DETAIL


def _cases() -> list[Case]:
    cw, gd, sh, hl = f_alarm.SOURCE, f_gd.SOURCE, f_sh.SOURCE, f_health.SOURCE
    cases = [
        *(
            Case("alarm", f_alarm.STATE_CHANGE, cw, f_alarm.state_change(kind=k, state=s))
            for k in ("single", "math", "anomaly", "composite")
            for s in ("ALARM", "OK", "INSUFFICIENT_DATA")
        ),
        Case("alarm", f_alarm.STATE_CHANGE, cw, f_alarm.state_change(suppressed_by="Alarm")),
        Case("alarm", f_alarm.CONFIGURATION_CHANGE, cw, f_alarm.configuration_change()),
        Case("alarm", None, cw, f_alarm.classic(), CLASSIC),
        Case("alarm", None, cw, f_alarm.classic(state="OK", arn="arn:aws:cloudwatch:eu-west-1:123456789012:alarm:CpuHigh"), CLASSIC),  # noqa: E501
        *(
            Case("guardduty", f_gd.FINDING, gd, f_gd.finding(severity=s, resource_type=r, archived=a), FINDING)  # noqa: E501
            for s, r, a in ((9.5, "Instance", False), (5, "AccessKey", False), (2, "S3Bucket", True), ("8", "Instance", False))  # noqa: E501
        ),
        Case("guardduty", f_gd.MALWARE_SCAN, gd, f_gd.malware_scan()),
        Case("guardduty", f_gd.MALWARE_SCAN, gd, f_gd.malware_scan(status="NO_THREATS_FOUND")),
        *(
            Case("securityhub", f_sh.IMPORTED, sh, f_sh.findings(f_sh.finding(label=lbl, compliance=c, workflow=w)))  # noqa: E501
            for lbl, c, w in (("CRITICAL", "FAILED", "NEW"), ("INFORMATIONAL", "PASSED", "RESOLVED"), ("MEDIUM", None, None))  # noqa: E501
        ),
        Case("securityhub", f_sh.IMPORTED, sh, f_sh.findings(f_sh.finding(label=None, normalized=75), f_sh.finding(record_state="ARCHIVED"))),  # noqa: E501
        Case("securityhub", f_sh.CUSTOM_ACTION, sh, f_sh.findings(f_sh.finding(), action_name="SendToOnCall")),  # noqa: E501
        *(
            Case("health", f_health.DETAIL_TYPE, hl, f_health.event_detail(category=c, status=st_))
            for c, st_ in (("issue", "open"), ("scheduledChange", "upcoming"), ("accountNotification", None), ("issue", "closed"))  # noqa: E501
        ),
        Case("health", f_health.ABUSE, hl, f_health.event_detail(category="issue")),
        *(
            Case("cloudformation", f_cfn.STACK, src, f_cfn.stack_status(s, stack=n, reason="Resource creation failed"))  # noqa: E501
            for s in ("CREATE_FAILED", "UPDATE_ROLLBACK_COMPLETE", "CREATE_COMPLETE", "UPDATE_IN_PROGRESS")  # noqa: E501
            for src, n in ((f_cfn.SOURCE, "teststack"), (f_cfn.AGENT_SOURCE, "monitoring-agent-x"))
        ),
        Case("cloudformation", f_cfn.RESOURCE, f_cfn.SOURCE, f_cfn.resource_status("CREATE_FAILED", reason="denied")),  # noqa: E501
        Case("cloudformation", f_cfn.DRIFT, f_cfn.SOURCE, f_cfn.drift_status()),
        Case("ecs", f_ecs.TASK, f_ecs.SOURCE, f_ecs.task_state("STOPPED", stop_code="TaskFailedToStart", stopped_reason="CannotPullContainerError", containers=[f_ecs.container(exit_code=137, reason="OOM", last_status="STOPPED")])),  # noqa: E501
        Case("ecs", f_ecs.TASK, f_ecs.SOURCE, f_ecs.task_state("RUNNING")),
        *(
            Case("ecs", f_ecs.SERVICE_ACTION, f_ecs.SOURCE, f_ecs.service_action(t, n, reason="no capacity", capacity_providers=["cp"]))  # noqa: E501
            for t, n in (("ERROR", "SERVICE_TASK_PLACEMENT_FAILURE"), ("WARN", "SERVICE_TASK_START_IMPAIRED"), ("INFO", "SERVICE_STEADY_STATE"))  # noqa: E501
        ),
        Case("ecs", f_ecs.DEPLOYMENT, f_ecs.SOURCE, f_ecs.deployment_state("SERVICE_DEPLOYMENT_FAILED")),  # noqa: E501
        Case("ecs", f_ecs.CONTAINER_INSTANCE, f_ecs.SOURCE, f_ecs.container_instance_state()),
        *(
            Case("codepipeline", dt, f_cp.SOURCE, build(s))
            for dt, build in ((f_cp.PIPELINE, f_cp.pipeline_execution), (f_cp.STAGE, f_cp.stage_execution))  # noqa: E501
            for s in ("FAILED", "SUCCEEDED", "STARTED")
        ),
        Case("codepipeline", f_cp.ACTION, f_cp.SOURCE, f_cp.action_execution("FAILED", error_code="JobFailed", summary="Deployment failed", url="https://example.com/deploy?id=1&x=2")),  # noqa: E501
        *(
            Case("backup", dt, f_backup.SOURCE, f_backup.job_state(s, job_key=key, status_message="Access denied"))  # noqa: E501
            for dt, key in ((f_backup.BACKUP_JOB, "backupJobId"), (f_backup.COPY_JOB, "copyJobId"), (f_backup.RESTORE_JOB, "restoreJobId"))  # noqa: E501
            for s in ("FAILED", "COMPLETED", "EXPIRED", "ABORTED")
        ),
        Case("backup", BACKUP_SNS_DETAIL_TYPE, f_backup.SOURCE, f_backup.sns_notification(), SNS_TEXT),  # noqa: E501
        Case("logs", f_logs.LOGS_ERROR, f_logs.SOURCE, f_logs.logs_result(["ERROR one", "ERROR two", *[f"ERROR {n}" for n in range(6)]])),  # noqa: E501
        Case("logs", f_logs.LOGS_ERROR, f_logs.SOURCE, f_logs.log_entry()),
        Case("agent", "Agent Deployment", "monitoring.agents", {"agent_id": "123456789012", "region": "us-east-1", "status": "CREATE_COMPLETE", "deployed_at": "2024-01-01T00:00:00Z"}),  # noqa: E501
        Case("agent", "Agent Health", "monitoring.agents", {"agent_id": "123456789012", "region": "us-east-1", "problem": "no heartbeat for 2h", "last_seen": "2024-01-01T00:00:00Z"}),  # noqa: E501
        *(Case("stepfunctions", f_sfn.EXECUTION_STATUS_CHANGE, f_sfn.SOURCE, f_sfn.execution(s)) for s in ("FAILED", "SUCCEEDED", "RUNNING")),  # noqa: E501
        Case("autoscaling", f_asg.LAUNCH_UNSUCCESSFUL, f_asg.SOURCE, f_asg.activity("Failed")),
        Case("autoscaling", f_asg.LAUNCH_SUCCESSFUL, f_asg.SOURCE, f_asg.activity("Successful")),
        Case("autoscaling", f_asg.LAUNCH_LIFECYCLE, f_asg.SOURCE, f_asg.lifecycle_action()),
        Case("ecr", f_ecr.IMAGE_SCAN, f_ecr.SOURCE, f_ecr.image_scan()),
        Case("ecr", f_ecr.IMAGE_ACTION, f_ecr.SOURCE, f_ecr.image_action()),
        Case("inspector", f_insp.FINDING, f_insp.SOURCE, f_insp.finding()),
        Case("codebuild", f_cb.BUILD_STATE, f_cb.SOURCE, f_cb.build_state()),
        Case("codebuild", f_cb.BUILD_PHASE, f_cb.SOURCE, f_cb.build_phase()),
        Case("codedeploy", f_cd.DEPLOYMENT, f_cd.SOURCE, f_cd.deployment()),
        Case("codedeploy", f_cd.INSTANCE, f_cd.SOURCE, f_cd.instance()),
        Case("config", f_config.COMPLIANCE_CHANGE, f_config.SOURCE, f_config.compliance_change()),
        Case("config", f_config.ITEM_CHANGE, f_config.SOURCE, f_config.item_change()),
        Case("rds", f_rds.INSTANCE, f_rds.SOURCE, f_rds.rds_event("failure")),
        Case("rds", f_rds.CLUSTER, f_rds.SOURCE, f_rds.rds_event("recovery")),
        Case("ec2", f_ec2.SPOT_INTERRUPTION, f_ec2.SOURCE, f_ec2.spot_interruption()),
        Case("ec2", f_ec2.STATE_CHANGE, f_ec2.SOURCE, f_ec2.state_change()),
        Case("budgets", f_budgets.NOTIFICATION, f_budgets.SOURCE, f_budgets.notification(), SNS_TEXT),  # noqa: E501
        Case("costanomaly", f_ce.ANOMALY, f_ce.SOURCE, f_ce.anomaly()),
        Case("lambda", f_lambda.FAILURE, f_lambda.SOURCE, f_lambda.record()),
        Case("accessanalyzer", f_aa.EXTERNAL, f_aa.SOURCE, f_aa.finding()),
        Case("macie", f_macie.FINDING, f_macie.SOURCE, f_macie.finding()),
        Case("prometheus", "Prometheus Alert", "prometheus.alertmanager", {"status": "firing", "labels": {"alertname": "HighLatency", "severity": "critical"}, "annotations": {"summary": "p99 over 2 s"}, "startsAt": "2024-05-02T14:05:09Z", "fingerprint": "c0ffee"}),  # noqa: E501
        Case("generic", "Glue Job State Change", "aws.glue", {"jobName": "etl", "state": "FAILED", "message": "boom", "jobRunId": "jr_1"}),  # noqa: E501
        Case("generic", "Anything Else", "com.example.app", {"title": "custom", "nested": {"a": [1, 2]}}),  # noqa: E501
        Case("generic", None, "aws.sns", {"subject": "Hello", "message": "plain text", "topic_arn": "arn:aws:sns:us-east-1:123456789012:t", "attributes": {}}, SNS_TEXT),  # noqa: E501
    ]  # fmt: skip
    return cases


CASES = _cases()
FAMILIES = sorted({c.family for c in CASES})


def case_details(case: Case) -> st.SearchStrategy[dict[str, Any]]:
    """A case's detail: the base mutated, or (rarely) junk under the keys it has."""
    keys = list(case.base)
    junked = junk_object(keys, other_keys=True)
    return st.sampled_from(("like", "like", "like", "like", "junk")).flatmap(
        lambda how: hostile_like(case.base) if how == "like" else junked
    )


# ---------------------------------------------------------------------------------------------
# Envelopes
# ---------------------------------------------------------------------------------------------

EVENTBRIDGE = "eventbridge"
REDUCED = "reduced"
SNS_LAMBDA = "sns_lambda"
SNS_HTTP = "sns_http"
PUT_EVENTS = "put_events"
ENTRIES = "entries"
BARE = "bare"
SNS_BARE = "sns_bare"  # a bare body (classic alarm, finding) as an SNS Lambda event's Message
ARRAY = "array"
REPEAT = "repeat"  # an event, then the same content under another id (a repeat alert)
CORPUS = "corpus"
SQS = "sqs"  # an SQS Lambda record whose body holds the event (EventBridge → SQS)
SNS_SQS = "sns_sqs"  # an SQS record whose body is SNS's notification (SNS → SQS)
ALARM_ACTION = "alarm_action"  # what an alarm sends the function it invokes
NESTED_KINDS = (EVENTBRIDGE, REDUCED, SNS_LAMBDA, SNS_HTTP, PUT_EVENTS, ENTRIES, SQS, SNS_SQS)


@dataclass
class Unit:
    """One generated event, and what generating it knows about whether it must be kept."""

    family: str
    envelope: str
    body: Any
    # True when only the detail was mutated inside an envelope that stays well-formed:
    # Ingest rejects an event only when no known shape matches, so it must be stored.
    must_store: bool


@dataclass(frozen=True)
class Meta:
    """Envelope fields: realistic, or hostile when the envelope is fuzzed too."""

    id: str
    account: str
    region: str
    time: str
    resources: list[str]
    message_id: str
    subject: str


def metas(hostile: bool) -> st.SearchStrategy[Meta]:
    ids = st.uuids().map(str)
    text = hostile_text()
    accounts = st.sampled_from(["123456789012", "210987654321", "12345678"])
    regions = st.sampled_from(["us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1"])
    times = st.sampled_from(["2024-01-01T00:00:00Z", "2023-11-14T22:13:20Z"])
    if hostile:
        ids = ids | text
        accounts = accounts | text
        regions = regions | text
    return st.builds(
        Meta,
        id=ids,
        account=accounts,
        region=regions,
        time=times,
        resources=st.lists(st.just("arn:aws:ec2:us-east-1:123456789012:instance/i-1") | text, max_size=2),  # noqa: E501
        message_id=st.uuids().map(str) | (text if hostile else st.nothing()),
        subject=text | st.just("Notification from AWS Backup"),
    )  # fmt: skip


def _eventbridge(case: Case, detail: dict[str, Any], m: Meta) -> dict[str, Any]:
    return {
        "version": "0",
        "id": m.id,
        "detail-type": case.detail_type or "CloudWatch Alarm State Change",
        "source": case.source,
        "account": m.account,
        "time": m.time,
        "region": m.region,
        "resources": m.resources,
        "detail": detail,
    }


def _sns(message: str, m: Meta, attributes: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": m.message_id,
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts",
        "Subject": m.subject,
        "Message": message,
        "Timestamp": m.time,
        "MessageAttributes": attributes or {},
    }


def _lambda(sns: dict[str, Any]) -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": sns}]}


def _sqs(body: str, m: Meta) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m.message_id,
                "body": body,
                "attributes": {"SentTimestamp": "1704067200000"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:ingest",
                "awsRegion": "us-east-1",
            }
        ]
    }


def _alarm_action(detail: dict[str, Any], m: Meta) -> dict[str, Any]:
    name = detail.get("alarmName") if isinstance(detail.get("alarmName"), str) else "Alarm"
    return {
        "source": "aws.cloudwatch",
        "alarmArn": f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}",
        "accountId": m.account,
        "time": m.time,
        "region": m.region,
        "alarmData": detail,
    }


def _put_entry(case: Case, detail: dict[str, Any], m: Meta) -> dict[str, Any]:
    return {
        "Source": case.source,
        "DetailType": case.detail_type or "CloudWatch Alarm State Change",
        "Detail": json.dumps(detail),
        "Resources": m.resources,
        "Time": m.time,
    }


def _wrap(kind: str, case: Case, detail: dict[str, Any], m: Meta) -> Any:
    """`detail` (or a bare body) of `case` in the envelope `kind`."""
    if case.shape == SNS_TEXT:
        attrs = detail.get("attributes") if isinstance(detail.get("attributes"), dict) else {}
        values = {k: {"Type": "String", "Value": v} for k, v in attrs.items() if isinstance(v, str)}
        text = detail.get("message")
        text = text if isinstance(text, str) else json.dumps(text)
        sns = _sns(text, m, values)
        if kind == SQS:  # raw delivery: the text alone
            return _sqs(text, m)
        return sns if kind == SNS_HTTP else _lambda(sns)
    if kind == ALARM_ACTION:
        return _alarm_action(detail, m)
    if kind == SQS:
        return _sqs(json.dumps(_eventbridge(case, detail, m)), m)
    if kind == SNS_SQS:
        return _sqs(json.dumps(_sns(json.dumps(_eventbridge(case, detail, m)), m)), m)
    if kind == BARE:
        return detail
    if kind == SNS_BARE:
        return _lambda(_sns(json.dumps(detail), m))
    if kind in (SNS_LAMBDA, SNS_HTTP):
        sns = _sns(json.dumps(_eventbridge(case, detail, m)), m)
        return sns if kind == SNS_HTTP else _lambda(sns)
    if kind == REDUCED:
        event = _eventbridge(case, detail, m)
        return {k: v for k, v in event.items() if k in ("detail-type", "detail", "region")}
    if kind == PUT_EVENTS:
        return _put_entry(case, detail, m)
    if kind == ENTRIES:
        return {"Entries": [_put_entry(case, detail, m)]}
    return _eventbridge(case, detail, m)


def _kinds(case: Case) -> tuple[str, ...]:
    if case.shape == SNS_TEXT:
        return (SNS_LAMBDA, SNS_HTTP, SQS)
    if case.detail_type == "CloudWatch Alarm State Change" and case.shape == DETAIL:
        return (*NESTED_KINDS, ALARM_ACTION)
    if case.shape == CLASSIC:
        return (BARE, SNS_BARE, SNS_LAMBDA, SNS_HTTP, EVENTBRIDGE)
    if case.shape == FINDING:
        return (BARE, SNS_BARE, *NESTED_KINDS)
    return NESTED_KINDS


ENVELOPE_KINDS = (*NESTED_KINDS, BARE, SNS_BARE, ALARM_ACTION)


def _finite(detail: Any) -> bool:
    """Numbers JSON has, each a finite double (bot/strict_json.py): an event holding
    another (NaN, Infinity, an integer past a double's range) is rightly rejected."""
    try:
        strict_json.loads(json.dumps(detail))
    except strict_json.NumberError:
        return False
    return True


def units(
    *, hostile_envelope: bool, only: str | None = None, family: str | None = None
) -> st.SearchStrategy[Unit]:
    """One event of any family (or `family`) in any envelope its shape allows (or `only`)."""

    def build(case: Case) -> st.SearchStrategy[Unit]:
        return st.builds(
            lambda kind, detail, m: Unit(
                family=case.family,
                envelope=kind,
                body=_wrap(kind, case, detail, m),
                must_store=(
                    not hostile_envelope
                    and kind in NESTED_KINDS
                    and case.shape != SNS_TEXT
                    and _finite(detail)
                ),
            ),
            st.sampled_from([only] if only else _kinds(case)),
            case_details(case),
            metas(hostile_envelope),
        )

    cases = [
        c
        for c in CASES
        if (only is None or only in _kinds(c)) and (family is None or c.family == family)
    ]
    return st.sampled_from(cases).flatmap(build)


def _corpus_bodies() -> list[Any]:
    # Every sample, the refused payloads too: a mutated one must still be refused with a
    # reason, never crash.
    return [json.loads(p.read_text()) for p in corpus_files()]


CORPUS_BODIES = _corpus_bodies()


def _mutate_sns_messages(body: Any) -> st.SearchStrategy[Any]:
    """A corpus body mutated; SNS Messages that hold JSON are mutated inside, then dumped."""
    records_of = body.get("Records") if isinstance(body, dict) else None
    if isinstance(records_of, list) and all(
        isinstance(r, dict) and isinstance(r.get("Sns"), dict) for r in records_of
    ):
        records = []
        for record in records_of:
            sns = dict(record["Sns"])
            try:
                inner = json.loads(sns.get("Message", ""))
            except ValueError:
                inner = None
            message = (
                hostile_like(inner).map(json.dumps)
                if isinstance(inner, dict)
                else st.just(sns.get("Message", "")) | hostile_text()
            )
            records.append(
                st.tuples(hostile_like(sns), message).map(
                    lambda t, r=record: {**r, "Sns": {**t[0], "Message": t[1]}}
                )
            )
        return st.tuples(*records).map(lambda rs: {**body, "Records": list(rs)})
    return hostile_like(body)


def corpus_units() -> st.SearchStrategy[Unit]:
    """A corpus sample (every shape AWS really sends) with its fields mutated."""
    return (
        st.sampled_from(CORPUS_BODIES)
        .flatmap(_mutate_sns_messages)
        .map(lambda body: Unit(family="corpus", envelope=CORPUS, body=body, must_store=False))
    )


@dataclass
class Body:
    """A request body and the units it was built from."""

    body: Any
    units: list[Unit]


def _repeat(unit: Unit) -> Body:
    """The unit twice, the second under another id: a repeat of the same alert."""
    again = json.loads(json.dumps(unit.body, allow_nan=True))
    if isinstance(again, dict) and isinstance(again.get("id"), str):
        again["id"] = again["id"][:200] + "-again"
    return Body([unit.body, again], [unit, unit])


def bodies() -> st.SearchStrategy[Body]:
    """A whole POST /ingest body: one event, an array of events, a repeat, or a corpus
    sample, with the detail (and sometimes the envelope too) fuzzed."""
    clean = units(hostile_envelope=False)
    dirty = units(hostile_envelope=True)
    one = (clean | dirty).map(lambda u: Body(u.body, [u]))
    array = st.lists(clean | dirty, min_size=1, max_size=3).map(
        lambda us: Body([u.body for u in us], us)
    )
    repeat = clean.map(_repeat)
    corpus = corpus_units().map(lambda u: Body(u.body, [u]))
    return st.one_of(one, array, repeat, corpus)


# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------

# Generation, not the code under test, is what is slow: each example is drawn through
# nested `flatmap`s over dozens of realistic bases, and hostile strings run to thousands
# of characters, so Hypothesis' draw-time health checks would flag the strategy itself.
SLOW_TO_DRAW = [HealthCheck.too_slow, HealthCheck.data_too_large]


# No shrink phase: shrinking bodies of nested hostile strings takes minutes, which would
# put a failing run far past the suite's time budget; the assertions name the view, the
# path in the message and the offending text, which is what a fix needs.
PHASES = (Phase.explicit, Phase.reuse, Phase.generate)


def fuzz_settings(max_examples: int) -> settings:
    """Reproducible runs (derandomized, no example database) with no per-example deadline
    (a first Jinja2 render or SQLite write is slow once)."""
    return settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=max_examples,
        suppress_health_check=SLOW_TO_DRAW,
        phases=PHASES,
    )


# ---------------------------------------------------------------------------------------------
# What the views draw: signals, alerts, storms, reports, silences, agents
# ---------------------------------------------------------------------------------------------

T0 = 1_700_000_000
URLS = (
    "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:",
    "https://example.com/a?b=1&c=2",
    "http://plain.example/",
    "https://evil.example/|<!channel>",
    "https://x.example/<!here>",
    "javascript:alert(1)",
    "https://" + "a" * 3100,
    "ftp://files.example/x",
)
ROUTE_MENTIONS = ("@here", "@channel", "S0123ABC", "U0123ABC")
# Runbooks a routing rule accepts: any https link, however long (the view checks the length).
ROUTE_RUNBOOKS = tuple(url for url in URLS if https_url(url) is not None)
USER_IDS = ("U0123ABC", "W0SLACKER")


def texts() -> st.SearchStrategy[str]:
    """Any text a view may be given: ordinary, empty, or hostile."""
    return st.one_of(st.sampled_from(("", "CpuHigh", "prod")), hostile_text())


def times() -> st.SearchStrategy[int]:
    return st.integers(T0 - 40 * 86400, T0 + 40 * 86400)


def signals() -> st.SearchStrategy[Signal]:
    """A Signal from any family (or none we know), every text hostile or long."""
    return st.builds(
        Signal,
        family=st.sampled_from([*FAMILIES, "not-a-family", "../../etc"]),
        title=texts(),
        severity=st.sampled_from(list(Severity)),
        state=st.sampled_from(list(SignalState)),
        fingerprint=texts(),
        fields=st.lists(st.builds(SignalField, label=texts(), value=texts()), max_size=25),
        description=texts(),
        resource=texts(),
        console_url=st.none() | st.sampled_from(URLS) | hostile_text(),
        account=texts(),
        account_name=st.none() | texts(),
        region=st.none() | texts(),
        event_id=texts(),
        source=texts(),
        time=st.just(0) | times(),
    )


def _history() -> st.SearchStrategy[HistoryEntry]:
    return st.builds(
        HistoryEntry,
        at=times(),
        action=st.sampled_from(["silenced", "acked", "posted", "resolved"]),
        by=st.none() | st.sampled_from(USER_IDS) | hostile_text(),
        note=st.none() | hostile_text(),
    )


def _changes() -> st.SearchStrategy[Change]:
    return st.builds(
        Change,
        at=times(),
        kind=st.sampled_from(["stack", "pipeline", "ecs", "codedeploy", "agent"]) | texts(),
        title=texts(),
        url=st.none() | st.sampled_from(URLS) | hostile_text(),
        event_id=texts(),
    )


def enrichments() -> st.SearchStrategy[Enrichment]:
    """What an enrichment may leave on an alert: any changes (hostile titles and links, more
    than are shown) and any runbook link, safe or not."""
    return st.builds(
        Enrichment,
        runbook_url=st.none() | st.sampled_from(URLS) | hostile_text(),
        changes=st.lists(_changes(), max_size=12),
    )


def alerts(signal: Signal | None = None) -> st.SearchStrategy[Alert]:
    """An alert in any state: acked by anyone (a Slack id or any text), silenced with any
    note, flapping, counted, routed with a mention and a runbook that a routing rule
    validated, enriched with anything."""
    return st.builds(
        Alert,
        id=st.text("0123456789abcdef", min_size=24, max_size=24),
        fingerprint=texts(),
        status=st.sampled_from(list(AlertStatus)),
        title=texts(),
        severity=st.sampled_from(list(Severity)),
        source=texts(),
        account=texts(),
        silenced_until=st.none() | times(),
        version=st.integers(0, 10**12),
        count=st.integers(1, 10**9),
        first_seen=times(),
        last_seen=times(),
        flaps=st.integers(0, 10**6),
        acked_by=st.none() | st.sampled_from(USER_IDS) | hostile_text(),
        acked_at=st.none() | times(),
        resolved_at=st.none() | times(),
        history=st.lists(_history(), max_size=4),
        mention=st.none() | st.sampled_from(ROUTE_MENTIONS),
        runbook=st.none() | st.sampled_from(ROUTE_RUNBOOKS),
        opened_at=st.just(0) | times(),
        enrichment=enrichments(),
        signal=st.just(signal),
    )


def _counts() -> st.SearchStrategy[list[CountItem]]:
    return st.lists(st.builds(CountItem, label=texts(), count=st.integers(0, 10**9)), max_size=40)


def digests() -> st.SearchStrategy[StormDigest]:
    top = st.builds(
        StormAlert,
        title=texts(),
        severity=st.sampled_from(list(Severity)),
        count=st.integers(1, 10**9),
        status=st.sampled_from(list(AlertStatus)),
    )
    return st.builds(
        StormDigest,
        alerts=st.integers(0, 10**6),
        events=st.integers(0, 10**9),
        severity=st.sampled_from(list(Severity)),
        by_source=_counts(),
        by_account=_counts(),
        top=st.lists(top, max_size=60),
    )


def silences() -> st.SearchStrategy[Silence]:
    return st.builds(
        Silence,
        id=st.text("0123456789abcdef", min_size=1, max_size=32) | hostile_text(),
        scope=st.sampled_from(["alert", "resource", "account_source"]),
        matcher=texts(),
        created_by=st.sampled_from(USER_IDS) | hostile_text(),
        reason=texts(),
        created_at=times(),
        expires_at=times(),
    )


def _report_alerts() -> st.SearchStrategy[ReportAlert]:
    return st.builds(
        ReportAlert,
        fingerprint=texts(),
        title=texts(),
        source=texts(),
        account=texts(),
        severity=st.sampled_from(list(Severity)),
        state=st.sampled_from(list(SignalState)),
        count=st.integers(0, 10**9),
        status=st.none() | st.sampled_from(list(AlertStatus)),
    )


def reports() -> st.SearchStrategy[DailyReport]:
    return st.builds(
        DailyReport,
        day=st.just("2023-11-14"),
        start=st.just(T0),
        end=st.just(T0 + 86399),
        events=st.integers(0, 10**9),
        alerts=st.integers(0, 10**6),
        by_source=_counts(),
        by_account=_counts(),
        by_severity=_counts(),
        hourly=st.lists(st.integers(0, 10**9), min_size=24, max_size=24),
        still_open=st.integers(0, 10**6),
        mtta=st.none() | st.integers(0, 10**8),
        mttr=st.none() | st.integers(0, 10**8),
        noisiest=st.lists(_report_alerts(), max_size=30),
        silences=st.lists(silences(), max_size=15),
        silences_total=st.integers(0, 10**6),
        untracked=st.integers(0, 10**6),
        parts=st.integers(0, 100),
    )


def report_parts() -> st.SearchStrategy[ReportPart]:
    return st.builds(
        ReportPart,
        day=st.just("2023-11-14"),
        source=texts(),
        events=st.integers(0, 10**9),
        alerts_total=st.integers(0, 10**6),
        alerts=st.lists(_report_alerts(), max_size=80),
        part=st.integers(1, 50),
        parts=st.integers(1, 50),
    )


def agents() -> st.SearchStrategy[Agent]:
    return st.builds(
        Agent,
        id=st.from_regex(r"\A[0-9]{12}\Z"),
        region=st.sampled_from(["us-east-1", "eu-west-1", "us-gov-west-1"]),
        status=st.none() | texts(),
        deployed_at=st.just(0) | times(),
        last_seen=st.none() | times(),
    )


def queries() -> st.SearchStrategy[str]:
    """/events command text: filters (`since:`, `account:`…) with hostile values, and words."""
    keyed = st.tuples(st.sampled_from(KEYS), hostile_text()).map(lambda kv: f"{kv[0]}:{kv[1]}")
    return st.lists(keyed | hostile_text(), min_size=1, max_size=4).map(" ".join)
