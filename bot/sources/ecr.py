"""Amazon ECR events: image scan results, and image pushes, deletions, replications and
the other actions of a registry.

A scan that found vulnerabilities fires at the worst severity it counted (critical,
high, medium): an image with them should not be deployed. A completed scan of the same
image with none of those resolves the alert, which belongs to the image (its repository
and digest; a tag when the digest is missing), since that is what a scan judges. A scan
that failed says nothing of the image, and low or informational findings are not worth
waking anyone: both are news. Pushes, deletions and the registry's other actions are
news too.
"""

from __future__ import annotations

from typing import Any

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    dig,
    fields,
    fingerprint,
    headline,
    locate,
    make_signal,
    scalar_fields,
)
from bot.sources.scans import (
    ScanReading,
    finding_counts,
    image_label,
    image_tags,
    repository_link,
    repository_name,
)

FAMILY = registry.ECR

_SCAN = "ECR Image Scan"
_ACTION = "ECR Image Action"
_OWN_PREFIX = "ECR "
_SCANS = ScanReading(
    shown=("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"), noun="vulnerability"
)


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per event. A reduced event without detail-type is a scan when it has a
    scan status or counts. Detail-types that are not ECR's own (CloudTrail API calls…) are
    left to the generic view."""
    kind = event.detail_type
    detail = event.detail
    if kind == _SCAN or (
        kind is None and (dig(detail, "scan-status") or dig(detail, "finding-severity-counts"))
    ):
        return [_scan(event, ctx)]
    if kind == _ACTION or kind is None:
        return [_action(event, ctx)]
    if kind.startswith(_OWN_PREFIX):
        return [_other(event, ctx, kind)]
    return []


# ---------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------


def _signal(event: Event, ctx: Context, title: str, **kwargs: Any) -> Signal:
    """A signal of the event's image: keyed by its repository and digest (else tag)."""
    detail = event.detail
    repository = repository_name(event.detail, event.resources)
    digest = headline(dig(detail, "image-digest"), 100)
    tags = image_tags(detail)
    account, region = locate(event, *event.resources)
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"ECR image {image_label(repository, digest, tags)}: {title}",
        fingerprint=fingerprint("ecr", account, region, repository, digest or next(iter(tags), "")),
        resource=digest or repository,
        console_url=repository_link(region, account, repository),
        account=account,
        region=region,
        **kwargs,
    )


# ---------------------------------------------------------------------------------------------
# Scans
# ---------------------------------------------------------------------------------------------


def _scan(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    status = headline(dig(detail, "scan-status"), 40).upper()
    counts = finding_counts(dig(detail, "finding-severity-counts"))
    severity, state, title = _SCANS.level(status, counts)
    return _signal(
        event,
        ctx,
        title=title,
        severity=severity,
        state=state,
        fields=fields(
            [
                ("Repository", repository_name(event.detail, event.resources)),
                ("Image tags", ", ".join(image_tags(detail))),
                ("Image digest", dig(detail, "image-digest")),
                ("Scan status", status),
                ("Findings", _SCANS.summary(counts) or "none"),
            ]
        ),
    )


# ---------------------------------------------------------------------------------------------
# Image actions, and the registry's other events
# ---------------------------------------------------------------------------------------------


def _action(event: Event, ctx: Context) -> Signal:
    """A push or a deletion (PUSH/DELETE, SUCCESS/FAILURE): news on the image's alert."""
    detail = event.detail
    action = headline(dig(detail, "action-type"), 40).upper()
    result = headline(dig(detail, "result"), 40).upper()
    return _signal(
        event,
        ctx,
        title=" ".join(part for part in (action or "action", result) if part),
        severity=Severity.INFO,
        state=SignalState.INFO,
        fields=fields(
            [
                ("Repository", repository_name(event.detail, event.resources)),
                ("Image tag", dig(detail, "image-tag")),
                ("Image digest", dig(detail, "image-digest")),
                ("Action", action),
                ("Result", result),
                ("Manifest media type", dig(detail, "manifest-media-type")),
            ]
        ),
    )


def _repositories(detail: Any) -> list[str]:
    """The repository names of events about several (scan configuration changes)."""
    listed = dig(detail, "repositories")
    if not isinstance(listed, list):
        return []
    names = [headline(dig(item, "repository-name"), 100) for item in listed]
    return [name for name in names if name]


def _other(event: Event, ctx: Context, kind: str) -> Signal:
    """Replications, pull through cache and referrer actions, scan configuration changes:
    news, titled by their detail-type and what they are about."""
    detail = event.detail
    account, region = locate(event, *event.resources)
    repository = repository_name(event.detail, event.resources)
    names = _repositories(detail)
    about = repository or ", ".join(names[:3]) + (
        f" and {len(names) - 3} more" if len(names) > 3 else ""
    )
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"{kind}: {about}" if about else kind,
        severity=Severity.INFO,
        state=SignalState.INFO,
        fingerprint=fingerprint("ecr", account, region, repository or kind),
        fields=fields([("Repositories", ", ".join(names))]) + scalar_fields(detail),
        resource=repository,
        console_url=repository_link(region, account, repository),
        account=account,
        region=region,
    )
