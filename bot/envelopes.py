"""Envelopes: every shape an AWS event arrives in, turned into RawEvents.

A body is split into units (the items of a JSON array, the `Records` of an SNS, SQS or S3
Lambda event, the `Entries` of a PutEvents call), and each unit is read by the first shape
of `SHAPES` that matches it. Each shape states its id rule; docs/alerts.md lists them.
A unit of another service's Lambda payload (a Config rule evaluation, an API Gateway
request…) is refused by name (`NotAnEventError`), so that a misrouted trigger says what
it is instead of "unrecognised". Only a body's own units are refused so: the same JSON
inside an SNS message or an SQS body is an application's message, shown as one.

JSON that arrives inside a string (an SNS message, an SQS body, a PutEvents Detail, Logs
subscription data) is held to the same limits as a body's own units: size, depth, text
that is Unicode, and numbers that are finite (no NaN or Infinity, no integer past a
double's range; see bot/strict_json.py).

Shapes without an id get a deterministic one (the first 32 hex digits of sha256 over
canonical JSON), so that the same content delivered twice is a duplicate. An envelope
that wraps several events (an SQS body holding an S3 notification's records) gives the
n-th of them its id with `:n` added, so that none of them is taken for another.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import json
import re
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot import strict_json
from bot.errors import ValidationError
from bot.regions import account_from_arn, partition, region_code, region_from_arn
from bot.sources.registry import DEFAULT_INGEST_FUNCTION, source_for
from bot.timeutil import time_or_none

MAX_EVENT_BYTES = 256 * 1024  # EventBridge's own limit on one event
MAX_DEPTH = 64  # far beyond any AWS event; deeper JSON cannot be stored and serialised back
# What one CloudWatch Logs subscription unit may inflate to: Logs sends at most 1 MB of
# log events per call (10,000 events of 256 KB at most each), so 10 MB is generous, and
# a small body cannot be made to inflate into gigabytes.
MAX_INFLATED_BYTES = 10 * 1024 * 1024

SNS_SOURCE = "aws.sns"
SNS_DETAIL_TYPE = "SNS Notification"
SQS_SOURCE = "aws.sqs"
SQS_DETAIL_TYPE = "SQS Message"
BACKUP_SNS_DETAIL_TYPE = "AWS Backup Notification"
BUDGETS_DETAIL_TYPE = "AWS Budgets Notification"
ALARM_DETAIL_TYPE = "CloudWatch Alarm State Change"
GUARDDUTY_DETAIL_TYPE = "GuardDuty Finding"
LOGS_LINE_DETAIL_TYPE = "CloudWatch Logs Line"
PROMETHEUS_DETAIL_TYPE = "Prometheus Alert"
COST_ANOMALY_DETAIL_TYPE = "Anomaly Detected"
S3_DETAIL_TYPE = "S3 Event Notification"
LAMBDA_FAILURE = "Lambda Function Invocation Result - Failure"
LAMBDA_SUCCESS = "Lambda Function Invocation Result - Success"

_BACKUP_EVENT_TYPES = {"BACKUP_JOB", "COPY_JOB", "RESTORE_JOB"}
# Where AWS puts account, region and time inside a detail, for shapes that lack them.
_DETAIL_ACCOUNT_KEYS = ("accountId", "AwsAccountId", "awsAccountId", "account")
_DETAIL_REGION_KEYS = ("region", "eventRegion", "awsRegion", "Region")
_DETAIL_TIME_KEYS = ("updatedAt", "lastUpdatedTime", "UpdatedAt", "time", "StateChangeTime")

_SHAPES_HELP = (
    "expected an EventBridge event (detail-type, detail), an SNS, SQS or S3 Lambda event "
    "(Records[]), a PutEvents entry (Source, DetailType, Detail), a CloudWatch alarm "
    "notification (AlarmName, NewStateValue) or alarm action (alarmData), CloudWatch Logs "
    "subscription data (awslogs), an Alertmanager notification (alerts[]), a Lambda "
    "destination record or a GuardDuty finding"
)


@dataclass
class RawEvent:
    """An event as its envelope gave it, before interpretation and storage times.

    `shape` names the outermost envelope it came in (a `SHAPES` name)."""

    id: str
    source: str
    detail_type: str | None
    detail: dict[str, Any]
    account: str = ""
    region: str | None = None
    resources: list[str] = field(default_factory=list)
    published_at: int | None = None
    updated_at: int | None = None
    shape: str = ""


class UnrecognisedError(ValidationError):
    """A unit no shape reads (or that is not a JSON object): inside a notification, the
    notification's own text is shown instead."""


