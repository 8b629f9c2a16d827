"""Which silences hold an alert: a silence keys on a scope, never on one alert record, so
that it survives resolution and reopening, and covers alerts that do not exist yet.

Scopes (the custom silence modal offers all three):
- `alert`: the alert's fingerprint, so every future firing of the same thing;
- `resource`: the account and the resource the alert is about, whatever fired on it;
- `account_source`: every alert of one source (say aws.guardduty) in one account.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.models import Alert, Signal, Silence, SilenceScope

SCOPE_WORDS: dict[SilenceScope, str] = {
    "alert": "this alert",
    "resource": "this resource",
    "account_source": "this account and source",
}


def scope_named(word: str) -> SilenceScope | None:
    """The scope a form's answer names; None for any other word."""
    return next((scope for scope in SCOPE_WORDS if scope == word), None)


def matchers(fingerprint: str, signal: Signal | None) -> dict[SilenceScope, str]:
    """The matcher each scope would use for an alert; a scope it cannot name is left out."""
    keys: dict[SilenceScope, str] = {"alert": fingerprint}
    if signal is None:
        return keys
    if signal.resource:
        keys["resource"] = f"{signal.account}/{signal.resource}"
    if signal.account or signal.source:
        keys["account_source"] = f"{signal.account}/{signal.source}"
    return keys


def alert_matchers(alert: Alert) -> dict[SilenceScope, str]:
    """An alert's matchers: its signal's fingerprint, whichever channel it was routed to."""
    fingerprint = alert.signal.fingerprint if alert.signal else alert.fingerprint
    return matchers(fingerprint, alert.signal)


def holding(keys: dict[SilenceScope, str], silences: Iterable[Silence], now: int) -> list[Silence]:
    """The silences in force at `now` that match any of the alert's keys."""
    return [s for s in silences if s.active(now) and keys.get(s.scope) == s.matcher]


def silenced_until(
    keys: dict[SilenceScope, str], silences: Iterable[Silence], now: int
) -> int | None:
    """When the last silence holding the alert ends; None when none holds it."""
    ends = [s.expires_at for s in holding(keys, silences, now)]
    return max(ends) if ends else None
