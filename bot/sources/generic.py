"""The fallback family: any event no other family knows, read as well as it can be.

Glue jobs, DMS tasks, Batch jobs, SSM automations, S3 notifications, plain SNS text and
unknown PutEvents sources all land here. Most are news (info, LOW), but a state or status
that says FAILED, FAILURE, UNSUCCESSFUL, TIMED_OUT, TIMEOUT, ABORTED, ERROR or ERRORS
fires (MEDIUM), and SUCCEEDED, SUCCESS or COMPLETED resolves the alert of the same thing
(a failure word outweighs a success: COMPLETED_WITH_ERRORS fires). A previous state is
read only when nothing says the current one. The
thing is the event's first resource, else the most identifying name in its detail (the
job, the task, the pipeline…), so that job B's success never resolves job A.

People still need to read it at a glance: the title is a name and a state, never a
request id; nested details are flattened into a few labelled fields, with times shown as
times; a console link comes from the first ARN the event names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from bot.models import Event, Severity, Signal, SignalField, SignalState
from bot.sources import registry
from bot.sources.base import (
    MAX_FIELDS,
    Context,
    StatusWords,
    arn_console_url,
    clip,
    dig,
    fields,
    fingerprint,
    first_line,
    headline,
    humanize,
    make_signal,
    parse_arn,
    scalar,
    time_text,
)

FAMILY = registry.GENERIC
MESSAGE_TYPES = ("SNS Notification", "SQS Message")
S3_NOTIFICATION = "S3 Event Notification"

FIRE_WORDS = frozenset(
    {"FAILED", "FAILURE", "UNSUCCESSFUL", "TIMED_OUT", "TIMEOUT", "ABORTED", "ERROR", "ERRORS"}
)
RESOLVE_WORDS = frozenset({"SUCCEEDED", "SUCCESS", "COMPLETED"})
_STATUS = StatusWords(FIRE_WORDS, RESOLVE_WORDS, severity=Severity.MEDIUM, news=Severity.LOW)

_VALUE_LIMIT = 300
_LIST_ITEMS = 3  # items of a list of scalars shown in one field
_MAX_WALK = 400  # values looked at in one detail: a huge detail costs no more than this
# Keys whose value names the thing an event is about, most telling first (lowercase,
# without separators).
_NAME_KEYS = (
    "queryexecutionid", "jobname", "taskname", "pipelinename", "pipeline", "functionname",
    "statemachinename",
    "crawlername", "workflowname", "projectname", "clustername", "servicename",
    "replicationtaskidentifier", "sourceid", "documentname", "automationname", "queryname",
    "bucketname", "tablename", "databasename", "name",
)  # fmt: skip
# Ids that identify a request or a delivery, not a thing: never a title or an identity.
_NOT_IDENTITY = ("request", "correlation", "trace", "eventid", "messageid", "sequencer", "account")
# Keys shown after every other field, or not at all.
_NOISE = ("version", "schema", "xamz", "sequencer", "principalid", "configurationid")
# Keys that say little alone: their parent's name goes in front ("Bucket name").
_VAGUE_KEYS = frozenset({"name", "id", "key", "arn", "type", "value", "size", "status", "state"})
# Words that make a key a time ("startDate", "createdAt", "eventTime"; not "timeout").
_TIME_WORDS = frozenset({"time", "date", "timestamp", "at", "since", "until"})
# Epoch numbers a time key may hold: seconds from 2001 on, or milliseconds.
_EPOCH_FROM = 1_000_000_000
# States that are what was, not what is: read only when no other state is given.
_PAST = ("previous", "old", "prior", "last")


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NAME_KEY_SET = frozenset(_NAME_KEYS)
_DEMOTED = _NOISE + _NOT_IDENTITY

Pairs = list[tuple[tuple[str, ...], Any]]


@lru_cache(maxsize=4096)
def _plain(key: str) -> str:
    """A key without case and separators: "Job-Name" → "jobname". Keys repeat across
    events, so each is worked out once."""
    return _NOT_ALNUM.sub("", key.lower())


def _walk(obj: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, value) for every scalar or list of scalars in a detail, depth first."""
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            yield from _walk(value, (*path, str(key)))
    elif isinstance(obj, list):
        if obj and all(not isinstance(v, Mapping | list) for v in obj):
            if path:  # a bare list names nothing to label it by
                yield path, obj
        else:
            for index, value in enumerate(obj[:_LIST_ITEMS]):
                yield from _walk(value, (*path, str(index)) if len(obj) > 1 else path)
    elif path:
        yield path, obj


