"""The ports: what the core needs from the outside world, as Protocols.

Adapters implement them; use cases take them as arguments. Nothing here knows about
SQLite, DynamoDB or Slack.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from bot.event_tally import EventTally
from bot.models import (
    AccountInfo,
    Agent,
    AgentQueryResult,
    Alert,
    AlertStatus,
    Event,
    EventQueryResult,
    ListEventsDTO,
    LogFindings,
    MessageRef,
    Notify,
    PaginatedInputDTO,
    Signal,
    Silence,
    SilenceNote,
    State,
    StormDigest,
    UpdateAgentDTO,
)

if TYPE_CHECKING:
    from bot.models import DailyReport, ReportPart
    from bot.models.home import Home


class Clock(Protocol):
    """Injected time, so that windows, expiry and schedules are tested without sleeping."""

    def now(self) -> float:
        """Seconds since the epoch, UTC."""
        ...


class EventStore(Protocol):
    """Events keyed on their id: a second create of one id is a no-op."""

    def create(self, event: Event) -> bool:
        """Store the event durably. True if it was new, False if its id was already stored."""
        ...

    def create_many(self, events: list[Event]) -> list[bool]:
        """`create` for a batch, as one unit of work where the store allows: one flag each."""
        ...

    def together(self) -> AbstractContextManager[None]:
        """Where the store allows (SQLite), one transaction for what this thread writes
        inside, to this store and to those opened with it: a body's events and the alert
        records they open are committed once, all or none. Elsewhere (DynamoDB) each
        write commits on its own, as outside."""
        ...

    def get(self, event_id: str, now: int) -> Event:
        """The event with this id; NotFoundError if absent or expired at `now`."""
        ...

    def list(self, dto: ListEventsDTO, now: int) -> EventQueryResult:
        """A page of unexpired events by `published_at`, in `dto.direction` order.

        Raises InvalidCursorError for a cursor this store did not issue.
        """
        ...

    def scan(self, start: int, end: int, now: int) -> Iterator[Event]:
        """Every unexpired event published in [start, end], oldest first, read a page at a
        time: a whole day for the daily report, in constant memory."""
        ...

    def tally(self, start: int, end: int, now: int) -> EventTally:
        """The unexpired events published in [start, end], counted in groups of alike
        events (bot/event_tally.py): aggregated by the store, not read one by one, for the
        daily report. Events stored without fingerprints come whole, among the groups."""
        ...

    def delete(self, event_id: str) -> None:
        """Remove the event; NotFoundError if absent."""
        ...

    def list_changes(
        self, account: str, region: str | None, start: int, end: int, limit: int
    ) -> builtins.list[Event]:  # `list` here is the method above
        """Up to `limit` change events (bot/changes.py: those with a `change_scope`) of this
        account and region published in [start, end], newest first: (published_at, id)
        descending. Read by an index of the changes alone, so that its cost does not grow
        with the other events of the range; expiry is the caller's to check."""
        ...


class AgentStore(Protocol):
    """The agent registry, keyed by account id."""

    def get(self, agent_id: str) -> Agent: ...

    def list(self, dto: PaginatedInputDTO) -> AgentQueryResult: ...

    def create(self, agent: Agent) -> None:
        """ConflictError if an agent with this id exists."""
        ...

    def update(self, agent_id: str, dto: UpdateAgentDTO) -> Agent:
        """Apply the fields set in `dto`; NotFoundError if absent. Returns the new agent."""
        ...

    def delete(self, agent_id: str) -> None: ...

    def exists(self, agent_id: str) -> bool: ...


