"""Amazon Inspector findings and scans.

An active finding of critical, high or medium severity is a vulnerability someone should
fix: it fires at that severity, one alert per finding, until Inspector closes it (the
vulnerability is gone) or someone suppresses it. Low, informational and untriaged findings
are news. A finding is sent again at every update: its Inspector score is its measure,
so an update that says nothing worse does not reopen an alert resolved by hand. A scan
fires at the worst severity it counted, as an ECR scan does, and a completed scan of the
same image with none of those resolves it. Inspector's other events (coverage changes…)
are news.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    measured,
    number,
    parse_arn,
    scalar,
    scalar_fields,
    words,
)
from bot.sources.scans import (
    ScanReading,
    finding_counts,
    image_label,
    image_tags,
    repository_link,
    repository_name,
)

FAMILY = registry.INSPECTOR

_FINDING = "Inspector2 Finding"
_SCAN = "Inspector2 Scan"
_OWN_PREFIX = "Inspector2 "
# A finding's severities that fire, at the severity they fire at; the rest
# (LOW, INFORMATIONAL, UNTRIAGED) are news.
_FIRING_SEVERITIES = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
}
# A finding's status words.
_ACTIVE = frozenset({"ACTIVE"})
_GONE = frozenset({"CLOSED", "SUPPRESSED"})
_SCANS = ScanReading(
    shown=("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED"), noun="finding"
)
_DESCRIPTION_LIMIT = 1000


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per event (a reduced event without detail-type, by its shape).
    Detail-types that are not Inspector's own (CloudTrail API calls…) are left to the
    generic view."""
    kind = event.detail_type
    detail = event.detail
    if kind == _FINDING or (kind is None and dig(detail, "findingArn")):
        return [_finding(event, ctx)]
    if kind == _SCAN or (
        kind is None and (dig(detail, "scan-status") or dig(detail, "finding-severity-counts"))
    ):
        return [_scan(event, ctx)]
    if kind is None or kind.startswith(_OWN_PREFIX):
        return [_other(event, ctx, kind or "Inspector event")]
    return []


def _link(region: str | None, arn: str = "") -> str | None:
    """The finding's console page when its ARN is of the alert's region, else the list of
    findings; none without a region."""
    parsed = parse_arn(arn)
    if parsed is not None and parsed.service == "inspector2" and parsed.region == region:
        return arn_console_url(arn)
    return console_url(region, "inspector/v2/home", "/findings")


# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------


def _finding_level(status: str, severity: str) -> tuple[Severity, SignalState]:
    """Active and critical/high/medium fires at that severity; closed or suppressed resolves;
    an active finding of lower severity, or one of an unknown status, is news."""
    found = words(status)
    if found & _GONE:
        return Severity.INFO, SignalState.RESOLVED
    if found & _ACTIVE and severity in _FIRING_SEVERITIES:
        return _FIRING_SEVERITIES[severity], SignalState.FIRING
    return Severity.INFO, SignalState.INFO


def _first_resource(detail: Any) -> Any:
    resources = dig(detail, "resources")
    return resources[0] if isinstance(resources, list) and resources else {}


def _resource_label(resource: Any) -> str:
    """What people call the affected resource: repo:tag for an image, the function's name,
    the instance id, else the last part of its id."""
    details = dig(resource, "details")
    image = dig(details, "awsEcrContainerImage")
    if isinstance(image, Mapping):
        repository = headline(dig(image, "repositoryName"), 100)
        tags = dig(image, "imageTags")
        tag = headline(tags[0], 60) if isinstance(tags, list) and tags else ""
        if repository:
            return f"{repository}:{tag}" if tag else repository
    function = headline(dig(details, "awsLambdaFunction", "functionName"), 100)
    if function:
        return function
    ident = scalar(dig(resource, "id"))
    parsed = parse_arn(ident)
    return headline(parsed.last if parsed else ident, 100)


