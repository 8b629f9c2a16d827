"""Routing: which channels a signal goes to, with whose mention, or nowhere.

Rules are ordered. The first rule that matches decides, unless it says `continue`, in
which case the next matching rule adds its channel too (one alert per channel). A rule
says `drop` to post nothing. Noise rules run first and only drop; the defaults drop
informational Security Hub findings that passed, ECS tasks that reached RUNNING, EC2
instance state changes and successful Auto Scaling activity, and a routes file can
replace them. With no rule matching, a signal goes to the default
channel (SLACK_ALERTS_CHANNEL).

An `inhibit:` list says which open alerts hold the new alerts they explain in their
threads (`InhibitRule`; the rest is bot/inhibition.py).

A mention is built by the bot from the rule (here, channel, a user or a usergroup id),
never taken from event text, so only a route's own mention pings. A rule may also name
the runbook of the alerts it sends (an https link, shown as a button on their root).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from bot.cron import check_cron, check_duration, check_time_zone
from bot.models import EscalationStep, Severity, Signal, SignalState
from bot.rotations import Rotation
from bot.runbook import https_url
from bot.sources import registry

# Short names people write for a family; a full source ("aws.guardduty") works as well.
SOURCE_ALIASES = registry.ALIASES
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")
# A CloudWatch Logs group name: 1 to 512 of letters, digits and _ - / . #
LOG_GROUP = re.compile(r"[A-Za-z0-9_\-/.#]{1,512}")
MAX_LOG_GROUPS = 10  # what one Logs Insights query of an alert's error lines reads
MAX_STEPS = 10  # an escalation ladder's steps
MAX_STEP_AFTER = 7 * 86400
MENTION = re.compile(r"@here|@channel|@everyone|[UW][A-Z0-9]{2,}|S[A-Z0-9]{2,}")

OneOrMany = str | list[str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _many(value: OneOrMany | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class Match(_Strict):
    """What a rule matches; every field given must hold (a list: any of its values)."""

    source: OneOrMany | None = None
    account: OneOrMany | None = None
    region: OneOrMany | None = None
    severity: OneOrMany | None = Field(
        default=None, description="a level: that level or worse; a list: exactly those"
    )
    state: OneOrMany | None = None
    title: str | None = Field(default=None, description="a regular expression, any case")
    fields: dict[str, OneOrMany] = Field(default_factory=dict)
    account_tags: dict[str, OneOrMany] = Field(
        default_factory=dict,
        description="the account's tags in the organisation: every key given must hold",
    )

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: OneOrMany | None) -> OneOrMany | None:
        for item in _many(value):
            if item.lower() not in SOURCE_ALIASES and "." not in item:
                known = ", ".join(sorted(SOURCE_ALIASES))
                raise ValueError(f"unknown source {item!r}: use one of {known}, or aws.<service>")
        return value

    @field_validator("severity")
    @classmethod
    def _known_severity(cls, value: OneOrMany | None) -> OneOrMany | None:
        for item in _many(value):
            if item.upper() not in Severity.__members__:
                raise ValueError(
                    f"unknown severity {item!r}: use critical, high, medium, low or info"
                )
        return value

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: OneOrMany | None) -> OneOrMany | None:
        for item in _many(value):
            if item.lower() not in {s.value for s in SignalState}:
                raise ValueError(f"unknown state {item!r}: use firing, resolved or info")
        return value

    @field_validator("title")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise ValueError(f"title is not a regular expression: {err}") from err
        return value

    def matches(self, signal: Signal) -> bool:
        return all(
            (
                self._source(signal),
                self._any(self.account, signal.account, signal.account_name),
                self._any(self.region, signal.region),
                self._severity(signal),
                self._any(self.state, signal.state.value),
                self.title is None
                or re.search(self.title, signal.title, re.IGNORECASE) is not None,
                self._labelled(self.fields, {f.label: f.value for f in signal.fields}),
                self._labelled(self.account_tags, signal.account_tags),
            )
        )

    def _source(self, signal: Signal) -> bool:
        wanted = _many(self.source)
        return not wanted or any(
            w.lower() in (signal.source.lower(), signal.family)
            or SOURCE_ALIASES.get(w.lower()) == signal.family
            for w in wanted
        )

    @staticmethod
    def _any(value: OneOrMany | None, *actual: str | None) -> bool:
        wanted = [w.casefold() for w in _many(value)]
        return not wanted or any(a is not None and a.casefold() in wanted for a in actual)

    def _severity(self, signal: Signal) -> bool:
        if self.severity is None:
            return True
        if isinstance(self.severity, str):
            return signal.severity.rank >= Severity[self.severity.upper()].rank
        return signal.severity.value in {s.upper() for s in self.severity}

    @staticmethod
    def _labelled(wanted: dict[str, OneOrMany], actual: dict[str, str]) -> bool:
        """Every label (a field's, a tag's key) wanted has one of its values, in any case."""
        have = {label.casefold(): value.casefold() for label, value in actual.items()}
        return all(
            have.get(label.casefold()) in {v.casefold() for v in _many(values)}
            for label, values in wanted.items()
        )


class Rule(_Strict):
    """One routing rule: a match, and a channel (with a mention) or `drop`."""

    name: str | None = None
    match: Match = Field(default_factory=Match)
    channel: str | None = None
    mention: str | None = None
    runbook: str | None = None
    log_groups: list[str] = Field(default_factory=list)
    drop: bool = False
    continue_: bool = Field(default=False, alias="continue")
    oncall: str | None = None  # the name of a rotation of the file's `oncall:`
    escalation: list[EscalationStep] = Field(default_factory=list, max_length=MAX_STEPS)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value is not None and not CHANNEL_ID.fullmatch(value):
            raise ValueError(f"channel {value!r} is not a Slack channel id (C… or G…)")
        return value

    @field_validator("mention")
    @classmethod
    def _mention(cls, value: str | None) -> str | None:
        if value is not None and not MENTION.fullmatch(value):
            raise ValueError(
                f"mention {value!r}: use @here, @channel, a user id (U…) or a usergroup id (S…)"
            )
        return value

    @field_validator("runbook")
    @classmethod
    def _runbook(cls, value: str | None) -> str | None:
        if value is not None and https_url(value) is None:
            raise ValueError(f"runbook {value[:80]!r} is not an https link (https://…)")
        return value

    @field_validator("log_groups")
    @classmethod
    def _log_groups(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_LOG_GROUPS:
            raise ValueError(f"log_groups names {len(value)} groups; a query reads at most 10")
        for group in value:
            if not LOG_GROUP.fullmatch(group):
                raise ValueError(f"log_groups: {group[:80]!r} is not a CloudWatch Logs group name")
        return value

    @field_validator("escalation")
    @classmethod
    def _ladder(cls, value: list[EscalationStep]) -> list[EscalationStep]:
        afters = [step.after for step in value]
        if afters != sorted(set(afters)):
            raise ValueError("each step's `after` must be later than the one before")
        if any(after > MAX_STEP_AFTER for after in afters):
            raise ValueError("a step comes at most 7d after the alert opened")
        return value

    @model_validator(mode="after")
    def _drop_or_deliver(self) -> Rule:
        if self.drop and (
            self.channel
            or self.mention
            or self.runbook
            or self.log_groups
            or self.oncall
            or self.escalation
        ):
            raise ValueError(
                "a rule that drops has no channel, mention, runbook, log_groups, oncall or "
                "escalation"
            )
        if not self.oncall and any(step.notify != "here" for step in self.escalation):
            raise ValueError("escalation: steps that notify oncall or dm need the rule's `oncall:`")
        return self


class NoiseRule(Rule):
    """A rule of the `noise` list: it can only drop."""

    @model_validator(mode="after")
    def _drops(self) -> NoiseRule:
        if not self.drop:
            raise ValueError("a noise rule can only drop (add `drop: true`)")
        return self


DEFAULT_NOISE = (
    NoiseRule(
        name="securityhub-informational-passed",
        match=Match(source="securityhub", severity=["info"], fields={"Compliance": "PASSED"}),
        drop=True,
    ),
    NoiseRule(
        name="ecs-task-running",
        match=Match(source="ecs", fields={"Last status": "RUNNING"}),
        drop=True,
    ),
    NoiseRule(
        name="ec2-state-changes",
        match=Match(source="ec2", state="info"),
        drop=True,
    ),
    # A successful launch still resolves an open failure: recoveries reach open alerts
    # whatever the rules say.
    NoiseRule(
        name="autoscaling-success",
        match=Match(source="autoscaling", state=["info", "resolved"]),
        drop=True,
    ),
)


LABEL = re.compile(r"[^\s=,]{1,100}")


class Equal(_Strict):
    """A label of the parent that must equal a label of the child (their names may
    differ: an ECS service's `Service`, an alarm's `ServiceName` dimension). `prefix`:
    the child's value starts with the parent's and a `-` (an alarm CloudFormation named
    `<stack>-<logical id>-<suffix>`)."""

    parent: str
    child: str
    prefix: bool = False

    @field_validator("parent", "child")
    @classmethod
    def _label(cls, value: str) -> str:
        if not LABEL.fullmatch(value):
            raise ValueError(f"{value[:80]!r} is not a label (account, region, source, a field)")
        return value


class InhibitRule(_Strict):
    """While an alert matching `parent` is open, a new alert matching `child` in the same
    channel, whose `equal` labels are the parent's, is held in the parent's thread
    (bot/inhibition.py)."""

    name: str | None = None
    parent: Match
    child: Match
    equal: list[str | Equal] = Field(default_factory=list)

    @field_validator("equal")
    @classmethod
    def _equal(cls, value: list[str | Equal]) -> list[str | Equal]:
        for item in value:
            if isinstance(item, str) and not LABEL.fullmatch(item):
                raise ValueError(f"{item[:80]!r} is not a label (account, region, source, a field)")
        if sum(isinstance(item, Equal) and item.prefix for item in value) > 1:
            raise ValueError("at most one `equal` item may compare by prefix")
        return value

    def pairs(self) -> list[Equal]:
        """Every `equal` item as a pair of labels."""
        return [Equal(parent=i, child=i) if isinstance(i, str) else i for i in self.equal]


class MaintenanceWindow(_Strict):
    """A recurring maintenance window: from each `cron` time (in `time_zone`) for
    `duration`, what it matches is silenced (bot/maintenance.py)."""

    name: str
    match: Match = Field(default_factory=Match)
    cron: str = Field(description="5-field crontab: when each window starts")
    duration: str = Field(description="how long each window lasts: 45m, 2h, 1d")
    time_zone: str = "UTC"

    _cron = field_validator("cron")(check_cron)
    _duration = field_validator("duration")(check_duration)
    _time_zone = field_validator("time_zone")(check_time_zone)


UNKNOWN_ROTATION = "unknown_rotation"
Problem = tuple[tuple[str | int, ...], str]


def rotation_problems(names: list[str], wanted: list[str | None]) -> list[Problem]:
    """A second rotation of one name, and each rule naming a rotation the file lacks:
    (where, what) pairs. `names` are the rotations' in file order, `wanted` each rule's
    `oncall` (None for none)."""
    seen: set[str] = set()
    problems: list[Problem] = []
    for i, name in enumerate(names):
        if name in seen:
            problems.append((("oncall", i, "name"), f"another rotation is {name!r}"))
        seen.add(name)
    known = ", ".join(sorted(seen)) or "none"
    for i, rotation in enumerate(wanted):
        if rotation is not None and rotation not in seen:
            problems.append(
                (("routes", i, "oncall"), f"no rotation named {rotation!r} (oncall: {known})")
            )
    return problems


def rotation_problems_in(data: Any) -> list[Problem]:
    """`rotation_problems` of a file whose other parts did not validate, read from its
    raw mapping, so that one load lists every problem."""

    def items(key: str) -> list[dict[str, Any]]:
        found = data.get(key) if isinstance(data, dict) else None
        return [i if isinstance(i, dict) else {} for i in found] if isinstance(found, list) else []

    names = [str(r.get("name")) for r in items("oncall") if isinstance(r.get("name"), str)]
    wanted = [
        r.get("oncall") if isinstance(r.get("oncall"), str) else None for r in items("routes")
    ]
    return rotation_problems(names, wanted)


class Routes(_Strict):
    """A routes file: noise rules (the defaults unless given), then routing rules,
    maintenance windows, on-call rotations and inhibit rules."""

    noise: list[NoiseRule] = Field(default_factory=lambda: list(DEFAULT_NOISE))
    routes: list[Rule] = Field(default_factory=list)
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)
    oncall: list[Rotation] = Field(default_factory=list)  # rotations, bot/rotations.py
    inhibit: list[InhibitRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rotations_named(self) -> Routes:
        """Rotation names are unique, and every rule names one of them: an error at the
        name's own place in the file."""
        problems = rotation_problems(
            [r.name for r in self.oncall], [rule.oncall for rule in self.routes]
        )
        if problems:
            raise ValidationError.from_exception_data(
                "Routes",
                [
                    InitErrorDetails(
                        type=PydanticCustomError(UNKNOWN_ROTATION, message),
                        loc=loc,
                        input=None,
                    )
                    for loc, message in problems
                ],
            )
        return self

    def rotation(self, name: str | None) -> Rotation | None:
        return next((r for r in self.oncall if r.name == name), None)


