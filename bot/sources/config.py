"""AWS Config events: rule compliance changes, and the recorder's own news (configuration
item changes, snapshot and history deliveries, rule re-evaluations).

A resource that became NON_COMPLIANT with a rule breaks a policy the account holds itself
to: MEDIUM, rarely urgent but to be fixed. The alert belongs to the rule and the resource
(type and id), as one rule judges many resources and one resource many rules; the same
rule finding the same resource COMPLIANT again resolves it. NOT_APPLICABLE and
INSUFFICIENT_DATA say nothing of the resource, so they are news, and so is every other
Config event: configuration changes are what rules judge, not alerts of their own.
"""

from __future__ import annotations

from typing import Any

from bot.models import Event, Severity, Signal, SignalState
from bot.regions import REGION_CODE
from bot.sources import registry
from bot.sources.base import (
    Context,
    StatusWords,
    console_url,
    dig,
    fields,
    fingerprint,
    headline,
    locate,
    make_signal,
    pick,
    scalar,
    scalar_fields,
)
from bot.sources.console import quote

FAMILY = registry.CONFIG

_COMPLIANCE = "Config Rules Compliance Change"
_ITEM = "Config Configuration Item Change"
_OVERSIZED_ITEM = "Config Oversized Configuration Item Change"
_OWN_PREFIX = "Config "
# complianceType words. NON_COMPLIANT holds the word COMPLIANT too, so it is looked for first.
_NON_COMPLIANT = frozenset({"NON_COMPLIANT"})
_COMPLIANT = frozenset({"COMPLIANT"})
# NON_COMPLIANT fires; COMPLIANT resolves; NOT_APPLICABLE, INSUFFICIENT_DATA are news.
_STATUS = StatusWords(fires=_NON_COMPLIANT, resolves=_COMPLIANT, severity=Severity.MEDIUM)
_QUALIFIER = ("newEvaluationResult", "evaluationResultIdentifier", "evaluationResultQualifier")


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per event; a reduced event without detail-type is placed by its shape.
    Detail-types that are not Config's own (CloudTrail API calls…) are left to the generic
    view."""
    kind = event.detail_type
    detail = event.detail
    if kind == _COMPLIANCE or (
        kind is None and (dig(detail, "newEvaluationResult") or dig(detail, "configRuleName"))
    ):
        return [_compliance(event, ctx)]
    if kind in (_ITEM, _OVERSIZED_ITEM) or (
        kind is None and pick(detail, "configurationItem", "configurationItemSummary")
    ):
        return [_item(event, ctx, kind or _ITEM)]
    if kind is None or kind.startswith(_OWN_PREFIX):
        return [_other(event, ctx, kind or "Config event")]
    return []


def _where(
    event: Event, *arns: Any, account: Any = None, region: Any = None
) -> tuple[str, str | None]:
    """The envelope's account and region, else the detail's (awsAccountId, awsRegion; a
    region only when it is a region code), else the ARNs'."""
    found_account, found_region = locate(event, *arns)
    if not event.account and isinstance(account, str) and account:
        found_account = account
    if not event.region and isinstance(region, str) and REGION_CODE.fullmatch(region):
        found_region = region
    return found_account, found_region


# ---------------------------------------------------------------------------------------------
# Rule compliance
# ---------------------------------------------------------------------------------------------


def _rule_link(region: str | None, rule: str) -> str | None:
    """The rule's page, which lists the resources it finds noncompliant. By name: the rule's
    ARN holds its id, which the console does not take."""
    if rule:
        return console_url(
            region, "config/home", f"/rules/details?configRuleName={quote(rule, safe='')}"
        )
    return console_url(region, "config/home", "/rules")