def _pairs(detail: Any) -> list[tuple[tuple[str, ...], Any]]:
    pairs = []
    for count, pair in enumerate(_walk(detail)):
        if count >= _MAX_WALK:
            break
        pairs.append(pair)
    return pairs


def _is_state(key: str) -> bool:
    return _plain(key).endswith(("state", "status"))


def _key_words(key: str) -> list[str]:
    return humanize(key).lower().split()


def _is_time(key: str, value: Any) -> bool:
    """A time-like key holding an epoch number, or text: "Time": 5753.0 is a duration."""
    if isinstance(value, bool) or not _TIME_WORDS & set(_key_words(key)):
        return False
    if isinstance(value, int | float):
        return value >= _EPOCH_FROM
    return isinstance(value, str)


def _shown(key: str, value: Any) -> str:
    """A value as a field shows it: times as times, lists joined, text clipped."""
    if isinstance(value, list):
        items = [scalar(v) for v in value[:_LIST_ITEMS]]
        more = f" (+{len(value) - _LIST_ITEMS} more)" if len(value) > _LIST_ITEMS else ""
        return clip(", ".join(i for i in items if i) + more, _VALUE_LIMIT)
    if _is_time(key, value):
        return clip(time_text(value), _VALUE_LIMIT)
    return clip(" ".join(scalar(value).split()), _VALUE_LIMIT)


def _label(path: tuple[str, ...]) -> str:
    """The last key, with its parent's when the last says little ("bucket.name" →
    "Bucket name")."""
    last = path[-1]
    parent = next((p for p in reversed(path[:-1]) if not p.isdigit()), "")
    if parent and _plain(last) in _VAGUE_KEYS:
        return humanize(f"{parent} {last}".replace(" ", "_"))
    return humanize(last)


def identity(obj: Any) -> str:
    """What names the thing a detail is about: the best name-like value, else an id that
    is not a request's."""
    return _identity(_pairs(obj))


def _identity(all_pairs: Pairs) -> str:
    pairs = [(path, value) for path, value in all_pairs if not isinstance(value, list)]
    by_key = {_plain(path[-1]): headline(value, 100) for path, value in reversed(pairs)}
    for key in _NAME_KEYS:
        if by_key.get(key):
            return by_key[key]
    for path, value in pairs:
        key = _plain(path[-1])
        if key.endswith("name") and headline(value, 100):
            return headline(value, 100)
    for path, value in pairs:
        key = _plain(path[-1])
        named = key.endswith(("id", "identifier", "arn"))
        if named and not any(n in key for n in _NOT_IDENTITY) and headline(value, 100):
            return headline(value, 100)
    return ""


def status_of(obj: Any) -> str:
    """The first state or status value of a detail, nearest the top first; a previous
    state only when nothing says the current one."""
    return _status(_pairs(obj))


def _status(all_pairs: Pairs) -> str:
    pairs = sorted(
        all_pairs,
        key=lambda pair: (
            _plain(pair[0][-1]).startswith(_PAST) if pair[0] else False,
            len(pair[0]),
        ),
    )
    for path, value in pairs:
        if _is_state(path[-1]) and not isinstance(value, list) and headline(value, 60):
            return headline(value, 60)
    return ""


def state_of(status: str) -> tuple[Severity, SignalState]:
    """Whole status words: a failure fires, a success resolves, the rest is news."""
    return _STATUS.level(status)


def readable_fields(obj: Any, limit: int = MAX_FIELDS) -> list[SignalField]:
    """A nested detail as at most `limit` labelled fields: names and states first, then
    the rest in the detail's order; versions, schemas and request ids last."""
    return _readable(_pairs(obj), limit)


@lru_cache(maxsize=4096)
def _rank(key: str) -> tuple[int, int]:
    """Where a key's field goes: names and states first, noise last (worked out once per
    key, as `_plain`)."""
    plain = _plain(key)
    first = plain in _NAME_KEY_SET or _is_state(key)
    last = any(part in plain for part in _DEMOTED)
    return (0 if first else 1, 1 if last else 0)


