"""AWS Health: service issues fire; scheduled changes and notices are news; closed resolves.

Health events name a service and an event type code ("EC2",
"AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED"); the title turns them into words.
Categories come in AWS's camelCase, in other cases from PutEvents tests, and sometimes as
made-up values, which are tolerated as plain notices.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from bot.models import (
    Event,
    Severity,
    Signal,
    SignalField,
    SignalState,
)
from bot.regions import partition
from bot.sources import registry
from bot.sources.base import (
    Context,
    dig,
    fields,
    fingerprint,
    headline,
    humanize,
    make_signal,
    scalar,
)
from bot.sources.console import quote


class HealthEventCategory(StrEnum):
    ISSUE = "issue"
    ACCOUNT_NOTIFICATION = "accountnotification"
    SCHEDULED_CHANGE = "scheduledchange"
    INVESTIGATION = "investigation"

    @classmethod
    def parse(cls, value: str | None) -> HealthEventCategory | None:
        """AWS writes camelCase ("scheduledChange"); unknown categories give None."""
        try:
            return cls((value or "").lower())
        except ValueError:
            return None


class HealthEventStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    UPCOMING = "upcoming"


FAMILY = registry.HEALTH

_CATEGORIES: dict[HealthEventCategory, tuple[Severity, SignalState]] = {
    HealthEventCategory.ISSUE: (Severity.HIGH, SignalState.FIRING),
    # AWS is looking into a possible issue: it may become one, and it closes like one.
    HealthEventCategory.INVESTIGATION: (Severity.MEDIUM, SignalState.FIRING),
    HealthEventCategory.SCHEDULED_CHANGE: (Severity.MEDIUM, SignalState.INFO),
    HealthEventCategory.ACCOUNT_NOTIFICATION: (Severity.LOW, SignalState.INFO),
}
_UNKNOWN_CATEGORY = (Severity.LOW, SignalState.INFO)

_HEALTH_HOSTS = {
    "aws": "health.aws.amazon.com",
    "aws-us-gov": "health.amazonaws-us-gov.com",
    "aws-cn": "health.amazonaws.cn",
}
_MAX_ENTITIES = 10


def _outcome(detail: Mapping[str, Any]) -> tuple[Severity, SignalState]:
    if scalar(dig(detail, "statusCode")).lower() == HealthEventStatus.CLOSED:
        return Severity.INFO, SignalState.RESOLVED
    category = HealthEventCategory.parse(scalar(dig(detail, "eventTypeCategory")))
    return _CATEGORIES.get(category, _UNKNOWN_CATEGORY) if category else _UNKNOWN_CATEGORY


def _service(detail: Mapping[str, Any]) -> str:
    """ "EC2" from "EC2" or the test events' "AWS_EC2"."""
    service = headline(dig(detail, "service"), 60)
    return service.removeprefix("AWS_") or service


def _title(detail: Mapping[str, Any]) -> str:
    """ "EC2: Instance store drive performance degraded" from the service and type code."""
    service = _service(detail)
    code = headline(dig(detail, "eventTypeCode")).removeprefix("AWS_")
    if service and code.upper().startswith(f"{service.upper()}_"):
        code = code[len(service) + 1 :]
    what = humanize(code) if code else ""
    if service and what:
        return f"{service}: {what}"
    return what or (f"{service} health event" if service else "AWS Health event")


def _entities(detail: Mapping[str, Any]) -> list[str]:
    entities = dig(detail, "affectedEntities", default=[])
    if not isinstance(entities, list):
        return []
    values = (scalar(dig(entity, "entityValue")) for entity in entities)
    return [value for value in values if value]


def _entity_list(values: list[str]) -> str:
    shown = ", ".join(values[:_MAX_ENTITIES])
    hidden = len(values) - _MAX_ENTITIES
    return f"{shown} (+{hidden} more)" if hidden > 0 else shown


def _fields(detail: Mapping[str, Any]) -> list[SignalField]:
    return fields(
        [
            ("Service", scalar(dig(detail, "service"))),
            ("Event type", scalar(dig(detail, "eventTypeCode"))),
            ("Category", scalar(dig(detail, "eventTypeCategory"))),
            ("Status", scalar(dig(detail, "statusCode"))),
            ("Start", scalar(dig(detail, "startTime"))),
            ("End", scalar(dig(detail, "endTime"))),
            ("Region", scalar(dig(detail, "eventRegion"))),
            ("Affected entities", _entity_list(_entities(detail))),
        ]
    )


def _description(detail: Mapping[str, Any]) -> str:
    return scalar(dig(detail, "eventDescription", 0, "latestDescription"))


def console_link(event_arn: str, region: str | None) -> str:
    """The Health dashboard of the event's partition, opened on the event when it has an ARN."""
    arn_partition = event_arn.split(":")[1] if event_arn.startswith("arn:") else ""
    host = _HEALTH_HOSTS.get(arn_partition) or _HEALTH_HOSTS[partition(region)]
    if not event_arn:
        return f"https://{host}/health/home#/account/dashboard/open-issues"
    return f"https://{host}/health/home#/account/event-log?eventID={quote(event_arn, safe=':/')}"


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per Health event (also for Abuse events, which share the shape)."""
    detail = event.detail
    arn = scalar(dig(detail, "eventArn"))
    region = scalar(dig(detail, "eventRegion")) or event.region
    account = event.account or scalar(dig(detail, "affectedAccount"))
    severity, state = _outcome(detail)
    entities = _entities(detail)
    return [
        make_signal(
            event,
            ctx,
            family=FAMILY,
            title=_title(detail),
            severity=severity,
            state=state,
            fingerprint=fingerprint("health", account, arn or event.id),
            fields=_fields(detail),
            description=_description(detail),
            resource=entities[0] if entities else arn,
            console_url=console_link(arn, region),
            account=account,
            region=region,
        )
    ]
