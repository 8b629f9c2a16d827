"""Inhibition: while a parent alert is open (an AWS Health issue, a stack rolled back, an
ECS deployment that failed), the new alerts it explains (its children) are held in its
thread instead of posted at the top level, and ping no one. The rules are the routes
file's `inhibit:` list (`bot.routing.InhibitRule`, docs/routing.md).

A rule's `equal` items compare *labels*: `account`, `region`, `source` (the family),
`title`, `resource`, every field of the signal by its label (`Service`, `Stack`,
`Cluster`…), and each dimension of an alarm's metric (`ServiceName`, `InstanceId`…).

Finding an open parent costs an event nothing when no rule's child matches it, and one
read (or a few) when one does, however many alerts are open. A parent, when it opens,
writes its id into a small `State` record whose key is its rule, its channel and the
values of its `equal` labels (`parent_keys`); a child computes the same key from its own
labels (`child_keys`) and reads that one record, then the parent it names, to see that
it is still open. A label compared by prefix costs one read per `-` in the child's
value, at most PREFIX_CUTS. A key of our own was chosen over the store's indexes: they
key alerts by fingerprint, status or storm, none of which a child can compute from its
labels, and a new index would change the schema of three stores for a rare lookup.
The only writes are a parent's opening and resolving; an event that matches no rule's
parent or child costs no read and no write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from bot.models import Alert, AlertStatus, Signal, State
from bot.routing import Equal, InhibitRule, Routes

PARENTS_KEPT = 5  # open parents remembered under one key, newest last
PREFIX_CUTS = 8  # prefixes of a child's value looked up, at its first `-`s
# Children a parent's thread gets a reply for; later ones are only counted on its root,
# so that a wide outage does not bury the thread (and the channel's budget) in replies.
HELD_REPLIES = 20


def rules(routes: Routes) -> Iterator[tuple[str, InhibitRule]]:
    """The inhibit rules, each with its name (or its place in the list)."""
    for i, rule in enumerate(routes.inhibit):
        yield rule.name or f"inhibit[{i}]", rule


def labels(signal: Signal) -> dict[str, str]:
    """A signal's labels, by name in any case: its fields, its alarm's dimensions, and
    `account`, `region`, `source`, `title` and `resource`."""
    found = {field.label.casefold(): field.value for field in signal.fields}
    for part in found.get("dimensions", "").split(","):
        name, equals, value = part.strip().partition("=")
        if equals and name:
            found.setdefault(name.casefold(), value.strip())
    found.update(
        account=signal.account,
        region=signal.region or "",
        source=signal.family,
        title=signal.title,
        resource=signal.resource,
    )
    return {name: value for name, value in found.items() if value}


def _key(rule_id: str, channel: str, values: list[str]) -> str:
    parts = "\0".join([rule_id, channel, *(v.casefold() for v in values)])
    return f"inhibit:{hashlib.sha256(parts.encode()).hexdigest()[:32]}"


def parent_keys(routes: Routes, signal: Signal, channel: str) -> list[str]:
    """The keys under which an alert of `signal` in `channel` is an open parent: one for
    each rule whose parent it matches and whose labels it has."""
    have = labels(signal)
    keys = []
    for rule_id, rule in rules(routes):
        if not rule.parent.matches(signal):
            continue
        values = [have.get(pair.parent.casefold()) for pair in rule.pairs()]
        if all(values):
            keys.append(_key(rule_id, channel, [v for v in values if v]))
    return keys


def _candidates(pair: Equal, value: str) -> list[str]:
    """The parent values a child's value can equal: itself, or its prefixes before a `-`."""
    if not pair.prefix:
        return [value]
    return [value[:i] for i, char in enumerate(value) if char == "-" and i][:PREFIX_CUTS]


def child_keys(rule_id: str, rule: InhibitRule, signal: Signal, channel: str) -> list[str]:
    """The keys an open parent of `signal` under this rule would be kept under (none when
    the rule's child does not match it, or it lacks a label)."""
    if not rule.child.matches(signal):
        return []
    have = labels(signal)
    fixed: list[str] = []
    varied: tuple[int, list[str]] | None = None  # the one prefix item: where, and what
    for pair in rule.pairs():
        value = have.get(pair.child.casefold())
        if not value:
            return []
        if pair.prefix:
            varied = (len(fixed), _candidates(pair, value))
        else:
            fixed.append(value)
    if varied is None:
        return [_key(rule_id, channel, fixed)]
    at, options = varied
    return [_key(rule_id, channel, [*fixed[:at], option, *fixed[at:]]) for option in options]