class NotAnEventError(ValidationError):
    """A unit that is another service's Lambda payload, not an event: `kind` names it."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class _Fallback:
    """What an outer envelope (SNS, SQS) knows, for an inner shape that lacks it."""

    id: str | None = None
    account: str | None = None
    region: str | None = None
    time: int | None = None
    ingest_function: str = DEFAULT_INGEST_FUNCTION
    own_region: str | None = None  # where the bot runs: a subscription's lines come from it


# The size check's encoding: canonical_json's, but for the key sort, which adds time and
# changes no length.
# allow_nan=False: a unit decoded elsewhere (by Lambda's runtime) may hold NaN or Infinity.
_SIZED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
# A run of digits that long may be an integer past a double's range: the unit is walked.
# Found in the UTF-8 bytes with every digit made "0" and every other byte a space: a
# translate and a substring search take a tenth of a regular expression's scan.
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * strict_json.MAX_DOUBLE_DIGITS


def canonical_json(obj: Any) -> str:
    """The canonical form of content-derived ids: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_id(obj: Any) -> str:
    """A deterministic id: the first 32 hex digits of sha256 over canonical JSON."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()[:32]


def decode_body(body: bytes | str) -> Any:
    """JSON from a request body or file; ValidationError naming where it stops being JSON."""
    try:
        text = body.decode("utf-8-sig") if isinstance(body, bytes | bytearray) else body
    except UnicodeDecodeError as err:
        raise ValidationError(f"body is not UTF-8 text: {err.reason} at byte {err.start}") from err
    return _loads(text, "body")


def _loads(text: str, what: str) -> Any:
    try:
        return strict_json.loads(text)
    except strict_json.NumberError as err:
        raise ValidationError(f"{what} is not JSON we accept: {err}") from err
    except json.JSONDecodeError as err:
        raise ValidationError(
            f"{what} is not JSON: {err.msg} at line {err.lineno} column {err.colno}"
        ) from err
    except RecursionError as err:
        raise ValidationError(f"{what} is not JSON we accept: nested too deep") from err
    except ValueError as err:  # e.g. an integer longer than Python converts
        raise ValidationError(f"{what} is not JSON we accept: {err}") from err


def split_units(body: Any) -> Iterator[Any]:
    """The units a body holds, in input order: array items, Lambda `Records` (SNS, SQS,
    S3…), PutEvents `Entries`. Rejections are reported by their index in this sequence."""
    items = body if isinstance(body, list) else [body]
    for item in items:
        if isinstance(item, Mapping) and _is_list_of_objects(item.get("Records")):
            yield from item["Records"]
        elif isinstance(item, Mapping) and isinstance(item.get("Entries"), list):
            yield from item["Entries"]
        else:
            yield item


def read_unit(
    unit: Any,
    *,
    ingest_function: str = DEFAULT_INGEST_FUNCTION,
    own_region: str | None = None,
) -> list[RawEvent]:
    """One unit → its events (none for a Logs control message, one per log line or per
    Alertmanager alert, else one). ValidationError says why when it is not an event.

    `own_region` is where the bot runs: CloudWatch Logs subscription data names no region,
    and a subscription delivers only within its own region."""
    if not isinstance(unit, Mapping):
        raise ValidationError(f"an event must be a JSON object, not {_json_type(unit)}")
    _check_size(unit)
    fallback = _Fallback(
        ingest_function=ingest_function or DEFAULT_INGEST_FUNCTION,
        own_region=region_code(own_region),
    )
    return _read(unit, fallback, outermost=True)


def normalize(unit: Any) -> RawEvent:
    """A unit that holds exactly one event → that event."""
    events = read_unit(unit)
    if len(events) != 1:
        raise ValidationError(f"the unit holds {len(events)} events, not one")
    return events[0]


def _check_size(unit: Mapping[str, Any]) -> None:
    """A unit within one event's limits (depth, Unicode, size), from one encoding of it.

    The depth guard rides on that encoding: JSON nests no deeper than it has opening
    brackets (those inside strings only loosen the bound), so only a unit with more than
    MAX_DEPTH of them is walked to count its levels."""
    try:
        text = _SIZED.encode(unit)
    except RecursionError as err:  # past Python's own limit, so far past MAX_DEPTH
        raise _too_deep() from err
    except ValueError as err:  # NaN or Infinity, or an int past Python's str conversion
        raise ValidationError(f"event holds a number JSON does not allow: {err}") from err
    if text.count("{") + text.count("[") > MAX_DEPTH and not _nested_within(unit, MAX_DEPTH):
        raise _too_deep()
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as err:  # JSON's "\ud800" escape decodes to a lone surrogate
        bad = err.object[err.start : err.end].encode("unicode_escape").decode()
        raise ValidationError(
            f"event text holds {bad}, an unpaired surrogate: not Unicode"
        ) from err
    if _LONG_DIGITS in data.translate(_DIGITS_AS_ZEROS) and not _numbers_finite(unit):
        raise ValidationError("event holds an integer beyond the range of a number")
    size = len(data)
    if size > MAX_EVENT_BYTES:
        raise ValidationError(
            f"event is {size} bytes, over the {MAX_EVENT_BYTES}-byte limit of one event"
        )


def _too_deep() -> ValidationError:
    return ValidationError(f"event is nested over {MAX_DEPTH} levels deep")


# ---------------------------------------------------------------------------------------------
# The shapes, in the order they are tried
# ---------------------------------------------------------------------------------------------

Reader = Callable[[Mapping[str, Any], _Fallback], list[RawEvent]]


@dataclass(frozen=True)
class Shape:
    """One envelope: how to know it, how to read it, and where its events' ids come from."""

    name: str
    matches: Callable[[Mapping[str, Any]], bool]
    read: Reader
    id_rule: str


@dataclass(frozen=True)
class Refusal:
    """Another service's Lambda payload: how to know it, and what to say instead."""

    kind: str
    matches: Callable[[Mapping[str, Any]], bool]
    says: str


