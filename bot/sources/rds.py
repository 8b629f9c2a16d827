"""RDS events of DB instances, clusters, snapshots, parameter and security groups and
proxies, by their event categories.

RDS files every event under one or more categories, and the category says what it means to
people: a failure, a failover or storage running low needs someone now (HIGH); maintenance
will take the database down for a while, so it needs planning (MEDIUM); recovery and
availability events (the database is back, or restarted) close what a failure opened. The
rest (backups, configuration changes, notifications…) is news.

An event subscription's SNS message names no category, only its event id: the category is
then the one AWS's event catalogue gives that id. A few availability and recovery events are
bad news by their own description (a shutdown, an error restarting, storage full, a recovery
that has only started): those fire rather than close the alert.

Every event of one source identifier (the instance, the cluster, the snapshot) shares one
alert, so that the recovery of an instance resolves its failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    arn_console_url,
    clip,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    locate,
    make_signal,
    parse_arn,
    scalar,
)

FAMILY = registry.RDS

# Categories as RDS writes them ("low storage", "global-failover"), lowered and with
# hyphens and underscores read as spaces.
HIGH_CATEGORIES = frozenset({"failure", "failover", "global failover", "low storage"})
MEDIUM_CATEGORIES = frozenset({"maintenance"})
RESOLVING_CATEGORIES = frozenset({"recovery", "availability"})
_MAX_CATEGORIES = 10  # RDS files an event under one or two

# The RDS-EVENT-NNNN ids of the categories that change an alert's state, from AWS's RDS event
# catalogue (RDS and Aurora user guides, "Amazon RDS event categories and event messages").
# An id filed under two categories ("maintenance, failure", "maintenance, notification") is
# listed under the worse of the two.
# fmt: off
_CATALOGUE: dict[str, frozenset[str]] = {
    "availability": frozenset({"0004", "0006", "0022", "0221", "0222"}),
    "failover": frozenset({
        "0013", "0015", "0034", "0049", "0050", "0051", "0065", "0069", "0070", "0071",
        "0072", "0073",
    }),
    "failure": frozenset({
        "0031", "0035", "0036", "0039", "0058", "0079", "0080", "0081", "0082", "0083",
        "0143", "0165", "0188", "0195", "0198", "0219", "0220", "0223", "0224", "0237",
        "0243", "0245", "0249", "0252", "0254", "0261", "0275", "0277", "0278", "0279",
        "0280", "0281", "0282", "0283", "0284", "0285",
    }),
    "global failover": frozenset({"0181", "0182", "0183", "0184", "0185", "0186", "0187"}),
    "low storage": frozenset({"0007", "0089", "0227"}),
    "maintenance": frozenset({
        "0026", "0027", "0047", "0155", "0156", "0173", "0176", "0191", "0192", "0193",
        "0194", "0264", "0265", "0266", "0267", "0268", "0269", "0270", "0286", "0287",
        "0288", "0289", "0290",
    }),
    "recovery": frozenset({"0020", "0021", "0023", "0052", "0053", "0066", "0166"}),
}
# fmt: on
EVENT_CATEGORIES: dict[str, str] = {
    f"RDS-EVENT-{number}": category
    for category, numbers in _CATALOGUE.items()
    for number in numbers
}

# Availability and recovery events that are bad news by AWS's description of them: they
# open an alert (HIGH) instead of closing one.
BAD_NEWS = frozenset(
    {
        "RDS-EVENT-0004",  # "DB instance shutdown"
        "RDS-EVENT-0020",  # recovery of the DB instance has started, not finished
        "RDS-EVENT-0022",  # an error has occurred while restarting the engine
        "RDS-EVENT-0052",  # Multi-AZ instance recovery has started, not finished
        "RDS-EVENT-0066",  # performance is degraded until the SQL Server mirror is rebuilt
        "RDS-EVENT-0221",  # storage-full threshold reached, the database has been shut down
        "RDS-EVENT-0222",  # free storage is low, the database will be shut down below it
    }
)

# "RDS-EVENT-0031", alone or at the end of the documentation link an SNS message gives.
_EVENT_ID = re.compile(r"(?<![A-Za-z0-9-])RDS-EVENT-\d{4,}$", re.IGNORECASE)

# SourceType → how people name it.
_KINDS = {
    "DB_INSTANCE": "DB instance",
    "CLUSTER": "DB cluster",
    "DB_CLUSTER": "DB cluster",
    "SNAPSHOT": "DB snapshot",
    "DB_SNAPSHOT": "DB snapshot",
    "CLUSTER_SNAPSHOT": "DB cluster snapshot",
    "DB_CLUSTER_SNAPSHOT": "DB cluster snapshot",
    "DB_PARAM": "DB parameter group",
    "DB_PARAMETER_GROUP": "DB parameter group",
    "DB_CLUSTER_PARAMETER_GROUP": "DB cluster parameter group",
    "DB_SECURITY_GROUP": "DB security group",
    "SECURITY_GROUP": "DB security group",
    "DB_PROXY": "DB proxy",
    "BLUE_GREEN_DEPLOYMENT": "blue/green deployment",
    "CUSTOM_ENGINE_VERSION": "custom engine version",
}


def _is_rds_event(detail_type: str | None) -> bool:
    """ "RDS DB Instance Event", "RDS DB Proxy Event"…: RDS's own events, not CloudTrail's."""
    return (
        detail_type is not None
        and detail_type.startswith("RDS ")
        and detail_type.endswith(" Event")
    )


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per RDS event. Other detail-types of the source (CloudTrail API calls) are
    left to the generic view; a reduced event without detail-type is read by its shape."""
    kind = event.detail_type
    shaped = kind is None and (
        dig(event.detail, "EventCategories") is not None or bool(event_id(event.detail))
    )
    if not (_is_rds_event(kind) or shaped):
        return []
    return [_signal(event, ctx)]


