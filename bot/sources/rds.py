"""RDS events of DB instances, clusters, snapshots, parameter and security groups and
proxies, by their event categories.

RDS files every event under one or more categories, and the category says what it means to
people: a failure, a failover or storage running low needs someone now (HIGH); maintenance
will take the database down for a while, so it needs planning (MEDIUM); recovery and
availability events (the database is back, or restarted) close what a failure opened. The
rest (backups, configuration changes, notifications…) is news.

Every event of one source identifier (the instance, the cluster, the snapshot) shares one
alert, so that the recovery of an instance resolves its failure.
"""

from __future__ import annotations

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
    return bool(detail_type) and detail_type.startswith("RDS ") and detail_type.endswith(" Event")


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per RDS event. Other detail-types of the source (CloudTrail API calls) are
    left to the generic view; a reduced event without detail-type is read by its shape."""
    kind = event.detail_type
    shaped = kind is None and dig(event.detail, "EventCategories") is not None
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


def level(found: list[str]) -> tuple[Severity, SignalState]:
    """The worst category decides: failure/failover/low storage HIGH, maintenance MEDIUM,
    then recovery/availability resolve; the rest is news."""
    names = set(found)
    if names & HIGH_CATEGORIES:
        return Severity.HIGH, SignalState.FIRING
    if names & MEDIUM_CATEGORIES:
        return Severity.MEDIUM, SignalState.FIRING
    if names & RESOLVING_CATEGORIES:
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
    found = categories(detail)
    severity, state = level(found)
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
                ("Event ID", headline(dig(detail, "EventID"), 40)),
                ("Message", clip(message, 500)),
                ("Date", headline(dig(detail, "Date"), 40)),
            ]
        ),
        resource=arn or identifier,
        console_url=arn_console_url(arn) or console_url(region, "rds/home", "databases:"),
        account=account,
        region=region,
    )
