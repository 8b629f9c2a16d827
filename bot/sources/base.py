"""What every family interpreter shares: safe access to untrusted details, console links
that know the partition, and one way to build a Signal from an Event.

Details come from AWS, from agents and from anyone who can call PutEvents, so nothing
here assumes a key exists or has the type AWS documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from bot.models import Event, Severity, Signal, SignalField, SignalState
from bot.regions import partition

_CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-us-gov": "console.amazonaws-us-gov.com",
    "aws-cn": "console.amazonaws.cn",
}


@dataclass(frozen=True)
class Context:
    """What interpretation needs beyond the event: how people name accounts."""

    account_names: Mapping[str, str] = field(default_factory=dict)

    def account_name(self, account: str | None) -> str | None:
        return self.account_names.get(account or "")


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


def text(value: Any, default: str = "") -> str:
    """A display string for any JSON value: strings as they are, the rest compactly."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


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


def fingerprint(*parts: Any) -> str:
    """The identity of "the same alert": its parts joined, empty parts kept as '-'."""
    return ":".join(text(part, "-") for part in parts)


def console_url(
    region: str | None,
    path: str,
    fragment: str = "",
    query: Mapping[str, str] | None = None,
) -> str:
    """A deep link into the AWS console of the region's partition (aws, aws-us-gov, aws-cn)."""
    region = region or "us-east-1"
    part = partition(region)
    host = _CONSOLE_HOSTS[part]
    if part == "aws":
        host = f"{region}.{host}"
    params = {"region": region, **(query or {})}
    url = f"https://{host}/{path.lstrip('/')}?{urlencode(params, quote_via=quote)}"
    return f"{url}#{fragment}" if fragment else url


def fields(pairs: Iterable[tuple[str, Any]]) -> list[SignalField]:
    """Labelled fields, leaving out the ones with nothing to show."""
    out = []
    for label, value in pairs:
        shown = text(value)
        if shown:
            out.append(SignalField(label=label, value=shown))
    return out


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
) -> Signal:
    """A Signal with the event's identity, account name, region and time filled in."""
    account = account or event.account
    return Signal(
        family=family,
        title=title.strip() or f"{event.detail_type or event.source}",
        severity=severity,
        state=state,
        fingerprint=fingerprint,
        fields=fields or [],
        description=description,
        resource=resource,
        console_url=console_url,
        account=account,
        account_name=ctx.account_name(account),
        region=region or event.region,
        event_id=event.id,
        source=event.source,
        time=event.published_at,
    )