class AlertStore(Protocol):
    """Alert records: one per open incident of a fingerprint, and the notifications,
    storm summaries and pending Slack work they carry."""

    def create_alert(self, alert: Alert, applied: str | None = None) -> None:
        """ConflictError if the id exists.

        With `applied` (an event id, or a signal's occurrence), the record that it was
        applied to this alert is written with the alert, atomically: see `was_applied`.
        """
        ...

    def get_alert(self, alert_id: str) -> Alert: ...

    def find_alert(self, fingerprint: str, channel: str) -> Alert | None:
        """The most recent record of kind "alert" of this fingerprint in this channel,
        whatever its status.

        Most recent is the greatest first_seen; ties go to the greatest id.
        """
        ...

    def update_alert(self, alert: Alert, applied: str | None = None) -> Alert:
        """Write `alert` if the stored version still equals `alert.version`.

        Returns the alert as written, with its version incremented. StaleVersionError if
        another writer got there first; NotFoundError if the alert is gone. With
        `applied`, the record of its application is written in the same atomic write,
        and AlreadyAppliedError (nothing written) says it was applied before.
        """
        ...

    def was_applied(self, alert_id: str, key: str) -> bool:
        """Whether `key` was passed as `applied` to a write of this alert that succeeded.

        Every application is remembered for as long as its alert is, however many came
        after it, so that an event sent again is never counted twice.
        """
        ...

    def list_alerts(self, status: AlertStatus | None = None, limit: int = 100) -> list[Alert]:
        """Alerts, most recently seen first: (last_seen, id) descending."""
        ...

    def alerts_seen_since(self, since: int, status: AlertStatus | None = None) -> Iterator[Alert]:
        """Every alert (of `status`, if given) last seen at or after `since`, in no set
        order, read a page at a time: the alerts a daily report counts."""
        ...

    def list_pending(self, now: int, limit: int = 100) -> list[Alert]:
        """Records whose outbox is pending with next_attempt_at <= now, soonest due first
        (ties by id).

        The due Slack work `flush` does (posts to retry, edits and replies held back by
        the coalescing window): an index on the pending records, not a filter over
        recent ones, so that an old pending record is never crowded out.
        """
        ...

    def list_members(self, storm_id: str, limit: int) -> list[Alert]:
        """Up to `limit` records whose `parent_id` is `storm_id`, by id: a storm's
        members, read by an index, so that joining a storm never rewrites its summary."""
        ...


class SilenceStore(Protocol):
    """Silences, keyed on their ids: what holds an alert back from pinging people."""

    def create_silence(self, silence: Silence) -> None: ...

    def get_silence(self, silence_id: str) -> Silence:
        """The silence with this id, expired or not (callers check `active`)."""
        ...

    def list_silences(self, now: int) -> list[Silence]:
        """Silences still in force at `now`, soonest to expire first."""
        ...

    def delete_silence(self, silence_id: str) -> None: ...


class StateStore(Protocol):
    """Small versioned records under a key, written conditionally: rate budgets, a
    channel's storm, a daily report's progress, leases."""

    def get_state(self, key: str) -> State | None:
        """The delivery state stored under `key` (a rate budget, a channel's storm), or
        None if none was ever written."""
        ...

    def put_state(self, state: State) -> State:
        """Write `state` if the stored version still equals `state.version` (0: nothing
        stored under its key yet).

        Returns the state as written, with its version incremented. StaleVersionError if
        another writer got there first (including a create that lost to another create).
        """
        ...


class WriteProbe(Protocol):
    """A store that can show it still takes writes: a read alone answers while the disk
    is full or the database is locked, so /healthz asks for this too."""

    def probe_write(self, now: float) -> None:
        """Exercise the write path at `now` (a heartbeat row, or a conditional write that
        never applies) and return; raise the store's error when a write would fail."""
        ...


class DeliveryStore(AlertStore, SilenceStore, StateStore, WriteProbe, Protocol):
    """The three together, as alert delivery uses them: it reads silences and paces posts
    with budgets while it writes alert records (one adapter serves all three), and the
    write probe of their backend."""


class Nudges(Protocol):
    """Tells whoever sends a channel's Slack work that some is due (on AWS, the notify
    function, through its queue); the work itself stays in the store."""

    delay_s: int  # how long a nudge takes to arrive: work due by then is nudged for now

    def nudge(self, channel: str, now: float) -> bool:
        """True if the nudge was taken; False (logged) if not: the work waits for the
        next flush instead."""
        ...


