"""Alerts, their Slack messages, silences, storms, and shared delivery state."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from bot.models.base import CountItem, Model
from bot.models.enrichment import Enrichment
from bot.models.escalation import EscalationStep
from bot.models.events import Measure, Signal
from bot.models.scales import AlertStatus, Severity


class MessageRef(Model):
    """Where an alert's root message lives in Slack."""

    channel: str
    ts: str


class HistoryEntry(Model):
    at: int
    action: str
    by: str | None = None
    note: str | None = None


class IncidentRef(Model):
    """The incident channel an alert was declared in (bot/incident_actions.py). `channel`
    is empty while the channel is being made: a second click meanwhile makes no other."""

    channel: str = ""
    name: str = ""
    declared_by: str
    declared_at: int
    closed_at: int | None = None  # archived: its news no longer goes there

    @property
    def live(self) -> bool:
        """The channel exists and is not closed: the alert's news is told there too."""
        return bool(self.channel) and self.closed_at is None


class Told(Model):
    """What an alert's thread has been told, so that the next reply says only what is new."""

    count: int = 1
    flaps: int = 0
    resolved: bool = False
    related: bool = False  # the link to a related alert (Inhibition.parent_link)
    # That further related alerts are counted on its root, not replied (bot/inhibition.py).
    capped: bool = False


class Outbox(Model):
    """An alert's delivery bookkeeping: the Slack work it still owes, when to try again,
    and what Slack was last given. Kept apart from what the alert means, so that a change
    to one is never mistaken for a change to the other."""

    # Slack work outstanding (a post not yet confirmed, or an edit or a reply held back
    # by the coalescing window), due at next_attempt_at.
    pending: bool = False
    # When to try again after Slack failed, or when a claim on the work lapses.
    next_attempt_at: int = 0
    attempts: int = 0
    # A post was being made when this was written: until it is found or confirmed, its
    # outcome is unknown (the process may have died after Slack took it).
    in_flight: bool = False
    # Coalescing: at most one root edit and one thread reply per window.
    dirty: bool = False  # the root shows less than the record knows
    edited_at: int = 0
    replied_at: int = 0
    told: Told = Field(default_factory=Told)
    # What a storm's thread was told of each of its members.
    told_members: dict[str, Told] = Field(default_factory=dict)
    # The latest events applied to it (lifecycle.EVENTS_KEPT): a first check that an event
    # sent again was applied already; the store records every application (was_applied).
    event_ids: list[str] = Field(default_factory=list)


SilenceScope = Literal["alert", "resource", "account_source", "route"]


class Silence(Model):
    """A silence holds until `expires_at`, checked at read time, whatever the alert does.
    `alert_id` is the alert it was made from, whose thread is told when it is about to end
    and when it ends (None for silences made before it was kept)."""

    id: str
    scope: SilenceScope = "alert"
    matcher: str
    created_by: str
    reason: str = ""
    created_at: int
    expires_at: int
    alert_id: str | None = None

    def active(self, now: int) -> bool:
        return self.expires_at > now


class Hold(Model):
    """What keeps an alert quiet, as its message shows it: the silence that lasts longest
    (who made it, what it covers and why), or a maintenance window (`window`, its name)."""

    until: int
    by: str | None = None
    scope: SilenceScope | None = None
    reason: str = ""
    window: str | None = None


class SilenceNote(Model):
    """A line in an alert's thread about a silence: made, ending soon, or ended."""

    silence: Silence
    kind: Literal["made", "ending", "ended"]
    at: int


class Inhibition(Model):
    """How inhibit rules (docs/routing.md, bot/inhibition.py) relate an alert to others."""

    # A parent: how many related alerts were held in its thread while it was open.
    held: int = 0
    # An alert posted before its parent opened: the link to the parent's root.
    parent_link: str | None = None
    # A child held after its parent's first HELD_REPLIES: counted on the parent's root,
    # posted nowhere until released.
    counted_only: bool = False


# The Outbox fields records once held at the top level of the alert.
_FLAT_OUTBOX_KEYS = frozenset(Outbox.model_fields)