def _packages(detail: Any) -> str:
    """ "libssh2 1.4.3, openssl 1.0.2k": the vulnerable packages and their versions."""
    listed = dig(detail, "packageVulnerabilityDetails", "vulnerablePackages")
    if not isinstance(listed, list):
        return ""
    shown = [
        " ".join(
            p for p in (headline(dig(item, "name"), 80), headline(dig(item, "version"), 40)) if p
        )
        for item in listed[:5]
    ]
    return ", ".join(p for p in shown if p)


def _finding(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    finding_arn = scalar(dig(detail, "findingArn"))
    severity_label = headline(dig(detail, "severity"), 30).upper()
    status = headline(dig(detail, "status"), 30).upper()
    severity, state = _finding_level(status, severity_label)
    resource = _first_resource(detail)
    resource_id = headline(dig(resource, "id"), 300)
    vulnerability = headline(dig(detail, "packageVulnerabilityDetails", "vulnerabilityId"), 60)
    name = headline(dig(detail, "title"), 120) or vulnerability or headline(dig(detail, "type"), 60)
    where = _resource_label(resource)
    title = f"{name or 'Inspector finding'}" + (f" on {where}" if where else "")
    if state is not SignalState.FIRING and status:
        title += f" ({status})"
    account, region = locate(event, finding_arn, *event.resources)
    account = account or scalar(dig(detail, "awsAccountId"))
    # A finding without its ARN is keyed by what it says of which resource.
    key = [finding_arn] if finding_arn else [vulnerability or name, resource_id]
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=title,
        severity=severity,
        state=state,
        fingerprint=fingerprint("inspector", account, region, *key),
        fields=fields(
            [
                ("Severity", severity_label),
                ("Status", status),
                ("Type", headline(dig(detail, "type"), 60)),
                ("Vulnerability", vulnerability),
                ("Inspector score", number(dig(detail, "inspectorScore"))),
                ("Resource type", headline(dig(resource, "type"), 60)),
                ("Resource", resource_id),
                ("Packages", _packages(detail)),
                ("Fix available", headline(dig(detail, "fixAvailable"), 20)),
                (
                    "Remediation",
                    headline(dig(detail, "remediation", "recommendation", "text"), 300),
                ),
            ]
        ),
        description=clip(scalar(dig(detail, "description")).strip(), _DESCRIPTION_LIMIT),
        resource=resource_id or finding_arn,
        console_url=_link(region, finding_arn),
        account=account,
        region=region,
        measure=measured(dig(detail, "inspectorScore")),
    )


# ---------------------------------------------------------------------------------------------
# Scans
# ---------------------------------------------------------------------------------------------


def _scan(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    repository = repository_name(detail, event.resources)
    digest = headline(dig(detail, "image-digest"), 100)
    tags = [tag for tag in image_tags(detail) if tag]
    status = headline(dig(detail, "scan-status"), 40).upper()
    counts = finding_counts(dig(detail, "finding-severity-counts"))
    severity, state, outcome = _SCANS.level(status, counts)
    account, region = locate(event, *event.resources, dig(detail, "repository-name"))
    image = image_label(repository, digest, tags)
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"Inspector scan of {image}: {outcome}",
        severity=severity,
        state=state,
        fingerprint=fingerprint(
            "inspector", account, region, repository, digest or next(iter(tags), "")
        ),
        fields=fields(
            [
                ("Repository", repository),
                ("Image tags", ", ".join(tags)),
                ("Image digest", digest),
                ("Scan status", status),
                ("Findings", _SCANS.summary(counts) or "none"),
                ("Total findings", counts.get("TOTAL")),
            ]
        ),
        resource=digest or repository,
        console_url=repository_link(region, account, repository),
        account=account,
        region=region,
    )


def _other(event: Event, ctx: Context, kind: str) -> Signal:
    """Coverage changes and the like: news, titled by their detail-type and resource."""
    detail = event.detail
    about = headline(dig(detail, "resourceId"), 100) or headline(
        dig(detail, "ecrRepositoryName"), 100
    )
    account, region = locate(event, *event.resources)
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"{kind}: {about}" if about else kind,
        severity=Severity.INFO,
        state=SignalState.INFO,
        fingerprint=fingerprint("inspector", account, region, kind, about),
        fields=scalar_fields(detail),
        resource=about,
        console_url=_link(region),
        account=account,
        region=region,
    )