class Route(BaseModel):
    """Where a signal goes: a channel, a mention, and the rule that said so."""

    model_config = ConfigDict(frozen=True)

    channel: str
    mention: str | None = None
    runbook: str | None = None
    log_groups: tuple[str, ...] = ()
    rule: str = "default"
    name: str | None = None  # the rule's own name, when it has one
    oncall: str | None = None
    escalation: tuple[EscalationStep, ...] = ()


class Decision(BaseModel):
    """A signal's routes; empty when dropped (`dropped_by` names the rule)."""

    routes: list[Route] = Field(default_factory=list)
    dropped_by: str | None = None


def _label(rule: Rule, index: int, kind: Literal["noise", "routes"]) -> str:
    return rule.name or f"{kind}[{index}]"


def decide(signal: Signal, routes: Routes, default_channel: str) -> Decision:
    """Where `signal` goes under `routes`, in rule order."""
    for i, noise in enumerate(routes.noise):
        if noise.match.matches(signal):
            return Decision(dropped_by=_label(noise, i, "noise"))
    found: list[Route] = []
    for i, rule in enumerate(routes.routes):
        if not rule.match.matches(signal):
            continue
        if rule.drop:
            return Decision(routes=found, dropped_by=None if found else _label(rule, i, "routes"))
        route = Route(
            channel=rule.channel or default_channel,
            mention=rule.mention,
            runbook=rule.runbook,
            log_groups=tuple(rule.log_groups),
            rule=_label(rule, i, "routes"),
            name=rule.name,
            oncall=rule.oncall,
            escalation=tuple(rule.escalation),
        )
        if all(r.channel != route.channel for r in found):
            found.append(route)
        if not rule.continue_:
            return Decision(routes=found)
    return Decision(routes=found or [Route(channel=default_channel)])


def channels(routes: Routes, default_channel: str) -> list[str]:
    """Every channel the rules can send to, the default first."""
    found = [default_channel]
    for rule in routes.routes:
        if rule.channel and rule.channel not in found:
            found.append(rule.channel)
    return found


def parse_routes(data: Any) -> Routes:
    """Routes from a parsed file (a mapping); pydantic's ValidationError when invalid."""
    if data is None:
        data = {}
    return Routes.model_validate(data)
