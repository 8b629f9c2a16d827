"""Event factories: build events of any family without going through the envelope parser.

Each family has its own module (tests/factories/<family>.py) with functions that return
a `detail` dict; `make_event` wraps a detail into a stored-shape Event, `corpus` reads one
from the corpus of real AWS events, and `arn` builds the ARNs all families' details hold.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from bot.models import Event, Signal
from bot.regions import partition
from bot.sources.base import Context
from tests.corpus import load

_ids = itertools.count(1)
T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
# A region of each partition but the commercial one, with the origin of its console.
OTHER_PARTITIONS = [
    ("us-gov-west-1", "https://console.amazonaws-us-gov.com"),
    ("cn-north-1", "https://console.amazonaws.cn"),
]


def make_event(
    detail_type: str | None,
    source: str,
    detail: dict[str, Any],
    *,
    account: str = "123456789012",
    region: str | None = "us-east-1",
    resources: list[str] | None = None,
    event_id: str | None = None,
    published_at: int = T0,
) -> Event:
    """An Event as ingest would build it, before interpretation."""
    return Event(
        id=event_id or f"evt-{next(_ids):06d}",
        account=account,
        region=region,
        source=source,
        detail_type=detail_type,
        detail=detail,
        resources=resources or [],
        published_at=published_at,
        updated_at=published_at,
        received_at=published_at,
        expired_at=published_at + 604800,
    )


def from_envelope(envelope: dict[str, Any], *, event_id: str | None = None) -> Event:
    """An Event from a full EventBridge envelope (a corpus file), for interpreter tests.

    Only the plain envelope shape; the other shapes are the envelope parser's business
    and are tested through it.
    """
    from bot.timeutil import time_or_none

    # AWS's own samples may write "yyyy-mm-ddThh:mm:ssZ": such a time is no time.
    published = time_or_none(envelope.get("time")) or T0
    return make_event(
        envelope.get("detail-type"),
        envelope["source"],
        envelope["detail"],
        account=envelope.get("account", ""),
        region=envelope.get("region"),
        resources=envelope.get("resources", []),
        event_id=event_id or envelope.get("id"),
        published_at=published,
    )


def corpus_sns(name: str) -> dict[str, Any]:
    """The SNS message of a corpus file that holds a Lambda SNS event (Records[0].Sns)."""
    sns: dict[str, Any] = load(name)["Records"][0]["Sns"]
    return sns


def corpus(name: str) -> Event:
    """The Event of a corpus file that holds one plain EventBridge envelope."""
    return from_envelope(load(name))


def arn(service: str, resource: str, *, region: str, account: str = "123456789012") -> str:
    """An ARN in the region's partition (arn:aws-us-gov:…, arn:aws-cn:…)."""
    return f"arn:{partition(region)}:{service}:{region}:{account}:{resource}"


def field_values(signal: Signal) -> dict[str, str]:
    """A signal's fields as {label: value}."""
    return {field.label: field.value for field in signal.fields}


def one_signal(
    interpret: Callable[[Event, Context], list[Signal]],
    source: str,
    detail_type: str | None,
    detail: dict[str, Any],
    region: str | None = "us-east-1",
    **options: Any,
) -> Signal:
    """The one signal a family's interpreter makes of a detail, built into an event."""
    event = make_event(detail_type, source, detail, region=region, **options)
    [signal] = interpret(event, Context())
    return signal
