"""Security Hub: one signal per finding, since one event may carry many (a custom action
sends every finding someone selected) and each has its own life.

A finding fires at its severity label until it passes its check, is resolved in its
workflow or is archived; an INFORMATIONAL finding that is still open is just news.
Security Hub sends a finding again at every update and check, so its severity's rank is
its measure: the same finding sent again does not reopen an alert resolved by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.models import Event, Severity, Signal, SignalField, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    make_signal,
    measured,
    number,
    scalar,
)
from bot.sources.console import quote

FAMILY = registry.SECURITYHUB

_LABELS = frozenset({"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"})


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """A signal per finding in `detail.findings`; none when there is no finding to show."""
    findings = dig(event.detail, "findings", default=[])
    if not isinstance(findings, list):
        return []
    action = scalar(dig(event.detail, "actionName"))
    return [
        _signal(event, ctx, f, action, f"{event.id}/{i}")
        for i, f in enumerate(findings)
        if isinstance(f, Mapping)
    ]


def _upper(finding: Mapping[str, Any], *path: str) -> str:
    return scalar(dig(finding, *path)).upper()


def _severity(finding: Mapping[str, Any]) -> Severity:
    """The label; else the 0–100 normalized score (0 is informational, then tens as scores)."""
    label = _upper(finding, "Severity", "Label")
    if label in _LABELS:
        return Severity.from_label(label)
    normalized = number(dig(finding, "Severity", "Normalized"))
    if normalized is None:
        return Severity.LOW
    return Severity.INFO if normalized <= 0 else Severity.from_score(normalized / 10)


def _resolved(finding: Mapping[str, Any]) -> bool:
    """Passed its check, resolved by people, or archived by its product."""
    return (
        _upper(finding, "Compliance", "Status") == "PASSED"
        or _upper(finding, "Workflow", "Status") == "RESOLVED"
        or _upper(finding, "WorkflowState") == "RESOLVED"
        or _upper(finding, "RecordState") == "ARCHIVED"
    )


def _outcome(finding: Mapping[str, Any]) -> tuple[Severity, SignalState]:
    if _resolved(finding):
        return Severity.INFO, SignalState.RESOLVED
    severity = _severity(finding)
    if severity is Severity.INFO:
        return severity, SignalState.INFO
    return severity, SignalState.FIRING


def _product(finding: Mapping[str, Any]) -> str:
    return scalar(dig(finding, "ProductName")) or scalar(
        dig(finding, "ProductFields", "aws/securityhub/ProductName")
    )


def _control(finding: Mapping[str, Any]) -> str:
    """The control or rule id people search for ("IAM.6", "1.4"); else the generator id."""
    for path in (
        ("Compliance", "SecurityControlId"),
        ("ProductFields", "ControlId"),
        ("ProductFields", "RuleId"),
        ("GeneratorId",),
    ):
        value = scalar(dig(finding, *path))
        if value:
            return value
    return ""


def _remediation(finding: Mapping[str, Any]) -> str:
    recommendation = dig(finding, "Remediation", "Recommendation")
    parts = (scalar(dig(recommendation, "Text")), scalar(dig(recommendation, "Url")))
    return " ".join(part for part in parts if part)


def _resource(finding: Mapping[str, Any]) -> tuple[str, str]:
    """(type, id) of the first resource."""
    first = dig(finding, "Resources", 0)
    return scalar(dig(first, "Type")), scalar(dig(first, "Id"))


def _fields(finding: Mapping[str, Any], action: str) -> list[SignalField]:
    kind, ident = _resource(finding)
    return fields(
        [
            ("Action", action),
            ("Product", _product(finding)),
            ("Severity", _upper(finding, "Severity", "Label")),
            ("Compliance", _upper(finding, "Compliance", "Status")),
            ("Workflow", _upper(finding, "Workflow", "Status") or _upper(finding, "WorkflowState")),
            ("Resource", " ".join(part for part in (kind, ident) if part)),
            ("Control", _control(finding)),
            ("Remediation", _remediation(finding)),
        ]
    )


def _link(region: str | None, finding_id: str) -> str | None:
    """The console's findings page filtered on this Id (the console double-encodes the filter);
    None without a region code."""
    value = quote(quote(finding_id, safe=""), safe="")
    return console_url(
        region,
        "securityhub/home",
        f"/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A{value}",
    )


def _signal(
    event: Event, ctx: Context, finding: Mapping[str, Any], action: str, stand_in: str
) -> Signal:
    """`stand_in` identifies a finding that has no Id, so that two such never share an alert."""
    finding_id = scalar(dig(finding, "Id"))
    region = (
        scalar(dig(finding, "Region"))
        or scalar(dig(finding, "Resources", 0, "Region"))
        or event.region
    )
    account = scalar(dig(finding, "AwsAccountId")) or event.account
    severity, state = _outcome(finding)
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=headline(dig(finding, "Title")) or headline(finding_id) or "Security Hub finding",
        severity=severity,
        state=state,
        fingerprint=fingerprint("securityhub", finding_id or stand_in),
        fields=_fields(finding, action),
        description=scalar(dig(finding, "Description")),
        resource=_resource(finding)[1],
        console_url=_link(region, finding_id),
        account=account,
        region=region,
        measure=measured(severity.rank),
    )
