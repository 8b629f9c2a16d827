"""Envelopes: every shape an AWS event arrives in, turned into one RawEvent.

Accepted shapes (DESIGN.md, "event ids"):
- an EventBridge event, or a JSON array of them;
- an SNS-wrapped Lambda event (`Records[].Sns`) holding an EventBridge event, a classic
  alarm body, any other JSON, or plain text (AWS Backup's text is recognised);
- a bare classic CloudWatch alarm body (`AlarmName`, `NewStateValue`);
- a PutEvents entry (`Source`, `DetailType`, `Detail` as a string), or `{"Entries": [...]}`;
- a detail-only GuardDuty finding;
- a reduced EventBridge event without id or source.

Shapes without an id get a deterministic one (the first 32 hex digits of sha256 over
canonical JSON), so that the same content delivered twice is a duplicate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.errors import ValidationError
from bot.regions import account_from_arn, region_code, region_from_arn
from bot.sources.registry import source_for
from bot.timeutil import parse_time

MAX_EVENT_BYTES = 256 * 1024  # EventBridge's own limit on one event
MAX_DEPTH = 64  # far beyond any AWS event; deeper JSON cannot be stored and serialised back

SNS_SOURCE = "aws.sns"
SNS_DETAIL_TYPE = "SNS Notification"
BACKUP_SNS_DETAIL_TYPE = "AWS Backup Notification"
CLASSIC_ALARM_DETAIL_TYPE = "CloudWatch Alarm State Change"
GUARDDUTY_DETAIL_TYPE = "GuardDuty Finding"

_BACKUP_EVENT_TYPES = {"BACKUP_JOB", "COPY_JOB", "RESTORE_JOB"}
# Where AWS puts account, region and time inside a detail, for shapes that lack them.
_DETAIL_ACCOUNT_KEYS = ("accountId", "AwsAccountId", "awsAccountId", "account")
_DETAIL_REGION_KEYS = ("region", "eventRegion", "awsRegion", "Region")
_DETAIL_TIME_KEYS = ("updatedAt", "lastUpdatedTime", "UpdatedAt", "time", "StateChangeTime")

_SHAPES_HELP = (
    "expected an EventBridge event (detail-type, detail), an SNS Lambda event "
    "(Records[].Sns), a PutEvents entry (Source, DetailType, Detail), a CloudWatch alarm "
    "notification (AlarmName, NewStateValue) or a GuardDuty finding"
)


@dataclass
class RawEvent:
    """An event as its envelope gave it, before interpretation and storage times."""

    id: str
    source: str
    detail_type: str | None
    detail: dict[str, Any]
    account: str = ""
    region: str | None = None
    resources: list[str] = field(default_factory=list)
    published_at: int | None = None
    updated_at: int | None = None


@dataclass(frozen=True)
class _Fallback:
    """What an outer envelope (SNS) knows, for an inner shape that lacks it."""

    id: str | None = None
    account: str | None = None
    region: str | None = None
    time: int | None = None


def canonical_json(obj: Any) -> str:
    """The canonical form DESIGN.md fixes for content-derived ids."""
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
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValidationError(
            f"body is not JSON: {err.msg} at line {err.lineno} column {err.colno}"
        ) from err
    except RecursionError as err:
        raise ValidationError("body is not JSON we accept: nested too deep") from err
    except ValueError as err:  # e.g. an integer longer than Python converts
        raise ValidationError(f"body is not JSON we accept: {err}") from err


def split_units(body: Any) -> Iterator[Any]:
    """The events a body holds, in input order: array items, SNS records, PutEvents entries.

    Rejections are reported by their index in this sequence.
    """
    items = body if isinstance(body, list) else [body]
    for item in items:
        if isinstance(item, Mapping) and _is_list_of(item.get("Records"), "Sns"):
            yield from item["Records"]
        elif isinstance(item, Mapping) and isinstance(item.get("Entries"), list):
            yield from item["Entries"]
        else:
            yield item


def normalize(unit: Any) -> RawEvent:
    """One unit → RawEvent. ValidationError says why when no known shape matches."""
    if not isinstance(unit, Mapping):
        raise ValidationError(f"an event must be a JSON object, not {_json_type(unit)}")
    if _depth(unit) > MAX_DEPTH:
        raise ValidationError(f"event is nested over {MAX_DEPTH} levels deep")
    try:
        size = len(canonical_json(unit).encode("utf-8"))
    except UnicodeEncodeError as err:  # JSON's "\ud800" escape decodes to a lone surrogate
        bad = err.object[err.start : err.end].encode("unicode_escape").decode()
        raise ValidationError(
            f"event text holds {bad}, an unpaired surrogate: not Unicode"
        ) from err
    if size > MAX_EVENT_BYTES:
        raise ValidationError(
            f"event is {size} bytes, over the {MAX_EVENT_BYTES}-byte limit of one event"
        )
    if isinstance(unit.get("Sns"), Mapping):
        return _from_sns(unit["Sns"])
    if unit.get("Type") == "Notification" and "Message" in unit and "MessageId" in unit:
        return _from_sns(unit)  # an SNS HTTP(S) delivery body
    return _from_object(unit, _Fallback())


def _from_object(obj: Mapping[str, Any], fb: _Fallback) -> RawEvent:
    if "detail" in obj or "detail-type" in obj:
        return _from_eventbridge(obj, fb)
    if "DetailType" in obj or "Detail" in obj:
        return _from_put_events_entry(obj, fb)
    if "AlarmName" in obj and "NewStateValue" in obj:
        return _from_classic_alarm(obj, fb)
    if _is_guardduty_finding(obj):
        return _from_detail_only_finding(obj, fb)
    keys = ", ".join(sorted(str(k) for k in obj)[:8]) or "none"
    raise ValidationError(f"unrecognised event shape: {_SHAPES_HELP}; got keys: {keys}")


def _from_eventbridge(obj: Mapping[str, Any], fb: _Fallback) -> RawEvent:
    detail = obj.get("detail", {})
    if not isinstance(detail, Mapping):
        raise ValidationError(f"detail must be a JSON object, not {_json_type(detail)}")
    detail_type = _opt_str(obj, "detail-type")
    source = _opt_str(obj, "source") or source_for(detail_type)
    if not source and not detail_type:
        raise ValidationError("an EventBridge event needs a source or a detail-type")
    published = _time(obj, "time")
    return RawEvent(
        id=_opt_str(obj, "id") or fb.id or content_id(obj),
        source=source or "unknown",
        detail_type=detail_type,
        detail=dict(detail),
        account=_opt_str(obj, "account") or _detail_account(detail) or fb.account or "",
        region=_opt_str(obj, "region") or _detail_region(detail) or fb.region,
        resources=_resources(obj.get("resources")),
        published_at=published or _detail_time(detail) or fb.time,
    )


def _from_put_events_entry(obj: Mapping[str, Any], fb: _Fallback) -> RawEvent:
    raw_detail = obj.get("Detail", "{}")
    if isinstance(raw_detail, str):
        try:
            detail = json.loads(raw_detail) if raw_detail.strip() else {}
        except json.JSONDecodeError as err:
            raise ValidationError(f"Detail is not JSON: {err.msg}") from err
    else:
        detail = raw_detail
    if not isinstance(detail, Mapping):
        raise ValidationError(f"Detail must hold a JSON object, not {_json_type(detail)}")
    detail_type = _opt_str(obj, "DetailType")
    source = _opt_str(obj, "Source") or source_for(detail_type)
    if not source and not detail_type:
        raise ValidationError("a PutEvents entry needs a Source or a DetailType")
    return RawEvent(
        id=fb.id or content_id(obj),
        source=source or "unknown",
        detail_type=detail_type,
        detail=dict(detail),
        account=_detail_account(detail) or fb.account or "",
        region=_detail_region(detail) or fb.region,
        resources=_resources(obj.get("Resources")),
        published_at=_time(obj, "Time") or _detail_time(detail) or fb.time,
    )


def _from_classic_alarm(obj: Mapping[str, Any], fb: _Fallback) -> RawEvent:
    arn = _opt_str(obj, "AlarmArn")
    region = region_from_arn(arn) or region_code(_opt_str(obj, "Region")) or fb.region
    return RawEvent(
        id=fb.id or content_id(obj),
        source="aws.cloudwatch",
        detail_type=CLASSIC_ALARM_DETAIL_TYPE,
        detail=dict(obj),
        account=_opt_str(obj, "AWSAccountId") or account_from_arn(arn) or fb.account or "",
        region=region,
        resources=[arn] if arn else [],
        published_at=_time(obj, "StateChangeTime") or fb.time,
    )


def _from_detail_only_finding(obj: Mapping[str, Any], fb: _Fallback) -> RawEvent:
    return RawEvent(
        id=fb.id or content_id(obj),
        source="aws.guardduty",
        detail_type=GUARDDUTY_DETAIL_TYPE,
        detail=dict(obj),
        account=_detail_account(obj) or fb.account or "",
        region=_detail_region(obj) or fb.region,
        resources=[obj["arn"]] if isinstance(obj.get("arn"), str) else [],
        published_at=_detail_time(obj) or fb.time,
    )


def _from_sns(sns: Mapping[str, Any]) -> RawEvent:
    message = sns.get("Message")
    if not isinstance(message, str):
        raise ValidationError(f"Sns.Message must be a string, not {_json_type(message)}")
    topic = _opt_str(sns, "TopicArn")
    attributes = _sns_attributes(sns.get("MessageAttributes"))
    fb = _Fallback(
        id=_opt_str(sns, "MessageId"),
        account=account_from_arn(topic) or attributes.get("AccountId"),
        region=region_from_arn(topic),
        time=_time(sns, "Timestamp"),
    )
    inner = _json_object(message)
    if inner is not None:
        try:
            return _from_object(inner, fb)
        except ValidationError as err:
            if not str(err).startswith("unrecognised event shape"):
                raise
    subject = _opt_str(sns, "Subject") or ""
    backup = attributes.get("EventType") in _BACKUP_EVENT_TYPES or "AWS Backup" in subject
    return RawEvent(
        id=fb.id or content_id(dict(sns)),
        source="aws.backup" if backup else SNS_SOURCE,
        detail_type=BACKUP_SNS_DETAIL_TYPE if backup else SNS_DETAIL_TYPE,
        detail={
            "subject": subject,
            "message": inner if inner is not None else message,
            "topic_arn": topic or "",
            "attributes": attributes,
        },
        account=fb.account or "",
        region=fb.region,
        published_at=fb.time,
    )


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


def _time(obj: Mapping[str, Any], key: str) -> int | None:
    try:
        return parse_time(obj.get(key))
    except ValueError as err:
        raise ValidationError(f"{key}: {err}") from err


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
        try:
            value = parse_time(detail.get(key))
        except ValueError:
            continue  # a detail's own odd time never rejects the event
        if value:
            return value
    return None


def _sns_attributes(value: Any) -> dict[str, str]:
    """SNS MessageAttributes `{name: {Type, Value}}` → `{name: value}`."""
    if not isinstance(value, Mapping):
        return {}
    out = {}
    for name, attr in value.items():
        if isinstance(attr, Mapping) and isinstance(attr.get("Value"), str):
            out[str(name)] = attr["Value"]
    return out


def _json_object(text: str) -> dict[str, Any] | None:
    stripped = text.strip()
    if not stripped.startswith("{"):
        return None
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _is_list_of(value: Any, key: str) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, Mapping) and key in v for v in value)
    )


def _is_guardduty_finding(obj: Mapping[str, Any]) -> bool:
    return (
        isinstance(obj.get("type"), str)
        and "severity" in obj
        and "accountId" in obj
        and ("service" in obj or "resource" in obj)
    )


def _depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a JSON value, counting no further than just past `limit`."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            break
        if isinstance(node, Mapping):
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
    return deepest


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)