class Alert(Model):
    """The life of one alert: one Slack message from first firing to resolution, and
    through any reopening within the reopen window.

    `version` is bumped by every write and compared on write, so that two writers (two
    Lambda instances, two clicks) never silently overwrite each other. `state_version`
    is the version of the last change people act on (status, silence, reopening): a
    click naming an older version is stale, one naming a newer version is not, although
    repeats moved `version` on.
    """

    id: str
    fingerprint: str
    status: AlertStatus = AlertStatus.OPEN
    title: str = ""
    severity: Severity = Severity.INFO
    source: str = ""
    account: str = ""
    silenced_until: int | None = None
    message: MessageRef | None = None
    # When its own root was first posted (None: not yet, or a record from before this was
    # kept): the wait for an acknowledgement starts there when the post came late.
    posted_at: int | None = None
    version: int = 0
    count: int = 1
    first_seen: int
    last_seen: int
    flaps: int = 0
    acked_by: str | None = None
    acked_at: int | None = None
    resolved_at: int | None = None
    # Who resolved it by hand, until its source resolves it too: meanwhile a firing
    # reopens it only if its measure rose above `measure` (bot/lifecycle.py).
    resolved_by: str | None = None
    # How bad and how many its signals last said while it was live: what it had when it
    # was resolved. None when its family does not say.
    measure: Measure | None = None
    parent_id: str | None = None
    history: list[HistoryEntry] = Field(default_factory=list)
    state_version: int = 0
    opened_at: int = 0  # the latest (re)opening; 0 means first_seen
    # Delivery: what to draw and where.
    # A storm is the summary of a channel's alert storm; its members name it as parent_id,
    # and its resolved_at is when the storm ended.
    kind: Literal["alert", "notification", "storm"] = "alert"
    channel: str | None = None
    thread_ts: str | None = None  # a notification under an open alert; a held alert's parent
    signal: Signal | None = None
    # Routing: whom the route that sent it here mentions; reminders sent while unacked.
    mention: str | None = None
    runbook: str | None = None  # the route's runbook link (bot/runbook.py)
    log_groups: list[str] = Field(default_factory=list)  # the route's, for its error lines
    # The name of the routing rule that sent it here (None: the default route, or an
    # unnamed rule): what a silence of scope `route` keys on.
    route: str | None = None
    # What holds it quiet while `silenced_until` is ahead (a silence, a maintenance window).
    hold: Hold | None = None
    reminders: int = 0  # reminders sent, or the steps of its escalation ladder taken
    # The route's on-call rotation and escalation ladder (bot/escalation.py), kept as the
    # route gave them when it was opened, like its mention.
    oncall: str | None = None
    escalation: list[EscalationStep] = Field(default_factory=list)
    # The members a storm summary listed in its own record, before members were found
    # by their parent_id; read for such summaries, never written now. What a storm's
    # thread was told of each member is in its outbox.
    members: list[str] = Field(default_factory=list)
    # The incident channel declared for it, if any (docs/alerts.md#incidents).
    incident: IncidentRef | None = None
    # What was learnt after its first post (changes before it, runbook), drawn on its root.
    enrichment: Enrichment = Field(default_factory=Enrichment)
    # Delivery bookkeeping: what Slack is still owed, and what it was last given.
    outbox: Outbox = Field(default_factory=Outbox)
    # Inhibit rules: the alerts held in its thread, or the link to its parent.
    inhibition: Inhibition = Field(default_factory=Inhibition)

    @property
    def held(self) -> bool:
        """Held in an open parent's thread by an inhibit rule: its `parent_id` names the
        parent, and it is posted as a reply there (`thread_ts`), pinging no one."""
        return self.kind == "alert" and self.parent_id is not None and self.thread_ts is not None

    def with_outbox(self, **changes: object) -> Alert:
        """A copy with `changes` made to its outbox. Copies are not validated, so a name
        that is no Outbox field is refused here rather than kept unseen."""
        unknown = changes.keys() - _FLAT_OUTBOX_KEYS
        if unknown:
            raise TypeError(f"not Outbox fields: {sorted(unknown)}")
        return self.model_copy(update={"outbox": self.outbox.model_copy(update=changes)})

    @model_validator(mode="before")
    @classmethod
    def _outbox_not_flat(cls, data: Any) -> Any:
        """Records written before the outbox held the delivery bookkeeping (`pending`,
        `next_attempt_at`, `attempts`, `in_flight`, `dirty`, `edited_at`, `replied_at`,
        `told`, `told_members`, `event_ids`) carried it at the top level. Read, such a
        record has those keys moved into its outbox (a key the outbox already has wins),
        so that it is delivered and rewritten like a new one until it expires."""
        if not isinstance(data, dict):
            return data
        flat = data.keys() & _FLAT_OUTBOX_KEYS
        if not flat:
            return data
        rest = {key: value for key, value in data.items() if key not in flat}
        outbox = data.get("outbox")
        if isinstance(outbox, Outbox):
            outbox = outbox.model_dump()
        if outbox is None:
            outbox = {}
        if not isinstance(outbox, dict):
            return data  # not a form this knows: let validation say what is wrong
        return {**rest, "outbox": {**{key: data[key] for key in flat}, **outbox}}

    @model_validator(mode="before")
    @classmethod
    def _fields_not_suffixes(cls, data: Any) -> Any:
        """Records written before `kind` and `channel` said what and where carried them in
        the fingerprint: `<fingerprint>#note` for a notification, and
        `<fingerprint>@<channel>` for a record routed to another channel than the default
        one. Read, such a record has its signal's bare fingerprint, as new ones have, so
        that it is found, matched and rewritten like them until it expires."""
        if not isinstance(data, dict) or not isinstance(data.get("fingerprint"), str):
            return data
        fingerprint, channel = data["fingerprint"], data.get("channel")
        if data.get("kind") == "notification":
            fingerprint = fingerprint.removesuffix("#note")
        if data.get("kind", "alert") != "storm" and channel:
            fingerprint = fingerprint.removesuffix(f"@{channel}")
        if fingerprint == data["fingerprint"]:
            return data
        return {**data, "fingerprint": fingerprint}


class StormAlert(Model):
    """One alert of a storm, as its summary lists it."""

    title: str
    severity: Severity
    count: int
    status: AlertStatus


class StormDigest(Model):
    """What a storm summary shows, computed from its members when it is drawn."""

    alerts: int = 0
    events: int = 0
    open: int = 0
    acked: int = 0
    resolved: int = 0
    severity: Severity = Severity.INFO
    by_source: list[CountItem] = Field(default_factory=list)
    by_account: list[CountItem] = Field(default_factory=list)
    top: list[StormAlert] = Field(default_factory=list)
    started_at: int = 0
    last_new_at: int = 0
    ended_at: int | None = None


class State(Model):
    """A small piece of shared delivery state (a rate budget, a channel's storm), changed
    only through conditional writes on `version`, so that every instance agrees on it."""

    key: str
    version: int = 0
    data: dict[str, Any] = Field(default_factory=dict)
