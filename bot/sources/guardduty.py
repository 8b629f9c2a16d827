"""GuardDuty: threat findings, and Malware Protection scan results of S3 objects.

A finding fires at the severity its score gives (GuardDuty's bands: ≥7 high, ≥4 medium,
plus ≥9 critical) until someone archives it. GuardDuty sends a standing finding again
(every 6 hours by default), so a finding carries its score and `service.count` as its
measure: the same finding sent again does not reopen an alert resolved by hand. A
malware scan fires only when it found threats; a clean scan is just news.
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
    pick,
    scalar,
)
from bot.sources.console import quote

FAMILY = registry.GUARDDUTY

# resourceType → where that resource's identifier sits under `resource`.
_RESOURCE_IDS: tuple[tuple[str, tuple[str | int, ...]], ...] = (
    ("Instance", ("instanceDetails", "instanceId")),
    ("AccessKey", ("accessKeyDetails", "accessKeyId")),
    ("S3Bucket", ("s3BucketDetails", 0, "name")),
    ("S3Object", ("s3BucketDetails", 0, "name")),
    ("EKSCluster", ("eksClusterDetails", "name")),
    ("ECSCluster", ("ecsClusterDetails", "name")),
    ("Container", ("containerDetails", "name")),
    ("Lambda", ("lambdaDetails", "functionName")),
    ("RDSDBInstance", ("rdsDbInstanceDetails", "dbInstanceIdentifier")),
)
_THREATS_FOUND = frozenset({"THREATS_FOUND", "INFECTED"})
_CLEAN = frozenset({"NO_THREATS_FOUND", "CLEAN"})


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal: a finding, or a malware scan result."""
    if _is_malware_scan(event):
        return [_malware_scan(event, ctx)]
    return [_finding(event, ctx)]


def _account(event: Event) -> str:
    return event.account or scalar(dig(event.detail, "accountId"))


def _region(event: Event) -> str | None:
    return event.region or scalar(dig(event.detail, "region")) or None


# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------


def _severity(value: Any) -> Severity:
    """From the numeric score; some producers write a label ("High") instead."""
    score = number(value)
    if score is None:
        return Severity.from_label(scalar(value))
    return Severity.from_score(score)


def _resource(detail: Mapping[str, Any]) -> str:
    """ "Instance i-123": the finding's resource type and its identifier, when known."""
    resource = dig(detail, "resource")
    kind = scalar(dig(resource, "resourceType"))
    matching = [path for rtype, path in _RESOURCE_IDS if rtype == kind]
    others = [path for rtype, path in _RESOURCE_IDS if rtype != kind]
    ident = next((v for p in matching + others if (v := scalar(dig(resource, *p)))), "")
    return " ".join(part for part in (kind, ident) if part)


def _find(obj: Any, key: str, depth: int = 4) -> Any:
    """The first value under `key` at most `depth` levels down (actions nest it differently)."""
    if depth < 0:
        return None
    if isinstance(obj, Mapping):
        if isinstance(obj.get(key), Mapping):
            return obj[key]
        children = list(obj.values())
    elif isinstance(obj, list):
        children = obj
    else:
        return None
    return next((f for c in children if (f := _find(c, key, depth - 1)) is not None), None)


def _remote(action: Any) -> str:
    """ "198.51.100.0 (Country)": the remote party of the action, whatever its type."""
    details = _find(action, "remoteIpDetails")
    ip = scalar(pick(details, "ipAddressV4", "ipAddressV6"))
    country = scalar(dig(details, "country", "countryName"))
    if ip and country:
        return f"{ip} ({country})"
    return ip or country


def _action(action: Any) -> str:
    """ "AWS_API_CALL GetObject": the action type and, for API calls and DNS, what was asked."""
    kind = scalar(dig(action, "actionType"))
    what = scalar(dig(action, "awsApiCallAction", "api")) or scalar(
        dig(action, "dnsRequestAction", "domain")
    )
    return " ".join(part for part in (kind, what) if part)