def _readable(pairs: Pairs, limit: int = MAX_FIELDS) -> list[SignalField]:
    ranked = sorted(range(len(pairs)), key=lambda i: (*_rank(pairs[i][0][-1]), i))
    seen: set[str] = set()
    out: list[SignalField] = []
    for index in ranked:
        path, value = pairs[index]
        label = _label(path)
        if label in seen:
            continue
        seen.add(label)
        out.extend(fields([(label, _shown(path[-1], value))]))
        if len(out) >= limit:
            break
    return out


def _first_arn(event: Event, pairs: list[tuple[tuple[str, ...], Any]]) -> str:
    for resource in event.resources:
        if parse_arn(resource):
            return resource
    return next((v for _, v in pairs if isinstance(v, str) and parse_arn(v)), "")


def _titled(prefix: str, values: list[str]) -> str:
    values = [v for v in values if v]
    return headline(f"{prefix}: {' '.join(values)}" if values else prefix)


# ---------------------------------------------------------------------------------------------
# Interpretation
# ---------------------------------------------------------------------------------------------


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal: a notification's text, or a readable view of any other detail."""
    if event.detail_type in MESSAGE_TYPES or event.source in ("aws.sns", "aws.sqs"):
        return [_message(event, ctx)]
    return [_other(event, ctx)]


def _signal(
    event: Event,
    ctx: Context,
    *,
    title: str,
    thing: str,
    status: str,
    shown: list[SignalField],
    desc: str = "",
    resource: str = "",
    link: str | None = None,
) -> Signal:
    """The one alert of `thing`: the first resource, else the identified thing."""
    severity, state = state_of(status)
    first_resource = next((r for r in event.resources if isinstance(r, str) and r), "")
    if first_resource:
        alert_fingerprint = fingerprint("generic", event.source, first_resource)
    else:
        alert_fingerprint = fingerprint(
            "generic", event.source, event.account, event.detail_type, thing
        )
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=title,
        severity=severity,
        state=state,
        fingerprint=alert_fingerprint,
        fields=shown,
        description=desc,
        resource=resource or first_resource or thing,
        console_url=link or arn_console_url(first_resource),
    )


def _message(event: Event, ctx: Context) -> Signal:
    """A notification: {subject, message (text or object), topic_arn, attributes}."""
    detail = event.detail
    message = dig(detail, "message")
    origin = scalar(dig(detail, "topic_arn"))
    origin_name = origin.rsplit(":", 1)[-1]
    status = status_of(message) if isinstance(message, Mapping) else ""
    title = (
        headline(dig(detail, "subject"))
        or first_line(message)
        or _titled("Notification", [identity(message), status])
    )
    if isinstance(message, Mapping):
        shown = readable_fields(message)
        desc = ""
    else:
        label = "Queue" if ":sqs:" in origin else "Topic"
        shown = fields([(label, origin_name)]) + readable_fields(dig(detail, "attributes"))
        desc = scalar(message)
    thing = f"{origin_name}/{identity(message) or title}" if origin_name else title
    return _signal(
        event,
        ctx,
        title=title,
        thing=thing,
        status=status,
        shown=shown[:MAX_FIELDS],
        desc=desc,
        resource=origin,
        link=arn_console_url(origin),
    )


def _other(event: Event, ctx: Context) -> Signal:
    """Detail-type plus name and state as the title; the flattened detail as fields."""
    detail = event.detail
    pairs = _pairs(detail)
    status = _status(pairs)
    thing = _identity(pairs)
    prefix = headline(event.detail_type) or headline(event.source) or "Event"
    if event.detail_type == S3_NOTIFICATION:
        prefix = f"S3 {headline(dig(detail, 'eventName'), 60)}".strip()
        bucket = scalar(dig(detail, "s3", "bucket", "name"))
        thing = "/".join(filter(None, (bucket, scalar(dig(detail, "s3", "object", "key")))))
    return _signal(
        event,
        ctx,
        title=_titled(prefix, [thing, status]),
        thing=thing,
        status=status,
        shown=_readable(pairs),
        link=arn_console_url(_first_arn(event, pairs)),
    )