def categories(detail: Any) -> list[str]:
    """The event's categories, lowered ("configuration change"); a lone string counts as
    one, anything else in the list is skipped."""
    raw = dig(detail, "EventCategories")
    items: Iterable[Any] = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    found: list[str] = []
    for item in items:
        name = " ".join(headline(item, 60).lower().replace("-", " ").replace("_", " ").split())
        if name and name not in found:
            found.append(name)
    return found[:_MAX_CATEGORIES]


def event_id(detail: Any) -> str:
    """ "RDS-EVENT-0031" from EventID, be it the id alone or a link ending in "#RDS-EVENT-0031";
    "" when it holds none."""
    found = _EVENT_ID.search(scalar(dig(detail, "EventID")).strip())
    return found.group(0).upper() if found else ""


def catalogued(code: str) -> list[str]:
    """The category AWS's catalogue files the event id under, when it is one that changes an
    alert's state; else none."""
    category = EVENT_CATEGORIES.get(code)
    return [category] if category else []


def level(found: list[str], code: str = "") -> tuple[Severity, SignalState]:
    """The worst category decides: failure/failover/low storage HIGH, maintenance MEDIUM,
    then recovery/availability resolve, unless the event is bad news (a shutdown, an error,
    storage full) and fires HIGH; the rest is news."""
    names = set(found)
    if names & HIGH_CATEGORIES:
        return Severity.HIGH, SignalState.FIRING
    if names & MEDIUM_CATEGORIES:
        return Severity.MEDIUM, SignalState.FIRING
    if names & RESOLVING_CATEGORIES:
        if code in BAD_NEWS:
            return Severity.HIGH, SignalState.FIRING
        return Severity.INFO, SignalState.RESOLVED
    return Severity.INFO, SignalState.INFO


def _is_rds_arn(value: Any) -> bool:
    parsed = parse_arn(value)
    return parsed is not None and parsed.service == "rds"


def _source_arn(event: Event) -> str:
    """The detail's SourceArn, else the first RDS ARN of the resources."""
    arn = scalar(dig(event.detail, "SourceArn"))
    if _is_rds_arn(arn):
        return arn
    return next((a for a in event.resources if _is_rds_arn(a)), "")


def _identifier(detail: Any, arn: str) -> str:
    """SourceIdentifier, else the name the ARN ends with (db:NAME, snapshot:rds:NAME)."""
    named = headline(dig(detail, "SourceIdentifier"), 120)
    if named:
        return named
    parsed = parse_arn(arn)
    return headline(parsed.name, 120) if parsed else ""


def _kind(event: Event) -> str:
    """ "DB instance" from SourceType, else from the detail-type ("RDS DB Proxy Event")."""
    source_type = scalar(dig(event.detail, "SourceType")).upper()
    if source_type in _KINDS:
        return _KINDS[source_type]
    kind = event.detail_type or ""
    if _is_rds_event(kind):
        words = kind.removeprefix("RDS ").removesuffix(" Event").split()
        return " ".join(words[:1] + [w.lower() for w in words[1:]])
    return "resource"


def _signal(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    arn = _source_arn(event)
    identifier = _identifier(detail, arn)
    code = event_id(detail)
    found = categories(detail) or catalogued(code)
    severity, state = level(found, code)
    account, region = locate(event, arn)
    message = scalar(dig(detail, "Message")).strip()
    summary = headline(message, 110) or (", ".join(found) or "event")
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"RDS {_kind(event)} {identifier or 'unknown'}: {summary}",
        severity=severity,
        state=state,
        fingerprint=fingerprint("rds", account, region, identifier),
        fields=fields(
            [
                ("Source", identifier),
                ("Source type", headline(dig(detail, "SourceType"), 60)),
                ("Categories", ", ".join(found)),
                ("Event ID", code or headline(dig(detail, "EventID"), 40)),
                ("Message", clip(message, 500)),
                ("Date", headline(dig(detail, "Date"), 40)),
            ]
        ),
        resource=arn or identifier,
        console_url=arn_console_url(arn) or console_url(region, "rds/home", "databases:"),
        account=account,
        region=region,
    )