class Chat(Protocol):
    """Where alerts are shown: Slack, or the console when no token is set.

    Every message carries `message_id` (an alert's id) in its metadata, so that a post
    whose outcome is unknown can be found before it is sent again. Errors are
    ChatUnavailableError (try again later) or ChatRejectedError (never will work).
    """

    def check_auth(self) -> None:
        """Raise a ChatError when the token does not work (Slack's auth.test), so that
        /healthz tells a revoked or mistyped token from a healthy bot."""
        ...

    def post_alert(
        self,
        channel: str,
        signal: Signal,
        alert: Alert | None,
        *,
        message_id: str,
        controls: bool,
        thread_ts: str | None = None,
    ) -> MessageRef:
        """Post the view of a signal (with Acknowledge/Silence when `controls`)."""
        ...

    def update_alert(self, ref: MessageRef, signal: Signal, alert: Alert) -> None:
        """Redraw a posted alert in place (chat.update)."""
        ...

    def post_storm(
        self, channel: str, storm: Alert, digest: StormDigest, *, message_id: str
    ) -> MessageRef:
        """Post a storm's summary (with Acknowledge, for all its alerts)."""
        ...

    def update_storm(self, ref: MessageRef, storm: Alert, digest: StormDigest) -> None:
        """Redraw a storm's summary in place."""
        ...

    def post_reminder(self, ref: MessageRef, alert: Alert, waited: int) -> MessageRef:
        """A reply in the alert's thread: unacknowledged for `waited` seconds, with the
        mention of the route that sent it there."""
        ...

    def post_silence_note(self, ref: MessageRef, note: SilenceNote) -> MessageRef:
        """A reply in the alert's thread about a silence (made, ending soon, ended): who
        made it, as a mention, and why."""
        ...

    def post_escalation(
        self, ref: MessageRef, alert: Alert, notify: Notify, users: Sequence[str], waited: int
    ) -> MessageRef:
        """A step of the alert's escalation ladder, a reply in its thread after `waited`
        seconds unacknowledged: `users` mentioned (oncall), said to be DMed (dm), or @here."""
        ...

    def post_direct(
        self, user: str, ref: MessageRef, alert: Alert, waited: int, *, message_id: str, since: int
    ) -> MessageRef:
        """A direct message to `user` about the alert of `ref`, with a link to it, carrying
        `message_id` (Slack: conversations.open, then chat.postMessage in that
        conversation). One carrying it there since `since` (epoch seconds), a DM whose
        answer was lost, is returned instead of sending another."""
        ...

    def usergroup_members(self, group: str) -> frozenset[str]:
        """The user ids of a usergroup (Slack: usergroups.users.list), kept a few minutes."""
        ...

    def post_report(self, channel: str, report: DailyReport, *, message_id: str) -> MessageRef:
        """Post a daily report's summary, the parent of its thread."""
        ...

    def post_report_part(self, ref: MessageRef, part: ReportPart, *, message_id: str) -> MessageRef:
        """Post one of a daily report's details as a reply in its thread."""
        ...

    def post_text(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        message_id: str | None = None,
    ) -> MessageRef:
        """A plain mrkdwn message, e.g. a thread reply saying who did what; `message_id`,
        when given, lets find_alert_message find it (a reply retried after a lost answer)."""
        ...

    def post_ephemeral(self, channel: str, user: str, text: str) -> None:
        """A note only `user` sees ("not allowed", "stale")."""
        ...

    def permalink(self, ref: MessageRef) -> str:
        """A link to the message (chat.getPermalink), for a line naming it elsewhere."""
        ...

    def find_alert_message(
        self, channel: str, message_id: str, oldest: int, thread_ts: str | None = None
    ) -> MessageRef | None:
        """The message posted since `oldest` (epoch seconds) that carries `message_id`;
        with `thread_ts`, among that thread's replies."""
        ...

    def post_log_findings(
        self, ref: MessageRef, findings: LogFindings, *, message_id: str
    ) -> MessageRef:
        """Reply in the thread of `ref` with the error lines an alert's log query found."""
        ...

    def upload_file(
        self, ref: MessageRef, filename: str, content: bytes, *, title: str, alt_text: str
    ) -> None:
        """Share a file (an alert's graph) in the thread of `ref`: Slack's external upload
        flow (files.getUploadURLExternal, the upload, files.completeUploadExternal).
        An empty `ref.ts` shares it in the channel itself. AccessDeniedError when the app
        lacks files:write."""
        ...

    # Incident channels (bot/incident_actions.py).

    def create_channel(self, name: str) -> str:
        """Make a public channel named `name`, with the bot in it; its id. NameTakenError
        when a channel (archived or not) has that name."""
        ...

    def invite(self, channel: str, users: list[str]) -> None:
        """Invite `users` to `channel`; those already in it, or unknown, are passed over."""
        ...

    def pin(self, ref: MessageRef) -> None:
        """Pin a message in its channel (once: pinned already is done)."""
        ...

    def archive(self, channel: str) -> None:
        """Archive a channel (archived already is done)."""
        ...

    def publish_home(self, home: Home) -> None:
        """Publish `home` as its person's Home tab (views.publish), in place of the last."""
        ...


