"""IAM Access Analyzer findings: resources shared outside the zone of trust (external
access), access inside it to critical resources (internal access), and unused roles, keys,
passwords and permissions (unused access).

An ACTIVE finding is access someone has to either intend (and archive) or remove. Its own
severity decides when it has one; otherwise a resource open to the public is HIGH, as
anyone on the internet can use it, and any other finding MEDIUM. A finding archived or
resolved closes its alert. Each finding is its own alert, keyed by its id, so that its
later status changes land on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    arn_console_url,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    locate,
    make_signal,
    parse_arn,
    pick,
    scalar,
    words,
)

FAMILY = registry.ACCESSANALYZER

EXTERNAL = "Access Analyzer Finding"
UNUSED = "Unused Access Finding for IAM entities"
INTERNAL = "Internal Access Finding"
_FINDINGS = (EXTERNAL, UNUSED, INTERNAL)


class FindingStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    RESOLVED = "RESOLVED"


CLOSED = frozenset({FindingStatus.ARCHIVED.value, FindingStatus.RESOLVED.value})
# A finding's own severity label → the bot's scale.
_SEVERITIES = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
    "INFORMATIONAL": Severity.INFO,
    "INFO": Severity.INFO,
}
_LIST_LIMIT = 10


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per finding event. Access previews and CloudTrail API calls are left to
    the generic view; a reduced event without detail-type is read by its shape."""
    kind = event.detail_type
    shaped = kind is None and pick(event.detail, "findingId", "id") is not None
    shaped = shaped and dig(event.detail, "status") is not None
    if kind not in _FINDINGS and not shaped:
        return []
    return [_signal(event, ctx)]


def level(detail: Any) -> tuple[Severity, SignalState]:
    """ARCHIVED or RESOLVED closes the finding. An ACTIVE one (or one whose status is
    unknown) fires at its own severity, else HIGH when public, else MEDIUM; a finding that
    calls itself informational is news."""
    status = words(dig(detail, "status"))
    if status & CLOSED:
        return Severity.INFO, SignalState.RESOLVED
    own = _SEVERITIES.get(scalar(dig(detail, "severity")).strip().upper())
    if own is Severity.INFO:
        return Severity.INFO, SignalState.INFO
    if own is not None:
        return own, SignalState.FIRING
    if dig(detail, "isPublic") is True:
        return Severity.HIGH, SignalState.FIRING
    return Severity.MEDIUM, SignalState.FIRING


# ---------------------------------------------------------------------------------------------
# What the finding is about
# ---------------------------------------------------------------------------------------------


def _resource_type(value: Any) -> str:
    """ "S3 Bucket" from "AWS::S3::Bucket"."""
    parts = [part for part in headline(value, 80).split("::") if part]
    if len(parts) > 1 and parts[0] == "AWS":
        parts = parts[1:]
    return " ".join(parts)


def _resource_name(value: Any) -> str:
    """The name an ARN ends with (arn:aws:s3:::bucket, arn:aws:iam::1:role/Name)."""
    parsed = parse_arn(value)
    if parsed is None:
        return headline(value, 120)
    return headline(parsed.resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1], 120)


def _listed(value: Any) -> list[str]:
    """Scalars from a value that may be one, a list of them, or an object of them."""
    if isinstance(value, Mapping):
        items: list[Any] = []
        for item in value.values():
            items.extend(item if isinstance(item, list) else [item])
    elif isinstance(value, list):
        items = value
    else:
        items = [value]
    shown = [headline(item, 120) for item in items]
    return [item for item in shown if item][:_LIST_LIMIT]


def _conditions(value: Any) -> str:
    """ "aws:SourceVpc=vpc-1, aws:PrincipalOrgID=o-1"."""
    if not isinstance(value, Mapping):
        return ""
    pairs = []
    for key, item in list(value.items())[:_LIST_LIMIT]:
        shown = ", ".join(_listed(item))
        if shown:
            pairs.append(f"{headline(key, 80)}={shown}")
    return "; ".join(pairs)


def _what(kind: str | None, detail: Any) -> str:
    """What the finding says of its resource, in a few words."""
    error = headline(dig(detail, "error"), 40)
    principals = ", ".join(_listed(dig(detail, "principal")))
    if error:
        return f"could not be analyzed ({error})"
    if kind == UNUSED or (kind is None and dig(detail, "findingId") is not None):
        finding_type = headline(dig(detail, "findingType"), 60)
        return f"has unused access ({finding_type})" if finding_type else "has unused access"
    if dig(detail, "isPublic") is True:
        return "is public"
    if principals:
        where = "within the zone of trust" if kind == INTERNAL else "outside the zone of trust"
        return f"is shared with {principals} ({where})"
    return "grants access outside the zone of trust"


def _signal(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    kind = event.detail_type
    finding_id = headline(pick(detail, "id", "findingId"), 100)
    resource = scalar(dig(detail, "resource"))
    analyzer = next((a for a in event.resources if ":access-analyzer:" in a), "")
    account, region = locate(event, analyzer)
    severity, state = level(detail)
    status = headline(dig(detail, "status"), 30).upper()
    named = (_resource_type(dig(detail, "resourceType")), _resource_name(resource))
    subject = " ".join(part for part in named if part)
    title = f"Access Analyzer: {subject or 'resource'} {_what(kind, detail)}"
    if state is SignalState.RESOLVED:
        title += f" ({status})"
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=title,
        severity=severity,
        state=state,
        fingerprint=fingerprint("accessanalyzer", account, region, finding_id),
        fields=fields(
            [
                ("Resource", headline(resource, 300)),
                ("Status", status),
                ("Finding type", headline(dig(detail, "findingType"), 60)),
                ("Public", dig(detail, "isPublic")),
                ("Principal", ", ".join(_listed(dig(detail, "principal")))),
                ("Actions", ", ".join(_listed(dig(detail, "action")))),
                ("Condition", _conditions(dig(detail, "condition"))),
                ("Deleted", "true" if dig(detail, "isDeleted") is True else ""),
                ("Resource account", headline(dig(detail, "accountId"), 20)),
                ("Finding ID", finding_id),
            ]
        ),
        resource=resource,
        console_url=arn_console_url(analyzer)
        or console_url(region, "access-analyzer/home", "/findings"),
        account=account,
        region=region,
    )
