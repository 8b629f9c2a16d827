"""Prometheus alerts: Alertmanager's webhook (self-hosted, or Grafana's alerting) and
Amazon Managed Service for Prometheus through SNS, one event per alert.

An alert keeps Alertmanager's fingerprint (the hash of its labels), so that its firing
and its resolution are one alert here too. `firing` fires and `resolved` resolves; the
`severity` label, as people write it, says how bad (Alertmanager itself has no scale).
"""

from __future__ import annotations

from typing import Any

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import registry
from bot.sources.base import (
    Context,
    aws_link,
    clip,
    dig,
    fields,
    fingerprint,
    headline,
    make_signal,
    scalar,
)

FAMILY = registry.PROMETHEUS

# The `severity` label's common spellings (kube-prometheus, Grafana, AMP's examples).
SEVERITY_LABELS: dict[str, Severity] = {
    "critical": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
    "emergency": Severity.CRITICAL,
    "page": Severity.HIGH,
    "high": Severity.HIGH,
    "error": Severity.HIGH,
    "major": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "warn": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "minor": Severity.LOW,
    "low": Severity.LOW,
    "info": Severity.LOW,
    "informational": Severity.LOW,
    "none": Severity.LOW,
}
UNLABELLED = Severity.MEDIUM  # an alert without a severity label still asks for a look
FIRING = "firing"
RESOLVED = "resolved"

_SHOWN_LABELS = 6
_SKIPPED_LABELS = frozenset({"alertname", "severity"})


def _severity(labels: Any) -> Severity:
    label = scalar(dig(labels, "severity")).strip().lower()
    return SEVERITY_LABELS.get(label, UNLABELLED)


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per alert: firing at its label's severity, or resolved."""
    detail = event.detail
    labels = dig(detail, "labels", default={})
    annotations = dig(detail, "annotations", default={})
    status = scalar(dig(detail, "status")).lower()
    name = headline(dig(labels, "alertname"), 100) or "Prometheus alert"
    summary = headline(dig(annotations, "summary") or dig(annotations, "message"))
    if status == RESOLVED:
        severity, state = Severity.INFO, SignalState.RESOLVED
    elif status == FIRING:
        severity, state = _severity(labels), SignalState.FIRING
    else:
        severity, state = Severity.INFO, SignalState.INFO
    shown_labels = [
        (str(key), clip(scalar(value), 200))
        for key, value in (labels.items() if isinstance(labels, dict) else [])
        if key not in _SKIPPED_LABELS
    ][:_SHOWN_LABELS]
    return [
        make_signal(
            event,
            ctx,
            family=FAMILY,
            title=f"{name}: {summary}" if summary else name,
            severity=severity,
            state=state,
            fingerprint=fingerprint("prometheus", dig(detail, "fingerprint") or name),
            fields=fields(
                [
                    ("Status", status),
                    ("Severity label", dig(labels, "severity")),
                    *shown_labels,
                    ("Receiver", dig(detail, "receiver")),
                ]
            ),
            description=clip(scalar(dig(annotations, "description")), 1000),
            resource=name,
            console_url=aws_link(dig(detail, "generatorURL")),
        )
    ]
