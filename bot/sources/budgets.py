"""AWS Budgets alerts. Budgets publishes them to SNS as text only (EventBridge sees nothing
but CloudTrail's API calls), and the bot stores each as an "AWS Budgets Notification"
event whose detail holds the SNS subject and message.

An ACTUAL alert means the money is already spent past the threshold someone chose: it
needs a look, though rarely in the middle of the night (MEDIUM). A FORECASTED alert says
the period may end over the threshold: worth knowing, nothing is spent yet. Every alert of
one budget shares one alert, so that the forecast and the actual overrun read as one story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
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
    scalar,
    words,
)

FAMILY = registry.BUDGETS

NOTIFICATION = "AWS Budgets Notification"


class AlertType(StrEnum):
    """What crossed the threshold: the money spent, or the forecast for the period."""

    ACTUAL = "ACTUAL"
    FORECASTED = "FORECASTED"


# "Budget Name: MyBudget", "Alert Threshold: > $80.00", "ACTUAL Amount: $85.23".
_LINE = re.compile(
    r"^[ \t]*(Budget Name|Budget Type|Budgeted Amount|Alert Type|Alert Threshold"
    r"|(?:ACTUAL|FORECASTED) Amount)[ \t]*:([^\r\n]*)",
    re.IGNORECASE | re.MULTILINE,
)
_SUBJECT = re.compile(r"AWS Budgets:\s*(.+?)\s+has exceeded your alert threshold", re.IGNORECASE)
_ACCOUNT = re.compile(r"AWS Account\s+(\d{12})\b")
# "…alert you when the ACTUAL Cost associated with your X budget…"
_SENTENCE_TYPE = re.compile(r"\bwhen the (ACTUAL|FORECASTED)\b", re.IGNORECASE)
# Real notifications are well under 2 KB; longer texts are read only this far.
_TEXT_LIMIT = 20_000
_SUBJECT_LIMIT = 300


@dataclass(frozen=True)
class _Alert:
    """What one notification says, from its lines, its subject and its sentence."""

    name: str
    budget_type: str
    budgeted: str
    alert_type: AlertType | None
    threshold: str
    amount: str
    account: str
    sentence: str


def interpret(event: Event, ctx: Context) -> list[Signal]:
    """One signal per notification. Other detail-types of the source (CloudTrail API calls)
    are left to the generic view."""
    kind = event.detail_type
    if kind != NOTIFICATION and not (kind is None and dig(event.detail, "message") is not None):
        return []
    return [_signal(event, ctx, read(event.detail))]


def _lines(message: str) -> dict[str, str]:
    """The labelled lines, keyed by their label in lower case; the first of each wins."""
    found: dict[str, str] = {}
    for match in _LINE.finditer(message):
        found.setdefault(" ".join(match.group(1).lower().split()), match.group(2).strip())
    return found


def _alert_type(lines: dict[str, str], message: str) -> AlertType | None:
    """The "Alert Type" line, else the sentence ("when the FORECASTED Cost…"), else the
    amount line's label. Whole words: a type is never read inside a longer word."""
    candidates = [lines.get("alert type", "")]
    sentence = _SENTENCE_TYPE.search(message)
    candidates.append(sentence.group(1) if sentence else "")
    candidates += [kind for kind in AlertType if f"{kind.lower()} amount" in lines]
    for candidate in candidates:
        found = words(candidate)
        for kind in AlertType:
            if kind.value in found:
                return kind
    return None


def _sentence(message: str) -> str:
    """The paragraph that says what happened ("You requested that we alert you…")."""
    paragraphs: list[list[str]] = [[]]
    for line in message.splitlines():
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    for paragraph in paragraphs:
        text = " ".join(" ".join(paragraph).split())
        if "alert you" in text.lower():
            return text
    return ""


def read(detail: Any) -> _Alert:
    """The alert's facts from the SNS subject and message text."""
    message = scalar(dig(detail, "message"))[:_TEXT_LIMIT]
    subject = scalar(dig(detail, "subject"))[:_SUBJECT_LIMIT]
    lines = _lines(message)
    named = _SUBJECT.search(subject)
    account = _ACCOUNT.search(message)
    alert_type = _alert_type(lines, message)
    amount_key = f"{alert_type.lower()} amount" if alert_type else ""
    amount = lines.get(amount_key) or lines.get("actual amount") or lines.get("forecasted amount")
    return _Alert(
        name=lines.get("budget name") or (named.group(1) if named else ""),
        budget_type=lines.get("budget type", ""),
        budgeted=lines.get("budgeted amount", ""),
        alert_type=alert_type,
        threshold=lines.get("alert threshold", ""),
        amount=amount or "",
        account=account.group(1) if account else "",
        sentence=_sentence(message),
    )


def level(alert_type: AlertType | None) -> tuple[Severity, SignalState]:
    """Money spent past the threshold fires; a forecast, or a text that says neither, is
    news."""
    if alert_type is AlertType.ACTUAL:
        return Severity.MEDIUM, SignalState.FIRING
    return Severity.INFO, SignalState.INFO


def _title(alert: _Alert, name: str) -> str:
    """ "Budget MyBudget: ACTUAL $85.23 (threshold > $80.00)"."""
    what = [alert.alert_type.value if alert.alert_type else "alert", headline(alert.amount, 40)]
    threshold = headline(alert.threshold, 40)
    title = f"Budget {name}: " + " ".join(part for part in what if part)
    return title + (f" (threshold {threshold})" if threshold else "")


def _signal(event: Event, ctx: Context, alert: _Alert) -> Signal:
    topic = scalar(dig(event.detail, "topic_arn"))
    account, region = locate(event, topic)
    account = account or alert.account
    name = headline(alert.name, 100) or "unknown"
    severity, state = level(alert.alert_type)
    return make_signal(
        event,
        ctx,
        family=FAMILY,
        title=_title(alert, name),
        severity=severity,
        state=state,
        fingerprint=fingerprint("budgets", account, region, headline(alert.name, 100)),
        fields=fields(
            [
                ("Budget", name),
                ("Budget type", headline(alert.budget_type, 40)),
                ("Budgeted amount", headline(alert.budgeted, 40)),
                ("Alert type", alert.alert_type.value if alert.alert_type else ""),
                ("Alert threshold", headline(alert.threshold, 40)),
                ("Amount", headline(alert.amount, 40)),
            ]
        ),
        description=clip(alert.sentence, 500),
        resource=name,
        console_url=console_url(region, "costmanagement/home", "/budgets"),
        account=account,
        region=region,
    )