def _read(unit: Mapping[str, Any], fb: _Fallback, *, outermost: bool = False) -> list[RawEvent]:
    for refusal in REFUSALS if outermost else ():
        if refusal.matches(unit):
            raise NotAnEventError(refusal.kind, f"not an event: {refusal.says}")
    for shape in SHAPES:
        if shape.matches(unit):
            events = shape.read(unit, fb)
            if outermost:
                for event in events:
                    event.shape = shape.name
            return events
    keys = ", ".join(sorted(str(k) for k in unit)[:8]) or "none"
    raise UnrecognisedError(f"unrecognised event shape: {_SHAPES_HELP}; got keys: {keys}")


def _read_inner(value: Any, fb: _Fallback) -> list[RawEvent]:
    """What an SNS message or an SQS body holds: anything a body may hold. Several
    events share the envelope's id, so each gets its place in the envelope added."""
    units = list(split_units(value))
    events: list[RawEvent] = []
    for index, unit in enumerate(units):
        if not isinstance(unit, Mapping):
            raise UnrecognisedError(f"an event must be a JSON object, not {_json_type(unit)}")
        _check_size(unit)
        inner_fb = fb
        if len(units) > 1 and fb.id:
            inner_fb = replace(fb, id=f"{fb.id}:{index}")
        events.extend(_read(unit, inner_fb))
    return events


# --- EventBridge, PutEvents, classic alarms, bare findings -----------------------------------


