"""What every family interpreter shares: safe access to untrusted details, the one way
untrusted values become titles and labels, ARN parts, console links that know the
partition, and one way to build a Signal from an Event.

Details come from AWS, from agents and from anyone who can call PutEvents, so nothing
here assumes a key exists or has the type AWS documents. Family modules import their
helpers from here, never from one another.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Any, Protocol

from bot.models import (
    AccountInfo,
    Change,
    Event,
    Measure,
    Severity,
    Signal,
    SignalField,
    SignalState,
)
from bot.regions import account_from_arn, region_from_arn
from bot.sources.console import (
    arn_console_url,
    aws_link,
    console_url,
    log_group_url,
    parse_arn,
)
from bot.sources.registry import DEFAULT_INGEST_FUNCTION
from bot.timeutil import MAX_TIME, parse_time, to_iso

TITLE_LIMIT = 150
MAX_FIELDS = 10
_VALUE_LIMIT = 500
# Words people write in capitals; humanize keeps them so ("Job run ID", "EC2 instance").
_ACRONYMS = frozenset(
    {"id", "arn", "url", "uri", "ip", "aws", "ami", "acm", "az", "cpu", "dos", "vpn"}
    | {"ec2", "ecs", "eks", "rds", "s3", "iam", "kms", "api", "dns", "vpc", "ebs", "elb"}
    | {"sns", "sqs", "ssl", "tls"}
)
_WORD = re.compile(r"[A-Z]+[0-9]*(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z0-9]+")


class AccountLookup(Protocol):
    """The organisation's accounts as cached (bot/accounts.py's AccountBook)."""

    def get(self, account: str) -> AccountInfo | None: ...

    def names(self) -> dict[str, str]:
        """Account id → name, of every cached account that has a name."""
        ...


@dataclass(frozen=True)
class Context:
    """What reading an event needs beyond the event: how people name accounts (ACCOUNT_NAMES
    first, then the organisation's), which Lambda function is the bot's own ingest (a
    glob), and the region the bot runs in (CloudWatch Logs subscription data names none)."""

    account_names: Mapping[str, str] = field(default_factory=dict)
    ingest_function: str = DEFAULT_INGEST_FUNCTION
    own_region: str | None = None
    accounts: AccountLookup | None = None

    def all_account_names(self) -> dict[str, str]:
        """Every account id → name known: the organisation's, with ACCOUNT_NAMES over
        them (for commands that take a name, and lists that show one)."""
        cached = self.accounts.names() if self.accounts is not None else {}
        return {**cached, **self.account_names}

    def _info(self, account: str | None) -> AccountInfo | None:
        return self.accounts.get(account) if self.accounts is not None and account else None

    def account_name(self, account: str | None) -> str | None:
        named = self.account_names.get(account or "")
        if named:
            return named
        info = self._info(account)
        return info.name if info and info.name else None

    def account_tags(self, account: str | None) -> dict[str, str]:
        """The account's tags in the organisation; {} when it is not known there."""
        info = self._info(account)
        return dict(info.tags) if info else {}

    def account_label(self, account: str | None) -> str:
        """ "prod (123456789012)", or the id alone when it has no name."""
        name = self.account_name(account)
        if not account:
            return "no account"
        return f"{name} ({account})" if name else account


def dig(obj: Any, *path: str | int, default: Any = None) -> Any:
    """obj[p0][p1]…, or `default` as soon as a step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(obj, list) or not -len(obj) <= step < len(obj):
                return default
        elif not isinstance(obj, Mapping) or step not in obj:
            return default
        obj = obj[step]
    return default if obj is None else obj


def scalar(value: Any, default: str = "") -> str:
    """A display string for a JSON scalar: strings as they are, numbers and booleans as JSON
    writes them. Objects and lists are never shown raw: they give `default`, as null and ""
    do."""
    if isinstance(value, str):
        return value or default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return default


def pick(obj: Any, *keys: str) -> Any:
    """The value of the first key present, for details that spell one key several ways."""
    for key in keys:
        value = dig(obj, key)
        if value is not None:
            return value
    return None


def number(value: Any) -> float | None:
    """A float from a number or numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def measured(score: Any = None, count: Any = None) -> Measure | None:
    """How bad and how many a finding is, from its detail's untrusted values (numbers or
    numeric strings; anything else, NaN or a negative count says nothing); None when it
    says neither."""
    how_bad = number(score)
    how_many = number(count)
    if how_bad is not None and not math.isfinite(how_bad):
        how_bad = None
    if how_many is not None and not (math.isfinite(how_many) and how_many >= 0):
        how_many = None
    if how_bad is None and how_many is None:
        return None
    return Measure(score=how_bad, count=None if how_many is None else int(how_many))


# ---------------------------------------------------------------------------------------------
# Titles and labels
# ---------------------------------------------------------------------------------------------


def clip(value: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when something was cut."""
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def headline(value: Any, limit: int = TITLE_LIMIT) -> str:
    """A single-line, bounded title from an untrusted value: whitespace runs (newlines
    included) become one space; objects and lists give "", never a JSON dump."""
    return clip(" ".join(scalar(value).split()), limit)


def first_line(value: Any, limit: int = TITLE_LIMIT) -> str:
    """The first non-blank line of a text, as a headline."""
    for line in scalar(value).splitlines():
        if line.strip():
            return headline(line, limit)
    return ""


@lru_cache(maxsize=4096)
def humanize(key: str) -> str:
    """A label people read: "jobRunId" → "Job run ID", "INSTANCE_STORE" → "Instance store".

    Keys that already contain spaces ("Event Source") are somebody's chosen label; keep them.
    Keys repeat from event to event, so each is worked out once.
    """
    if " " in key.strip():
        return key.strip()
    words = [w.lower() for part in re.split(r"[_\-.:/]+", key) for w in _WORD.findall(part)]
    shown = [w.upper() if w in _ACRONYMS else w for w in words]
    if not shown:
        return key
    return " ".join([shown[0][:1].upper() + shown[0][1:], *shown[1:]])


# ---------------------------------------------------------------------------------------------
# ARNs
# ---------------------------------------------------------------------------------------------


def arn_parts(arn: Any) -> list[str]:
    """The '/'-separated resource part of an ARN ('stack/NAME/uuid' → ['stack', 'NAME',
    'uuid']), or [] when the value is not an ARN."""
    if not isinstance(arn, str):
        return []
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[5]:
        return []
    return parts[5].split("/")


def locate(event: Event, *arns: Any) -> tuple[str, str | None]:
    """The event's account and region, else the first ARN's that has them (reduced events
    and agent-built ones may lack either)."""
    strings = [arn for arn in arns if isinstance(arn, str)]
    account = event.account or next(filter(None, map(account_from_arn, strings)), "")
    region = event.region or next(filter(None, map(region_from_arn, strings)), None)
    return account, region


# ---------------------------------------------------------------------------------------------
# Signals
# ---------------------------------------------------------------------------------------------


_UPPER_WORD = re.compile(r"[A-Z]+")


def words(value: Any) -> frozenset[str]:
    """The whole words of a state or status ("UPDATE_ROLLBACK_FAILED" → UPDATE, ROLLBACK,
    FAILED), with each pair also joined by '_' (TIMED_OUT), in capitals. Whole words, so
    that UNSUCCESSFUL never reads as SUCCESS."""
    found = _UPPER_WORD.findall(scalar(value).upper())
    return frozenset(found) | {f"{a}_{b}" for a, b in pairwise(found)}


@dataclass(frozen=True)
class StatusWords:
    """A family's status words: which fire (at `severity`) and which resolve; any other
    status is news. Whole words (see `words`), and a failure outweighs a success."""

    fires: frozenset[str]
    resolves: frozenset[str]
    severity: Severity = Severity.HIGH
    news: Severity = Severity.INFO

    def level(self, status: Any) -> tuple[Severity, SignalState]:
        found = words(status)
        if found & self.fires:
            return self.severity, SignalState.FIRING
        if found & self.resolves:
            return Severity.INFO, SignalState.RESOLVED
        return self.news, SignalState.INFO


def time_text(value: Any) -> str:
    """A time as people read it ("2024-05-02T14:05:09Z") from any way AWS writes one
    (epoch seconds or milliseconds, ISO 8601); other values as they are."""
    try:
        seconds = parse_time(value)
    except ValueError:
        seconds = None
    if not seconds or seconds > MAX_TIME:  # past 9999-12-31: not a time to show
        return scalar(value)
    return to_iso(seconds)


def fingerprint(*parts: Any) -> str:
    """The identity of "the same alert": its parts joined, empty parts kept as '-'."""
    return ":".join(scalar(part, "-") for part in parts)


def fields(pairs: Iterable[tuple[str, Any]]) -> list[SignalField]:
    """Labelled fields, leaving out the ones with nothing to show (no value, or an object or
    a list where a scalar belongs: those are never shown raw)."""
    out = []
    for label, value in pairs:
        shown = scalar(value)
        if shown:
            out.append(SignalField(label=label, value=shown))
    return out


def scalar_fields(obj: Any, limit: int = MAX_FIELDS) -> list[SignalField]:
    """Fields from a mapping's top-level scalar values, labelled for people; nested ones skipped."""
    if not isinstance(obj, Mapping):
        return []
    pairs = ((humanize(str(k)), clip(scalar(v).strip(), _VALUE_LIMIT)) for k, v in obj.items())
    return fields(pairs)[:limit]


def make_signal(
    event: Event,
    ctx: Context,
    *,
    family: str,
    title: str,
    severity: Severity,
    state: SignalState,
    fingerprint: str,
    fields: list[SignalField] | None = None,
    description: str = "",
    resource: str = "",
    console_url: str | None = None,
    account: str | None = None,
    region: str | None = None,
    occurrence: str = "",
    measure: Measure | None = None,
) -> Signal:
    """A Signal with the event's identity, account name, region and time filled in. The
    title is made a headline here (one line, at most TITLE_LIMIT characters), so no
    interpreter has to; an empty one falls back to the detail-type, else the source."""
    account = account or event.account
    return Signal(
        family=family,
        title=headline(title) or headline(event.detail_type) or headline(event.source),
        severity=severity,
        state=state,
        fingerprint=fingerprint,
        fields=fields or [],
        description=description,
        resource=resource,
        console_url=console_url,
        account=account,
        account_name=ctx.account_name(account),
        account_tags=ctx.account_tags(account),
        region=region or event.region,
        event_id=event.id,
        source=event.source,
        time=event.published_at,
        occurrence=occurrence,
        measure=measure,
    )


def make_change(event: Event, *, kind: str, title: str, url: str | None = None) -> Change:
    """The change an event tells of (bot/changes.py), at its time: the title is made a
    headline here, as a signal's is."""
    title = headline(title)
    return Change(at=event.published_at, kind=kind, title=title, url=url, event_id=event.id)


__all__ = [
    "Context",
    "StatusWords",
    "arn_console_url",
    "arn_parts",
    "aws_link",
    "clip",
    "console_url",
    "dig",
    "fields",
    "fingerprint",
    "first_line",
    "headline",
    "humanize",
    "locate",
    "log_group_url",
    "make_change",
    "make_signal",
    "number",
    "parse_arn",
    "pick",
    "scalar",
    "scalar_fields",
    "time_text",
    "words",
]