def _finding_fields(detail: Mapping[str, Any], severity: Severity) -> list[SignalField]:
    service = dig(detail, "service")
    score = number(dig(detail, "severity"))
    return fields(
        [
            ("Type", scalar(dig(detail, "type"))),
            ("Severity", f"{score:g} ({severity})" if score is not None else str(severity)),
            ("Count", scalar(dig(service, "count"))),
            ("First seen", scalar(dig(service, "eventFirstSeen"))),
            ("Last seen", scalar(dig(service, "eventLastSeen"))),
            ("Resource", _resource(detail)),
            ("Action", _action(dig(service, "action"))),
            ("Remote IP", _remote(dig(service, "action"))),
        ]
    )


def _archived(detail: Mapping[str, Any]) -> bool:
    return scalar(dig(detail, "service", "archived")).lower() == "true"


def _finding(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    finding_id = scalar(dig(detail, "id")) or scalar(dig(detail, "arn"))
    severity = _severity(dig(detail, "severity"))
    region = _region(event)
    account = _account(event)
    archived = _archived(detail)
    title = headline(dig(detail, "title")) or headline(dig(detail, "type")) or "GuardDuty finding"
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=title,
        severity=Severity.INFO if archived else severity,
        state=SignalState.RESOLVED if archived else SignalState.FIRING,
        fingerprint=fingerprint("guardduty", account, region, finding_id),
        fields=_finding_fields(detail, severity),
        description=scalar(dig(detail, "description")),
        resource=_resource(detail).partition(" ")[2] or finding_id,
        console_url=console_url(
            region, "guardduty/home", f"/findings?fId={quote(finding_id, safe='')}"
        ),
        account=account,
        region=region,
        measure=measured(dig(detail, "severity"), dig(detail, "service", "count")),
    )


# ---------------------------------------------------------------------------------------------
# Malware Protection scan results
# ---------------------------------------------------------------------------------------------


def _is_malware_scan(event: Event) -> bool:
    kind = event.detail_type or ""
    return kind.startswith("GuardDuty Malware Protection") or (
        "scanResultDetails" in event.detail and "type" not in event.detail
    )


def _scan_outcome(status: str) -> tuple[Severity, SignalState, str]:
    """Threats fire; a clean scan informs; anything else (failed, unsupported) informs louder."""
    if status in _THREATS_FOUND:
        return Severity.HIGH, SignalState.FIRING, "Malware found in"
    if status in _CLEAN:
        return Severity.INFO, SignalState.INFO, "No malware in"
    return Severity.LOW, SignalState.INFO, f"Malware scan {status or 'result'}:"


def _threats(result: Any) -> str:
    threats = dig(result, "threats", default=[])
    names = [scalar(dig(t, "name")) for t in threats] if isinstance(threats, list) else []
    return ", ".join(n for n in names if n)


def _malware_link(region: str | None, bucket: str, key: str) -> str | None:
    """The scanned S3 object, where people go to quarantine it; else GuardDuty's console;
    None without a region code."""
    if bucket:
        path = f"s3/object/{quote(bucket, safe='')}"
        return console_url(region, path, query={"prefix": key} if key else None)
    return console_url(region, "guardduty/home")


def _malware_scan(event: Event, ctx: Context) -> Signal:
    detail = event.detail
    result = dig(detail, "scanResultDetails")
    status = scalar(pick(result, "scanResultStatus", "scanResult")).upper()
    bucket = scalar(dig(detail, "s3ObjectDetails", "bucketName"))
    key = scalar(dig(detail, "s3ObjectDetails", "objectKey"))
    target = f"s3://{bucket}/{key}" if bucket else scalar(pick(detail, "resourceArn", "scanId"))
    severity, state, lead = _scan_outcome(status)
    region = _region(event)
    account = _account(event)
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=f"{lead} {target or 'a scanned resource'}",
        severity=severity,
        state=state,
        fingerprint=fingerprint("guardduty", account, region, "malware", bucket or target, key),
        fields=fields(
            [
                ("Result", status),
                ("Threats", _threats(result)),
                ("Bucket", bucket),
                ("Object key", key),
                ("Scan status", scalar(dig(detail, "scanStatus"))),
                ("Resource type", scalar(dig(detail, "resourceType"))),
            ]
        ),
        resource=target,
        console_url=_malware_link(region, bucket, key),
        account=account,
        region=region,
    )