def _compliance(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    rule = headline(dig(detail, "configRuleName"), 150) or headline(
        dig(detail, *_QUALIFIER, "configRuleName"), 150
    )
    resource_type = headline(dig(detail, "resourceType"), 100) or headline(
        dig(detail, *_QUALIFIER, "resourceType"), 100
    )
    resource_id = headline(dig(detail, "resourceId"), 200) or headline(
        dig(detail, *_QUALIFIER, "resourceId"), 200
    )
    compliance = headline(dig(detail, "newEvaluationResult", "complianceType"), 30).upper()
    previous = headline(dig(detail, "oldEvaluationResult", "complianceType"), 30).upper()
    severity, state = _STATUS.level(compliance)
    rule_arn = scalar(dig(detail, "configRuleARN"))
    account, region = _where(
        event, rule_arn, account=dig(detail, "awsAccountId"), region=dig(detail, "awsRegion")
    )
    resource = " ".join(part for part in (resource_type, resource_id) if part) or "a resource"
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"Config rule {rule or 'unknown'}: {resource} {compliance or 'compliance unknown'}",
        severity=severity,
        state=state,
        fingerprint=fingerprint("config", account, region, rule, resource_type, resource_id),
        fields=fields(
            [
                ("Rule", rule),
                ("Resource type", resource_type),
                ("Resource ID", resource_id),
                ("Compliance", compliance),
                ("Previously", previous),
                ("Annotation", headline(dig(detail, "newEvaluationResult", "annotation"), 500)),
                (
                    "Recorded",
                    headline(dig(detail, "newEvaluationResult", "resultRecordedTime"), 40),
                ),
            ]
        ),
        resource=resource_id or rule_arn,
        console_url=_rule_link(region, rule),
        account=account,
        region=region,
    )


# ---------------------------------------------------------------------------------------------
# Configuration items, and the recorder's other news
# ---------------------------------------------------------------------------------------------


def _resource_link(region: str | None, resource_type: str, resource_id: str) -> str | None:
    """The resource's configuration timeline in the Config console."""
    if resource_type and resource_id:
        query = (
            f"resourceId={quote(resource_id, safe='')}&resourceType={quote(resource_type, safe='')}"
        )
        return console_url(region, "config/home", f"/resources/timeline?{query}")
    return console_url(region, "config/home", "/resources")


def _item(event: Event, ctx: Context, kind: str) -> Signal:
    """A resource's configuration was recorded: created, updated or deleted. News."""
    detail = event.detail
    item = pick(detail, "configurationItem", "configurationItemSummary")
    resource_type = headline(dig(item, "resourceType"), 100)
    resource_id = headline(dig(item, "resourceId"), 200)
    name = headline(dig(item, "resourceName"), 200)
    change = headline(dig(detail, "configurationItemDiff", "changeType"), 30).upper()
    status = headline(dig(item, "configurationItemStatus"), 40)
    arn = scalar(pick(item, "ARN", "arn"))
    account, region = _where(
        event, arn, account=dig(item, "awsAccountId"), region=dig(item, "awsRegion")
    )
    what = " ".join(part for part in (resource_type, name or resource_id) if part) or "a resource"
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"Config: {what} {change or status or 'recorded'}",
        severity=Severity.INFO,
        state=SignalState.INFO,
        fingerprint=fingerprint("config", account, region, kind, resource_type, resource_id),
        fields=fields(
            [
                ("Resource type", resource_type),
                ("Resource ID", resource_id),
                ("Resource name", name),
                ("Change", change),
                ("Item status", status),
                ("Captured", headline(dig(item, "configurationItemCaptureTime"), 40)),
            ]
        ),
        resource=arn or resource_id,
        console_url=_resource_link(region, resource_type, resource_id),
        account=account,
        region=region,
    )


def _other(event: Event, ctx: Context, kind: str) -> Signal:
    """Snapshot and history deliveries, rule re-evaluations…: news, titled by their
    detail-type and the notification's own message type."""
    detail = event.detail
    message = headline(dig(detail, "messageType"), 100)
    account, region = _where(event, *event.resources, account=dig(detail, "awsAccountId"))
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"{kind}: {message}" if message else kind,
        severity=Severity.INFO,
        state=SignalState.INFO,
        fingerprint=fingerprint("config", account, region, kind, message),
        fields=scalar_fields(detail),
        console_url=console_url(region, "config/home", "/dashboard"),
        account=account,
        region=region,
    )
