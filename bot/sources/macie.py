"""Amazon Macie findings: sensitive data found in S3 objects, and S3 bucket policy
findings (a bucket made public, encryption turned off…).

Macie rates each finding Low, Medium or High, and that rating is the alert's severity:
Macie knows what it found (credentials outrank a name in a log). A finding with no rating
is MEDIUM: sensitive data somewhere it may not belong deserves a look. An archived finding
closes its alert. Each finding is its own alert, keyed by its id; Macie updates the same
finding (its count grows) when it sees the same thing again: its rating's rank and its
count are its measure, so an update that says nothing new does not reopen an alert
resolved by hand.
"""

from __future__ import annotations

from typing import Any

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
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
    scalar,
)
from bot.sources.console import quote

FAMILY = registry.MACIE

FINDING = "Macie Finding"
# severity.description → the bot's scale; severity.score (1–3) when there is no description.
SEVERITIES = {"HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM, "LOW": Severity.LOW}
_SCORES = {3.0: Severity.HIGH, 2.0: Severity.MEDIUM, 1.0: Severity.LOW}


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per finding event. Other detail-types of the source (CloudTrail API calls)
    are left to the generic view; a reduced event without detail-type is read by its shape."""
    kind = event.detail_type
    shaped = kind is None and dig(event.detail, "resourcesAffected") is not None
    if kind != FINDING and not shaped:
        return []
    return [_signal(event, ctx)]


def level(detail: Any) -> tuple[Severity, SignalState]:
    """Archived closes the finding; otherwise Macie's own rating decides."""
    if dig(detail, "archived") is True:
        return Severity.INFO, SignalState.RESOLVED
    rated = SEVERITIES.get(scalar(dig(detail, "severity", "description")).strip().upper())
    if rated is None:
        score = number(dig(detail, "severity", "score"))
        rated = _SCORES.get(score) if score is not None else None
    return rated or Severity.MEDIUM, SignalState.FIRING


def _finding_type(detail: Any) -> str:
    """ "SensitiveData:S3Object/Personal"; some tools nest it as {"id": …}."""
    value = dig(detail, "type")
    return headline(dig(value, "id") if isinstance(value, dict) else value, 100)


def _where(detail: Any) -> tuple[str, str, str]:
    """The bucket, the object key, and the ARN of the bucket (or object)."""
    affected = dig(detail, "resourcesAffected")
    bucket = headline(dig(affected, "s3Bucket", "name"), 100)
    key = headline(dig(affected, "s3Object", "key"), 300)
    arn = scalar(dig(affected, "s3Object", "bucketArn") or dig(affected, "s3Bucket", "arn"))
    return bucket, key, arn


def _signal(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    finding_id = headline(dig(detail, "id"), 100)
    bucket, key, arn = _where(detail)
    account, region = locate(event, arn)
    severity, state = level(detail)
    what = headline(dig(detail, "title"), 100).rstrip(".") or _finding_type(detail) or "finding"
    place = f"{bucket}/{key}" if bucket and key else bucket or key
    title = f"Macie: {what}" + (f" in {place}" if place else "")
    if state is SignalState.RESOLVED:
        title += " (archived)"
    fragment = "findings"
    if finding_id:
        fragment += f"?search=id%3D{quote(finding_id, safe='')}&macros=current"
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=title,
        severity=severity,
        state=state,
        fingerprint=fingerprint("macie", account, region, finding_id),
        fields=fields(
            [
                ("Finding type", _finding_type(detail)),
                ("Severity", headline(dig(detail, "severity", "description"), 20)),
                ("Bucket", bucket),
                ("Object", key),
                ("Category", headline(dig(detail, "category"), 40)),
                ("Count", headline(dig(detail, "count"), 20)),
                ("Finding ID", finding_id),
            ]
        ),
        description=clip(scalar(dig(detail, "description")).strip(), 1000),
        resource=arn or bucket,
        console_url=console_url(region, "macie/home", fragment),
        account=account,
        region=region,
        measure=measured(severity.rank, dig(detail, "count")),
    )
