"""Which silences hold an alert: a silence keys on a scope, never on one alert record, so
that it survives resolution and reopening, and covers alerts that do not exist yet.

Scopes (the custom silence modal offers those the alert can name):
- `alert`: the alert's fingerprint, so every future firing of the same thing;
- `resource`: the account and the resource the alert is about, whatever fired on it;
- `account_source`: every alert of one source (say aws.guardduty) in one account;
- `route`: every alert the same named routing rule sends (its name), in any channel.

Maintenance windows (bot/maintenance.py) hold alerts the same way; an alert's `Hold` is
whichever silence or window lasts longest, and its message names it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.maintenance import WindowState, states
from bot.maintenance import holding as windows_holding
from bot.models import Alert, Hold, Signal, Silence, SilenceScope
from bot.ports import SilenceStore
from bot.routing import MaintenanceWindow

SCOPE_WORDS: dict[SilenceScope, str] = {
    "alert": "this alert",
    "resource": "this resource",
    "account_source": "this account and source",
    "route": "its route",
}


def scope_named(word: str) -> SilenceScope | None:
    """The scope a form's answer names; None for any other word."""
    return next((scope for scope in SCOPE_WORDS if scope == word), None)


def matchers(
    fingerprint: str, signal: Signal | None, route: str | None = None
) -> dict[SilenceScope, str]:
    """The matcher each scope would use for an alert; a scope it cannot name is left out
    (`route` is the name of the rule that sends it; None for the default or an unnamed one)."""
    keys: dict[SilenceScope, str] = {"alert": fingerprint}
    if signal is not None:
        if signal.resource:
            keys["resource"] = f"{signal.account}/{signal.resource}"
        if signal.account or signal.source:
            keys["account_source"] = f"{signal.account}/{signal.source}"
    if route:
        keys["route"] = route
    return keys


def alert_matchers(alert: Alert) -> dict[SilenceScope, str]:
    """An alert's matchers: its signal's fingerprint, whichever channel it was routed to."""
    fingerprint = alert.signal.fingerprint if alert.signal else alert.fingerprint
    return matchers(fingerprint, alert.signal, alert.route)


def holding(keys: dict[SilenceScope, str], silences: Iterable[Silence], now: int) -> list[Silence]:
    """The silences in force at `now` that match any of the alert's keys."""
    return [s for s in silences if s.active(now) and keys.get(s.scope) == s.matcher]


def silenced_until(
    keys: dict[SilenceScope, str], silences: Iterable[Silence], now: int
) -> int | None:
    """When the last silence holding the alert ends; None when none holds it."""
    ends = [s.expires_at for s in holding(keys, silences, now)]
    return max(ends) if ends else None


def hold(
    keys: dict[SilenceScope, str],
    silences: Iterable[Silence],
    now: int,
    windows: Iterable[WindowState] = (),
) -> Hold | None:
    """What holds the alert quiet: the silence or window (on, and matching it) that lasts
    longest, a silence on a tie; None when nothing does."""
    held = [
        Hold(until=s.expires_at, by=s.created_by, scope=s.scope, reason=s.reason)
        for s in holding(keys, silences, now)
    ]
    held += [Hold(until=w.until, window=w.name) for w in windows if w.until is not None]
    return max(held, key=lambda h: h.until) if held else None


def hold_of(
    keys: dict[SilenceScope, str],
    signal: Signal | None,
    silences: Iterable[Silence],
    windows: Iterable[MaintenanceWindow],
    now: int,
) -> Hold | None:
    """`hold`, reading which maintenance windows are on for the signal at `now`."""
    return hold(keys, silences, now, windows_holding(windows, signal, now))


@dataclass(frozen=True)
class InForce:
    """What keeps alerts quiet now: the silences in force, soonest to end first, and every
    maintenance window, on or off, with its next start."""

    silences: list[Silence]
    windows: list[WindowState]


def in_force(store: SilenceStore, windows: Iterable[MaintenanceWindow], now: int) -> InForce:
    """The silences in force and the maintenance windows at `now`: what /silences lists
    (and any other view of what is silenced)."""
    return InForce(store.list_silences(now), states(windows, now))