def related(rule: InhibitRule, parent: Signal, child: Signal) -> bool:
    """Whether `child` is a child of `parent` under this rule: both match their side, and
    every `equal` pair holds."""
    if not (rule.parent.matches(parent) and rule.child.matches(child)):
        return False
    ours, theirs = labels(parent), labels(child)
    for pair in rule.pairs():
        want, have = ours.get(pair.parent.casefold()), theirs.get(pair.child.casefold())
        if not want or not have:
            return False
        if want.casefold() not in (c.casefold() for c in _candidates(pair, have)):
            return False
    return True


def parents(state: State | None) -> list[str]:
    """The open parents kept under a key, newest last (some may have resolved since)."""
    found = state.data.get("parents", []) if state is not None else []
    return [str(p) for p in found] if isinstance(found, list) else []


def with_parent(state: State, parent_id: str) -> tuple[State, None]:
    """The key's state with this parent open (the newest PARENTS_KEPT kept)."""
    kept = parents(state)
    if parent_id in kept:
        return state, None
    data = {**state.data, "parents": [*kept, parent_id][-PARENTS_KEPT:]}
    return state.model_copy(update={"data": data}), None


def without_parent(state: State, parent_id: str) -> tuple[State, None]:
    """The key's state once this parent resolved."""
    kept = parents(state)
    if parent_id not in kept:
        return state, None
    data = {**state.data, "parents": [p for p in kept if p != parent_id]}
    return state.model_copy(update={"data": data}), None


def holds(parent: Alert, signal: Signal) -> bool:
    """Whether an alert found under a child's key holds it now: an open, posted alert of
    another fingerprint, not itself held."""
    return (
        parent.kind == "alert"
        and parent.status is not AlertStatus.RESOLVED
        and parent.message is not None
        and not parent.held
        and parent.fingerprint != signal.fingerprint
    )


def replies_to(parent: Alert) -> bool:
    """Whether a child held now gets a reply in the parent's thread (its first
    HELD_REPLIES do), or is only counted on its root."""
    return parent.inhibition.held < HELD_REPLIES


def capped(parent: Alert) -> bool:
    """Whether the parent holds more children than its thread was given replies for."""
    return parent.kind == "alert" and parent.inhibition.held > HELD_REPLIES


def held_in(alert: Alert, parent: Alert) -> Alert:
    """An alert not yet posted, held by an open, posted parent: a reply in its thread,
    or, past the parent's first HELD_REPLIES, only counted on its root. One posted or
    placed meanwhile (by another writer) is left where it is."""
    assert parent.message is not None
    if alert.message is not None or alert.parent_id is not None:
        return alert
    counted_only = alert.inhibition.model_copy(update={"counted_only": not replies_to(parent)})
    update = {"parent_id": parent.id, "thread_ts": parent.message.ts, "inhibition": counted_only}
    return alert.model_copy(update=update)


def counted(parent: Alert) -> Alert:
    """One more related alert held in the parent's thread: its root shows the count."""
    inhibition = parent.inhibition.model_copy(update={"held": parent.inhibition.held + 1})
    return parent.model_copy(update={"inhibition": inhibition}).with_outbox(dirty=True)


def linked(alert: Alert, url: str) -> Alert:
    """An alert posted before its parent: its thread is told the parent's root."""
    if alert.inhibition.parent_link == url:
        return alert
    inhibition = alert.inhibition.model_copy(update={"parent_link": url})
    return alert.model_copy(update={"inhibition": inhibition})


def roles(routes: Routes, signal: Signal) -> list[str]:
    """What the inhibit rules make of a signal, as `routes check` tells it: a parent
    (holding the alerts that share its labels), a child (held while such a parent is
    open), or both; a label it lacks is named missing."""
    have = labels(signal)

    def shown(names: list[str]) -> str:
        return ", ".join(f"{n}={have.get(n.casefold(), '(missing)')}" for n in names) or "any"

    found = []
    for rule_id, rule in rules(routes):
        parents, children = [p.parent for p in rule.pairs()], [p.child for p in rule.pairs()]
        if rule.parent.matches(signal):
            found.append(f"parent under inhibit rule {rule_id}: holds alerts with {shown(parents)}")
        if rule.child.matches(signal):
            found.append(
                f"held under inhibit rule {rule_id} while a parent with {shown(children)} is open"
            )
    return found
