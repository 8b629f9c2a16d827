"""The fallback family: any event no other family knows, told as readably as we can.

Glue job changes, DMS notifications, plain SNS text and unknown PutEvents sources all land
here. They never demand action (info, LOW), but people still need a title they can read
at a glance, so we pick identifying values (name, id, state) instead of dumping JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.models import Event, Severity, Signal, SignalField, SignalState
from bot.sources import registry
from bot.sources.base import (
    MAX_FIELDS,
    Context,
    dig,
    fields,
    fingerprint,
    first_line,
    headline,
    make_signal,
    scalar,
    scalar_fields,
)

FAMILY = registry.GENERIC
SNS_DETAIL_TYPE = "SNS Notification"


# ---------------------------------------------------------------------------------------------
# Identifying values
# ---------------------------------------------------------------------------------------------


def _is_name(key: str) -> bool:
    return key.lower().endswith("name")


def _is_id(key: str) -> bool:
    lowered = key.lower().replace(" ", "")
    return lowered.endswith("id") or lowered == "identifier"


def _is_state(key: str) -> bool:
    return key.lower().replace(" ", "").endswith(("state", "status"))


def _first_value(obj: Mapping[str, Any], wanted: Any) -> str:
    for key, value in obj.items():
        shown = headline(value, 80)
        if isinstance(key, str) and wanted(key) and shown:
            return shown
    return ""


def identity(obj: Any) -> str:
    """What names the thing an unknown detail is about: its first name-like, else id-like value."""
    if not isinstance(obj, Mapping):
        return ""
    return _first_value(obj, _is_name) or _first_value(obj, _is_id)


def _summary(obj: Any) -> list[str]:
    """The identifying value and the state, in the order people say them ("test_job FAILED")."""
    if not isinstance(obj, Mapping):
        return []
    return [value for value in (identity(obj), _first_value(obj, _is_state)) if value]


def _titled(prefix: str, values: Iterable[str]) -> str:
    values = [v for v in values if v]
    return headline(f"{prefix}: {' '.join(values)}" if values else prefix)


# ---------------------------------------------------------------------------------------------
# Interpretation
# ---------------------------------------------------------------------------------------------


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One info signal: the SNS notification view, or a readable view of any other detail."""
    if event.detail_type == SNS_DETAIL_TYPE or event.source == "aws.sns":
        return [_sns(event, ctx)]
    return [_other(event, ctx)]


def _info(
    event: Event,
    ctx: Context,
    *,
    title: str,
    ident: str,
    shown: list[SignalField],
    desc: str = "",
    resource: str = "",
) -> Signal:
    """An info signal, one alert per source, detail-type, account and identified thing."""
    first_resource = next((r for r in event.resources if isinstance(r, str) and r), "")
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=title,
        severity=Severity.LOW,
        state=SignalState.INFO,
        fingerprint=fingerprint(
            "generic", event.source, event.detail_type, event.account, first_resource or ident
        ),
        fields=shown,
        description=desc,
        resource=resource or first_resource or ident,
    )


def _sns(event: Event, ctx: Context) -> Signal:
    """The bot's SNS shape: {subject, message (text or object), topic_arn, attributes}."""
    detail = event.detail
    message = dig(detail, "message")
    topic = scalar(dig(detail, "topic_arn"))
    topic_name = topic.rsplit(":", 1)[-1]
    title = (
        headline(dig(detail, "subject"))
        or first_line(message)
        or _titled("SNS message", _summary(message))
    )
    if isinstance(message, Mapping):
        shown = scalar_fields(message)
        desc = ""
    else:
        shown = fields([("Topic", topic_name)]) + scalar_fields(dig(detail, "attributes"))
        desc = scalar(message)
    ident = f"{topic_name}/{identity(message) or title}" if topic_name else title
    return _info(
        event, ctx, title=title, ident=ident, shown=shown[:MAX_FIELDS], desc=desc, resource=topic
    )


def _other(event: Event, ctx: Context) -> Signal:
    """Detail-type plus identifying values as the title; the top-level scalars as fields."""
    detail = event.detail
    prefix = headline(event.detail_type) or headline(event.source) or "Event"
    return _info(
        event,
        ctx,
        title=_titled(prefix, _summary(detail)),
        ident=identity(detail),
        shown=scalar_fields(detail),
    )