def _from_eventbridge(obj: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    detail = obj.get("detail", {})
    if not isinstance(detail, Mapping):
        raise ValidationError(f"detail must be a JSON object, not {_json_type(detail)}")
    detail_type = _opt_str(obj, "detail-type")
    if detail_type is None and _is_guardduty_detail(detail):  # an envelope cut short
        detail_type = GUARDDUTY_DETAIL_TYPE
    source = _opt_str(obj, "source") or source_for(detail_type)
    if not source and not detail_type:
        raise ValidationError("an EventBridge event needs a source or a detail-type")
    published = time_or_none(obj.get("time"))
    return [
        RawEvent(
            id=_opt_str(obj, "id") or fb.id or content_id(obj),
            source=source or "unknown",
            detail_type=detail_type,
            detail=dict(detail),
            account=_opt_str(obj, "account") or _detail_account(detail) or fb.account or "",
            region=_opt_str(obj, "region") or _detail_region(detail) or fb.region,
            resources=_resources(obj.get("resources")),
            published_at=published or _detail_time(detail) or fb.time,
        )
    ]


def _from_put_events_entry(obj: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    raw_detail = obj.get("Detail", "{}")
    if isinstance(raw_detail, str):
        try:
            detail = strict_json.loads(raw_detail) if raw_detail.strip() else {}
        except strict_json.NumberError as err:
            raise ValidationError(f"Detail is not JSON we accept: {err}") from err
        except json.JSONDecodeError as err:
            raise ValidationError(f"Detail is not JSON: {err.msg}") from err
        except (RecursionError, ValueError) as err:
            raise ValidationError(f"Detail is not JSON we accept: {err}") from err
    else:
        detail = raw_detail
    if not isinstance(detail, Mapping):
        raise ValidationError(f"Detail must hold a JSON object, not {_json_type(detail)}")
    _check_size(detail)
    detail_type = _opt_str(obj, "DetailType")
    source = _opt_str(obj, "Source") or source_for(detail_type)
    if not source and not detail_type:
        raise ValidationError("a PutEvents entry needs a Source or a DetailType")
    return [
        RawEvent(
            id=fb.id or content_id(obj),
            source=source or "unknown",
            detail_type=detail_type,
            detail=dict(detail),
            account=_detail_account(detail) or fb.account or "",
            region=_detail_region(detail) or fb.region,
            resources=_resources(obj.get("Resources")),
            published_at=time_or_none(obj.get("Time")) or _detail_time(detail) or fb.time,
        )
    ]


def _from_classic_alarm(obj: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    arn = _opt_str(obj, "AlarmArn")
    region = region_from_arn(arn) or region_code(_opt_str(obj, "Region")) or fb.region
    return [
        RawEvent(
            id=fb.id or content_id(obj),
            source="aws.cloudwatch",
            detail_type=ALARM_DETAIL_TYPE,
            detail=dict(obj),
            account=_opt_str(obj, "AWSAccountId") or account_from_arn(arn) or fb.account or "",
            region=region,
            resources=[arn] if arn else [],
            published_at=time_or_none(obj.get("StateChangeTime")) or fb.time,
        )
    ]


def _from_alarm_action(obj: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    """What an alarm sends the function it invokes: the state change's detail, as
    `alarmData`, beside the alarm's ARN, account, region and time."""
    data = obj["alarmData"]
    resources = _resources(obj.get("resources"))
    arn = _opt_str(obj, "alarmArn") or next((r for r in resources if ":alarm:" in r), None)
    return [
        RawEvent(
            id=_opt_str(obj, "id") or fb.id or content_id(obj),
            source="aws.cloudwatch",
            detail_type=ALARM_DETAIL_TYPE,
            detail=dict(data),
            account=_opt_str(obj, "accountId")
            or _opt_str(obj, "account")
            or account_from_arn(arn)
            or fb.account
            or "",
            region=region_code(_opt_str(obj, "region")) or region_from_arn(arn) or fb.region,
            resources=[arn] if arn else resources,
            published_at=time_or_none(obj.get("time")) or fb.time,
        )
    ]


def _from_detail_only_finding(obj: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    return [
        RawEvent(
            id=fb.id or content_id(obj),
            source="aws.guardduty",
            detail_type=GUARDDUTY_DETAIL_TYPE,
            detail=dict(obj),
            account=_detail_account(obj) or fb.account or "",
            region=_detail_region(obj) or fb.region,
            resources=[obj["arn"]] if isinstance(obj.get("arn"), str) else [],
            published_at=_detail_time(obj) or fb.time,
        )
    ]


def _from_cost_anomaly(obj: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    """Cost Anomaly Detection's SNS message: the anomaly, as "Anomaly Detected" holds it."""
    monitor = _opt_str(obj, "monitorArn")
    return [
        RawEvent(
            id=fb.id or content_id(obj),
            source="aws.ce",
            detail_type=COST_ANOMALY_DETAIL_TYPE,
            detail=dict(obj),
            account=_detail_account(obj) or account_from_arn(monitor) or fb.account or "",
            region=fb.region,
            resources=[monitor] if monitor else [],
            published_at=time_or_none(obj.get("anomalyStartDate")) or fb.time,
        )
    ]


def _from_lambda_record(obj: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    """A Lambda destination (or on-failure) record: one invocation's outcome."""
    context = obj["requestContext"]
    arn = _opt_str(context, "functionArn")
    function = (arn or "").split(":")[6] if (arn or "").count(":") >= 6 else ""
    if function and fnmatch.fnmatchcase(function, fb.ingest_function):
        raise NotAnEventError(
            "ingest-failure-record",
            f"not an event: a failure record of the bot's own ingest function ({function}); "
            "`python app.py replay-dlq` sends its event in again",
        )
    succeeded = _opt_str(context, "condition") == "Success"
    return [
        RawEvent(
            id=fb.id or content_id(obj),
            source="lambda",
            detail_type=LAMBDA_SUCCESS if succeeded else LAMBDA_FAILURE,
            detail=dict(obj),
            account=account_from_arn(arn) or fb.account or "",
            region=region_from_arn(arn) or fb.region,
            resources=[arn] if arn else [],
            published_at=time_or_none(obj.get("timestamp")) or fb.time,
        )
    ]


_RDS_SOURCE_TYPES = {
    "db-instance": "RDS DB Instance Event",
    "db-cluster": "RDS DB Cluster Event",
    "db-snapshot": "RDS DB Snapshot Event",
    "db-cluster-snapshot": "RDS DB Cluster Snapshot Event",
    "db-parameter-group": "RDS DB Parameter Group Event",
    "db-security-group": "RDS DB Security Group Event",
    "db-proxy": "RDS DB Proxy Event",
}
_RDS_EVENT_ID = re.compile(r"RDS-EVENT-\d+")


def _is_rds_notification(unit: Mapping[str, Any]) -> bool:
    event_id = unit.get("Event ID")
    return isinstance(event_id, str) and _RDS_EVENT_ID.search(event_id) is not None


def _from_rds_notification(obj: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    """An RDS event subscription's SNS message, read into the EventBridge event's terms
    (it names no category: the family reads the event id's)."""
    kind = _opt_str(obj, "Event Source") or ""
    found = _RDS_EVENT_ID.search(str(obj.get("Event ID")))
    detail = {
        "SourceType": kind.upper().replace("-", "_"),
        "SourceIdentifier": obj.get("Source ID"),
        "Message": obj.get("Event Message"),
        "EventID": found.group(0) if found else None,
        "Date": obj.get("Event Time"),
        "SourceLink": obj.get("Identifier Link"),
    }
    return [
        RawEvent(
            id=fb.id or content_id(obj),
            source="aws.rds",
            detail_type=_RDS_SOURCE_TYPES.get(kind, "RDS DB Instance Event"),
            detail={k: v for k, v in detail.items() if isinstance(v, str)},
            account=fb.account or "",
            region=fb.region,
            published_at=time_or_none(obj.get("Event Time")) or fb.time,
        )
    ]


# --- Alertmanager ------------------------------------------------------------------------


def _from_alertmanager(obj: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    """An Alertmanager (or Grafana) webhook: one event per alert. An alert's id is its
    fingerprint, status and start (and end, once resolved): a notification repeated for
    the same firing is a duplicate, its resolution a new event. An alert that says no start
    (Alertmanager's SNS text) takes its notification's id into its own, so that a later
    firing is never taken for an earlier one."""
    alerts = [a for a in obj["alerts"] if isinstance(a, Mapping)]
    if not alerts:
        raise ValidationError("an Alertmanager notification with no alerts")
    common = {
        "receiver": obj.get("receiver"),
        "externalURL": obj.get("externalURL"),
        "groupKey": obj.get("groupKey"),
    }
    return [_prometheus_alert(alert, obj.get("status"), common, fb) for alert in alerts]


def _prometheus_alert(
    alert: Mapping[str, Any], status: Any, common: Mapping[str, Any], fb: _Fallback
) -> RawEvent:
    labels = _string_map(alert.get("labels"))
    annotations = _string_map(alert.get("annotations"))
    state = _opt_str(alert, "status") or (status if isinstance(status, str) else "") or "firing"
    state = state.lower()
    fingerprint = _opt_str(alert, "fingerprint") or content_id(labels)[:16]
    starts = time_or_none(alert.get("startsAt"))
    ends = time_or_none(alert.get("endsAt")) if state == "resolved" else None
    detail = {
        "status": state,
        "labels": labels,
        "annotations": annotations,
        "startsAt": alert.get("startsAt") if isinstance(alert.get("startsAt"), str) else None,
        "endsAt": alert.get("endsAt") if isinstance(alert.get("endsAt"), str) else None,
        "generatorURL": alert.get("generatorURL")
        if isinstance(alert.get("generatorURL"), str)
        else None,
        "fingerprint": fingerprint,
        **{k: v for k, v in common.items() if isinstance(v, str)},
    }
    identity: dict[str, Any] = {"fingerprint": fingerprint, "status": state, "startsAt": starts}
    identity["endsAt"] = ends
    if starts is None:  # (AMP's text says no start: each notification is news of its own)
        identity["delivery"] = fb.id
    account = labels.get("account_id") or labels.get("account") or fb.account or ""
    return RawEvent(
        id=content_id(identity),
        source="prometheus.alertmanager",
        detail_type=PROMETHEUS_DETAIL_TYPE,
        detail={k: v for k, v in detail.items() if v is not None},
        account=account if account.isdigit() else fb.account or "",
        region=region_code(labels.get("region")) or fb.region,
        published_at=ends or starts or fb.time,
    )


# The default text of Alertmanager's SNS notifier, as Amazon Managed Service for
# Prometheus sends it: "Alerts Firing:" / "Alerts Resolved:", then per alert "Labels:"
# and "Annotations:" lists of " - name = value" lines, and "Source: <url>".
_AMP_SECTION = re.compile(r"^Alerts (Firing|Resolved):\s*$", re.MULTILINE)
_AMP_PAIR = re.compile(r"^\s*-\s*([^=]+?)\s*=\s*(.*?)\s*$")


def _amp_text_alerts(text: str) -> list[dict[str, Any]]:
    """The alerts of Alertmanager's default SNS text, in its webhook's form."""
    alerts: list[dict[str, Any]] = []
    status = "firing"
    current: dict[str, Any] | None = None
    into = "labels"
    for line in text.splitlines():
        section = _AMP_SECTION.match(line)
        stripped = line.strip()
        if section:
            status = section.group(1).lower()
            current = None
        elif stripped == "Labels:":
            current = {"status": status, "labels": {}, "annotations": {}}
            alerts.append(current)
            into = "labels"
        elif stripped == "Annotations:" and current is not None:
            into = "annotations"
        elif stripped.startswith("Source:") and current is not None:
            current["generatorURL"] = stripped.removeprefix("Source:").strip()
        elif current is not None and (pair := _AMP_PAIR.match(line)):
            current[into][pair.group(1)] = pair.group(2)
    return [a for a in alerts if a["labels"]]


# --- CloudWatch Logs subscriptions -------------------------------------------------------


def _from_logs_subscription(obj: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    """Subscription data: base64 of gzip of JSON. One event per log line, whose id is the
    log event's; a control message (sent when the subscription is made) holds none."""
    data = obj["awslogs"].get("data")
    if not isinstance(data, str):
        raise ValidationError("awslogs.data must be a string (base64 of gzip)")
    try:
        packed = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as err:
        raise ValidationError(f"awslogs.data is not base64: {err}") from err
    payload = _loads(_gunzip(packed), "awslogs.data")
    if not isinstance(payload, Mapping):
        raise ValidationError("awslogs.data must hold a JSON object")
    if payload.get("messageType") == "CONTROL_MESSAGE":
        return []
    lines = payload.get("logEvents")
    if not isinstance(lines, list):
        raise ValidationError("subscription data needs logEvents")
    if len(lines) > MAX_LOG_EVENTS:
        raise ValidationError(
            f"subscription data holds {len(lines)} log events, over the {MAX_LOG_EVENTS:,} "
            "CloudWatch Logs sends at once"
        )
    owner = _short_text(payload, "owner", 20)
    shared = {
        "logGroup": _short_text(payload, "logGroup", _NAME_LIMIT, required=True),
        "logStream": _short_text(payload, "logStream", _NAME_LIMIT),
        "subscriptionFilters": _filter_names(payload.get("subscriptionFilters")),
        "owner": owner,
    }
    region = fb.region or fb.own_region
    return [_log_line(index, line, shared, fb, region) for index, line in enumerate(lines)]


MAX_LOG_EVENTS = 10_000  # what CloudWatch Logs sends in one call at most
_NAME_LIMIT = 512  # log group and stream names are at most 512 characters
_FILTERS_LIMIT = 10


def _log_line(
    index: int, line: Any, shared: dict[str, Any], fb: _Fallback, region: str | None
) -> RawEvent:
    """One log line as an event; its id is the log event's."""
    if not isinstance(line, Mapping) or not isinstance(line.get("message"), str):
        raise ValidationError(f"logEvents[{index}] needs a message")
    line_id = line.get("id")
    if not isinstance(line_id, str | int) or isinstance(line_id, bool) or len(str(line_id)) > 64:
        raise ValidationError(f"logEvents[{index}] needs an id (at most 64 characters)")
    stamp = line.get("timestamp")
    detail = {
        **shared,
        "message": _bounded(line["message"]),
        "timestamp": stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else None,
    }
    _check_size(detail)
    owner = shared["owner"]
    return RawEvent(
        id=str(line_id),
        source="aws.logs",
        detail_type=LOGS_LINE_DETAIL_TYPE,
        detail=detail,
        account=owner if owner and owner.isdigit() else fb.account or "",
        region=region,
        published_at=time_or_none(detail["timestamp"]) or fb.time,
    )


def _short_text(
    obj: Mapping[str, Any], key: str, limit: int, *, required: bool = False
) -> str | None:
    value = _opt_str(obj, key)
    if (value is None and required) or (value is not None and len(value) > limit):
        raise ValidationError(f"{key} must be a string of 1 to {limit} characters")
    return value


def _filter_names(value: Any) -> list[str]:
    """subscriptionFilters: the names of the filters that matched."""
    if value is None:
        return []
    names = value if isinstance(value, list) else [value]
    if len(names) > _FILTERS_LIMIT or not all(
        isinstance(name, str) and len(name) <= _NAME_LIMIT for name in names
    ):
        raise ValidationError(f"subscriptionFilters must be at most {_FILTERS_LIMIT} names")
    return list(names)


_LINE_BYTES = MAX_EVENT_BYTES - 16 * 1024  # room for the line's group, stream and filters


def _bounded(message: str) -> str:
    """A log line cut to what one stored event holds (a line may be 256 KB itself)."""
    if len(message) * 4 <= _LINE_BYTES or len(message.encode("utf-8")) <= _LINE_BYTES:
        return message
    cut = message.encode("utf-8")[:_LINE_BYTES].decode("utf-8", "ignore")
    return cut + "… (truncated)"


def _gunzip(packed: bytes) -> str:
    """gzip, inflated to at most MAX_INFLATED_BYTES: a clear error beyond."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        text = inflater.decompress(packed, MAX_INFLATED_BYTES + 1)
    except zlib.error as err:
        raise ValidationError(f"awslogs.data is not gzip: {err}") from err
    if len(text) > MAX_INFLATED_BYTES or inflater.unconsumed_tail:
        raise ValidationError(
            f"awslogs.data inflates past {MAX_INFLATED_BYTES // (1024 * 1024)} MB: refused"
        )
    if not inflater.eof:
        raise ValidationError("awslogs.data is cut short: the gzip stream does not end")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValidationError(f"awslogs.data is not UTF-8: {err.reason}") from err


# --- SNS, SQS, S3 ------------------------------------------------------------------------


def _from_sns_record(record: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    return _from_sns(record["Sns"], fb)


def _from_sns(sns: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    message = sns.get("Message")
    if not isinstance(message, str):
        raise ValidationError(f"Sns.Message must be a string, not {_json_type(message)}")
    topic = _opt_str(sns, "TopicArn")
    attributes = _attribute_values(sns.get("MessageAttributes"), "Value")
    fb = replace(
        fb,
        id=_opt_str(sns, "MessageId") or fb.id,
        account=account_from_arn(topic) or attributes.get("AccountId") or fb.account,
        region=region_from_arn(topic) or fb.region,
        time=time_or_none(sns.get("Timestamp")) or fb.time,
    )
    return _from_message(_opt_str(sns, "Subject") or "", message, topic or "", attributes, fb)


def _from_message(
    subject: str, message: str, origin: str, attributes: dict[str, str], fb: _Fallback
) -> list[RawEvent]:
    """A notification's text (an SNS message, an SQS body): an event it holds as JSON,
    else the text itself, read for the services that notify in text."""
    inner = _json_value(message)
    if inner is not None and any(isinstance(u, Mapping) for u in split_units(inner)):
        try:
            return _read_inner(inner, fb)
        except UnrecognisedError:
            pass  # the text itself, below
    if inner is None and _AMP_SECTION.search(message):
        alerts = _amp_text_alerts(message)
        if alerts:
            return _from_alertmanager({"alerts": alerts, "status": "firing"}, fb)
    if attributes.get("EventType") in _BACKUP_EVENT_TYPES or "AWS Backup" in subject:
        source, detail_type = "aws.backup", BACKUP_SNS_DETAIL_TYPE
    elif subject.startswith("AWS Budgets:") or "AWS Budget Notification" in message[:500]:
        source, detail_type = "aws.budgets", BUDGETS_DETAIL_TYPE
    elif ":sqs:" in origin:
        source, detail_type = SQS_SOURCE, SQS_DETAIL_TYPE
    else:
        source, detail_type = SNS_SOURCE, SNS_DETAIL_TYPE
    detail = {
        "subject": subject,
        "message": inner if inner is not None else message,
        "topic_arn": origin,
        "attributes": attributes,
    }
    _check_size(detail)  # JSON that holds no event is kept: within a body's limits too
    return [
        RawEvent(
            id=fb.id or content_id(detail),
            source=source,
            detail_type=detail_type,
            detail=detail,
            account=fb.account or "",
            region=fb.region,
            published_at=fb.time,
        )
    ]


def _from_sqs(record: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    """One SQS message: its body holds an event (SNS's notification, EventBridge's event,
    anything a body may hold) or text (SNS's raw delivery). Ids: the inner event's, else
    SNS's MessageId, else SQS's messageId."""
    body = record.get("body")
    if not isinstance(body, str):
        raise ValidationError(f"an SQS record's body must be a string, not {_json_type(body)}")
    queue = _opt_str(record, "eventSourceARN") or ""
    attributes = record.get("attributes")
    sent = attributes.get("SentTimestamp") if isinstance(attributes, Mapping) else None
    fb = replace(
        fb,
        id=_opt_str(record, "messageId") or fb.id,
        account=account_from_arn(queue) or fb.account,
        region=region_code(_opt_str(record, "awsRegion")) or region_from_arn(queue) or fb.region,
        time=time_or_none(sent) or fb.time,
    )
    message_attributes = _attribute_values(record.get("messageAttributes"), "stringValue")
    return _from_message("", body, queue, message_attributes, fb)


def _from_s3_record(record: Mapping[str, Any], fb: _Fallback) -> list[RawEvent]:
    """An S3 event notification: what happened to which object."""
    s3 = _mapping(record["s3"])
    bucket = _mapping(s3.get("bucket"))
    obj = _mapping(s3.get("object"))
    name = bucket.get("name") if isinstance(bucket.get("name"), str) else ""
    key = obj.get("key") if isinstance(obj.get("key"), str) else ""
    region = region_code(_opt_str(record, "awsRegion")) or fb.region
    arn = f"arn:{partition(region)}:s3:::{name}" + (f"/{key}" if key else "") if name else ""
    return [
        RawEvent(
            id=fb.id or content_id(record),
            source="aws.s3",
            detail_type=S3_DETAIL_TYPE,
            detail=dict(record),
            account=fb.account or "",
            region=region,
            resources=[arn] if arn else [],
            published_at=time_or_none(record.get("eventTime")) or fb.time,
        )
    ]


def _is_guardduty_finding(obj: Mapping[str, Any]) -> bool:
    return (
        isinstance(obj.get("type"), str)
        and "severity" in obj
        and "accountId" in obj
        and ("service" in obj or "resource" in obj)
    )


def _has(*keys: str) -> Callable[[Mapping[str, Any]], bool]:
    needed = frozenset(keys)
    return lambda unit: needed <= unit.keys()


def _event_source(name: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda unit: unit.get("eventSource") == name or unit.get("EventSource") == name


def _is_alarm_action(unit: Mapping[str, Any]) -> bool:
    return isinstance(unit.get("alarmData"), Mapping) and not isinstance(
        unit.get("detail"), Mapping
    )


def _is_lambda_record(unit: Mapping[str, Any]) -> bool:
    context = unit.get("requestContext")
    return isinstance(context, Mapping) and "functionArn" in context and "condition" in context


def _is_alertmanager(unit: Mapping[str, Any]) -> bool:
    alerts = unit.get("alerts")
    if not isinstance(alerts, list):
        return False
    if not alerts:  # an empty notification still says what it is
        return "receiver" in unit or "groupKey" in unit
    return all(isinstance(a, Mapping) and "labels" in a for a in alerts)


def _is_cost_anomaly(unit: Mapping[str, Any]) -> bool:
    return "anomalyId" in unit and ("impact" in unit or "anomalyScore" in unit)


def _is_api_request(unit: Mapping[str, Any]) -> bool:
    context = unit.get("requestContext")
    from_gateway = isinstance(context, Mapping) and (
        "http" in context or "httpMethod" in context or "elb" in context or "apiId" in context
    )
    return from_gateway or ("httpMethod" in unit and "path" in unit) or "routeKey" in unit


SHAPES: tuple[Shape, ...] = (
    Shape("sns", lambda u: isinstance(u.get("Sns"), Mapping), _from_sns_record,
          "the inner event's id, else the SNS MessageId"),
    Shape("sns-http", lambda u: u.get("Type") == "Notification" and "Message" in u
          and "MessageId" in u, _from_sns, "the inner event's id, else the MessageId"),
    Shape("sqs", _event_source("aws:sqs"), _from_sqs,
          "the inner event's id, else the SNS MessageId, else the SQS messageId"),
    Shape("s3-notification", lambda u: _event_source("aws:s3")(u) and "s3" in u,
          _from_s3_record, "content"),
    Shape("logs-subscription", lambda u: isinstance(u.get("awslogs"), Mapping),
          _from_logs_subscription, "each log event's id"),
    Shape("alarm-action", _is_alarm_action, _from_alarm_action, "content"),
    Shape("lambda-failure-record", _is_lambda_record, _from_lambda_record,
          "content (the envelope's id when one wraps it)"),
    Shape("alertmanager", _is_alertmanager, _from_alertmanager,
          "each alert's fingerprint, status, start and end"),
    Shape("cost-anomaly", _is_cost_anomaly, _from_cost_anomaly,
          "the envelope's id, else content"),
    Shape("rds-notification", _is_rds_notification, _from_rds_notification,
          "the envelope's id, else content"),
    Shape("eventbridge", lambda u: "detail" in u or "detail-type" in u, _from_eventbridge,
          "its id, else the envelope's, else content"),
    Shape("put-events-entry", lambda u: "DetailType" in u or "Detail" in u,
          _from_put_events_entry, "the envelope's id, else content"),
    Shape("classic-alarm", _has("AlarmName", "NewStateValue"), _from_classic_alarm,
          "the envelope's id, else content"),
    Shape("guardduty-finding", _is_guardduty_finding, _from_detail_only_finding,
          "the envelope's id, else content"),
)  # fmt: skip

REFUSALS: tuple[Refusal, ...] = (
    Refusal("config-rule-evaluation", _has("invokingEvent", "resultToken"),
            "an AWS Config rule evaluation, which a custom rule's function answers; "
            "compliance changes come as \"Config Rules Compliance Change\" events"),
    Refusal("secrets-manager-rotation", _has("SecretId", "ClientRequestToken", "Step"),
            "a Secrets Manager rotation step, for a rotation function"),
    Refusal("codepipeline-job", _has("CodePipeline.job"),
            "a CodePipeline job, for an Invoke action's function; pipeline changes come "
            "as \"CodePipeline … State Change\" events"),
    Refusal("dashboard-widget", _has("widgetContext"),
            "a CloudWatch dashboard custom widget's request"),
    Refusal("api-gateway-request", _is_api_request,
            "an HTTP request through API Gateway, a load balancer or a function URL; "
            "POST the event itself as the body"),
    Refusal("dynamodb-stream", _event_source("aws:dynamodb"), "a DynamoDB stream record"),
    Refusal("kinesis-stream", _event_source("aws:kinesis"), "a Kinesis stream record"),
    Refusal("cognito-trigger", _has("triggerSource", "userPoolId"),
            "a Cognito user pool trigger"),
)  # fmt: skip

SHAPE_NAMES = tuple(shape.name for shape in SHAPES)


# ---------------------------------------------------------------------------------------------
# Field helpers: each says which field is wrong, so the error can be acted on.
# ---------------------------------------------------------------------------------------------


def _opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{key} must be a string, not {_json_type(value)}")
    return value


def _resources(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise ValidationError("resources must be a list of strings")
    return list(value)


def _first_str(detail: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = detail.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _detail_account(detail: Mapping[str, Any]) -> str | None:
    return _first_str(detail, _DETAIL_ACCOUNT_KEYS)


def _detail_region(detail: Mapping[str, Any]) -> str | None:
    return region_code(_first_str(detail, _DETAIL_REGION_KEYS))


def _detail_time(detail: Mapping[str, Any]) -> int | None:
    for key in _DETAIL_TIME_KEYS:
        value = time_or_none(detail.get(key))  # a detail's own odd time never rejects it
        if value:
            return value
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    """An object as it is; anything else as an empty one."""
    return value if isinstance(value, Mapping) else {}


def _string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


def _attribute_values(value: Any, key: str) -> dict[str, str]:
    """Message attributes `{name: {key: value, …}}` → `{name: value}`: SNS's `Value`,
    SQS's `stringValue`. Binary and malformed ones are left out."""
    if not isinstance(value, Mapping):
        return {}
    out = {}
    for name, attr in value.items():
        if isinstance(attr, Mapping) and isinstance(attr.get(key), str):
            out[str(name)] = attr[key]
    return out


def _json_value(text: str) -> Any:
    """The JSON object or array a text holds, or None when it holds none; a number that
    is no finite double is ValidationError, not text: it is JSON, but not ours to keep."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        value = strict_json.loads(stripped)
    except strict_json.NumberError as err:
        raise ValidationError(f"message is not JSON we accept: {err}") from err
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None


def _is_list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _is_guardduty_detail(detail: Mapping[str, Any]) -> bool:
    """A finding where EventBridge puts one: its type, severity and GuardDuty's service."""
    service = detail.get("service")
    return (
        isinstance(detail.get("type"), str)
        and "severity" in detail
        and isinstance(service, Mapping)
        and ("detectorId" in service or service.get("serviceName") == "guardduty")
    )


def _nested_within(value: Any, levels: int) -> bool:
    """Whether a JSON value nests at most `levels` deep (a scalar is 0, `{}` is 1). Only
    containers are visited, and never deeper than `levels`."""
    if isinstance(value, dict):
        children: Any = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return True
    if levels <= 0:
        return False
    return all(
        _nested_within(child, levels - 1) for child in children if isinstance(child, dict | list)
    )


def _numbers_finite(value: Any) -> bool:
    """Whether every number in a JSON value is a finite double (walked only for a unit
    whose text has a run of digits long enough to break that)."""
    if isinstance(value, dict):
        return all(_numbers_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_numbers_finite(v) for v in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return strict_json.finite(value)
    return True


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


__all__ = [
    "MAX_EVENT_BYTES",
    "SHAPES",
    "SHAPE_NAMES",
    "NotAnEventError",
    "RawEvent",
    "canonical_json",
    "content_id",
    "decode_body",
    "normalize",
    "read_unit",
    "split_units",
]