class AgentTasks(Protocol):
    """The agents' ECS tasks (AGENT_ECS_CLUSTER, AGENT_ECS_FAMILY), for the health check."""

    def states(self) -> dict[str, str]:
        """Agent id → its task's state: RUNNING, another lastStatus, or UNHEALTHY (a
        running task whose health check fails). An agent with no task is absent."""
        ...


class LogQuery(Protocol):
    """CloudWatch Logs Insights, for the hourly error sweep and an alert's log lines."""

    def query(
        self,
        log_groups: list[str],
        query: str,
        start: int,
        end: int,
        *,
        max_bytes: int | None = None,
        timeout_s: float | None = None,
        account: str | None = None,
        region: str | None = None,
    ) -> list[dict[str, str]]:
        """The rows (field → value) of one finished query over `log_groups` between `start`
        and `end` (epoch seconds, inclusive), in `account` and `region` (None: the bot's
        own). RequestTimeoutError when it does not finish in time (`timeout_s`, else the
        adapter's own), and also when its `bytesScanned` passes `max_bytes`: the query is
        then stopped (StopQuery). AccessDeniedError when Logs Insights may not be queried."""
        ...


class LogSources(Protocol):
    """Where an alarm's log lines are: the log groups behind its metric."""

    def metric_filter_groups(
        self, namespace: str, metric_name: str, region: str | None, *, account: str | None = None
    ) -> list[str]:
        """The log groups whose metric filters publish this metric (DescribeMetricFilters)."""
        ...

    def ecs_service_groups(
        self, cluster: str, service: str, region: str | None, *, account: str | None = None
    ) -> list[str]:
        """The awslogs groups of an ECS service's task definition (DescribeServices, then
        DescribeTaskDefinition's log configurations)."""
        ...


class MetricGraphs(Protocol):
    """CloudWatch's GetMetricWidgetImage: a metric widget drawn as a PNG."""

    def render(
        self, widget: dict[str, Any], region: str | None, *, account: str | None = None
    ) -> bytes:
        """The PNG of `widget` (CloudWatch's metric widget JSON), drawn in `account` (None:
        the bot's own). AccessDeniedError when it may not be called; UnprocessedError when
        it failed."""
        ...


class AlarmTags(Protocol):
    """A CloudWatch alarm's tags (ListTagsForResource), for its `runbook` or `playbook`."""

    def tags(self, alarm_arn: str) -> dict[str, str]:
        """The alarm's tags, read in the account and region its ARN names; cached, since
        alarms are tagged rarely. AccessDeniedError when they may not be read."""
        ...


class AccountDirectory(Protocol):
    """The organisation's accounts (AWS Organizations), which name and tag accounts on
    messages and routes: read by a scheduled job into a cache, never while ingesting."""

    def accounts(self) -> list[AccountInfo]:
        """Every account, with its name and tags. AccessDeniedError when the organisation
        may not be read (not its management or a delegated administrator account)."""
        ...


class EnrichQueue(Protocol):
    """Where an alert posted for the first time waits for its enrichment: the enrich
    queue on AWS, a worker in the service when long-running."""

    def enqueue(self, alert_id: str, not_before: int) -> bool:
        """True if taken; False (logged) if not: the alert stays as posted."""
        ...


class EventPublisher(Protocol):
    """EventBridge PutEvents, for findings the bot publishes back to the bus."""

    def put_events(self, entries: list[dict[str, Any]]) -> list[str | None]:
        """One PutEvents call of at most 10 entries: per entry, None if it was accepted,
        else its error code (the caller retries those). UnprocessedError if the call failed."""
        ...


class Heartbeat(Protocol):
    """Proof of life for a dead man's switch that does not go through the bot or Slack."""

    def beat(self) -> None:
        """Say the bot is alive; UnprocessedError if that could not be said."""
        ...
