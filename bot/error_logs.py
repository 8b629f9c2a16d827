"""The hourly error-log sweep: a Logs Insights query over LOG_GROUPS, its findings
published to EventBridge, from where they come back to the bot as events.

Each run covers the last full hour, [HH-1:00, HH:00), so that runs neither overlap nor
leave gaps. Insights takes at most GROUPS_PER_QUERY log groups per query, so the groups
are queried in chunks; a row names its group through `@log`, which the default query asks
for (a custom query without `@log` is run one group at a time, so each line keeps its
group). A chunk whose query fails (a missing group fails the whole query) is halved until
the failing group is found, so that one bad group costs only itself. Findings become one
entry per log group, in PutEvents batches of at most 10 entries and 256 KB; entries
EventBridge refuses are sent again.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.config import DEFAULT_QUERY
from bot.errors import MonitoringException, RequestTimeoutError, UnprocessedError
from bot.models import LogEntry, QueryLogsResult
from bot.ports import EventPublisher, LogQuery

log = logging.getLogger(__name__)

SOURCE = "monitoring.agent.logs"
DETAIL_TYPE = "CloudWatch Logs Error"
GROUPS_PER_QUERY = 50  # Logs Insights' limit on log groups in one query
HOUR_S = 3600
MAX_ENTRIES = 10  # PutEvents' limit on entries per call
MAX_BATCH_BYTES = 256 * 1024  # PutEvents' limit on a call's total entry size
TIME_BYTES = 14  # what an entry's Time counts towards that size
MESSAGE_MAX = 4000  # characters kept of one log line
FINDING_BYTES = 200 * 1024  # lines in one entry, leaving room for its envelope
PUT_ATTEMPTS = 4
RETRY_S = 1.0  # first wait before failed entries are sent again; doubles each time
# PutEvents' error codes worth another try; others (MalformedDetail, InvalidArgument,
# AccessDenied…) would fail the same way again.
RETRYABLE = frozenset(
    {"ThrottlingException", "InternalFailure", "InternalException", "PutEventsFailed"}
)

Pause = Callable[[float], None]
Rows = list[tuple[dict[str, str], list[str]]]  # each row with the groups its query named

_LOG_FIELD = re.compile(r"@log(?!\w)")  # @log, not @logStream
_LIMIT = re.compile(r"\|\s*limit\s+(\d+)", re.IGNORECASE)
INSIGHTS_DEFAULT_LIMIT = 1000


def last_hour(now: float) -> tuple[int, int]:
    """The last full hour before `now`, as inclusive epoch seconds."""
    end = int(now) - int(now) % HOUR_S
    return end - HOUR_S, end - 1


def sweep_last_hour(
    sweep: ErrorLogSweep | None, log_groups: list[str], now: float
) -> SweepResult | None:
    """The last full hour's error lines in `log_groups`, published to EventBridge; None
    when there is no sweep or no group. The groups left out are logged by the sweep, not
    raised: a retry would publish the found lines a second time."""
    if sweep is None or not log_groups:
        return None
    start, end = last_hour(now)
    return sweep.sweep(log_groups, start, end)


def chunks(log_groups: list[str], query: str) -> Iterator[list[str]]:
    """The groups in queries Insights accepts: GROUPS_PER_QUERY at a time, or one at a
    time when the query's rows would not say which group they came from."""
    size = GROUPS_PER_QUERY if _LOG_FIELD.search(query) else 1
    unique = list(dict.fromkeys(g.strip() for g in log_groups if g.strip()))
    for i in range(0, len(unique), size):
        yield unique[i : i + size]


def row_limit(query: str) -> int:
    """The rows a query can return: its `limit`, else Insights' default of 1,000."""
    limits = _LIMIT.findall(query)
    return int(limits[-1]) if limits else INSIGHTS_DEFAULT_LIMIT


def group_of(row: dict[str, str], chunk: list[str]) -> str:
    """The row's log group: `@log` is "<account id>:<group name>"."""
    named = row.get("@log", "")
    if named:
        account, _, group = named.partition(":")
        return group if group and account.isdigit() else named
    return chunk[0] if len(chunk) == 1 else "unknown log group"


def entry_size(entry: dict[str, Any]) -> int:
    """An entry's size as PutEvents counts it against 256 KB."""
    size = TIME_BYTES if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key, "")).encode("utf-8"))
    return size + sum(len(r.encode("utf-8")) for r in entry.get("Resources", []))


def batches(entries: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Entries in PutEvents calls of at most MAX_ENTRIES and MAX_BATCH_BYTES."""
    batch: list[dict[str, Any]] = []
    size = 0
    for entry in entries:
        each = entry_size(entry)
        if each > MAX_BATCH_BYTES:
            raise ValueError(f"an entry of {each} bytes is over PutEvents' {MAX_BATCH_BYTES}")
        if batch and (len(batch) == MAX_ENTRIES or size + each > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += each
    if batch:
        yield batch


@dataclass
class SweepResult:
    """What a sweep found and sent."""

    start: int
    end: int
    groups: int = 0
    lines: int = 0
    published: int = 0
    failed: list[str] = field(default_factory=list)  # error codes of entries given up on
    timed_out: list[str] = field(default_factory=list)  # groups whose query timed out
    unqueried: list[str] = field(default_factory=list)  # groups whose query failed


def _entry(result: QueryLogsResult, bus: str, end: int) -> dict[str, Any]:
    return {
        "Source": SOURCE,
        "DetailType": DETAIL_TYPE,
        "Detail": json.dumps(result.model_dump(), ensure_ascii=False),
        "EventBusName": bus,
        "Resources": [],
        "Time": datetime.fromtimestamp(end, tz=UTC),
    }


def findings(found: dict[str, list[LogEntry]]) -> Iterator[QueryLogsResult]:
    """One finding per log group; a group with more lines than one entry can carry gets
    several."""
    for group, lines in found.items():
        chunk: list[LogEntry] = []
        size = 0
        for line in lines:
            each = len(line.model_dump_json().encode("utf-8")) + 1
            if chunk and size + each > FINDING_BYTES:
                yield QueryLogsResult(log_group_name=group, logs=chunk)
                chunk, size = [], 0
            chunk.append(line)
            size += each
        if chunk:
            yield QueryLogsResult(log_group_name=group, logs=chunk)


def _line(row: dict[str, str], group: str) -> LogEntry:
    message = row.get("@message", "")
    if len(message) > MESSAGE_MAX:
        message = message[:MESSAGE_MAX] + "… (truncated)"
    return LogEntry(message=message, timestamp=row.get("@timestamp", ""), log_group=group)


@dataclass
class ErrorLogSweep:
    """Query, then publish; the ports are Logs Insights and EventBridge."""

    logs: LogQuery
    publisher: EventPublisher
    bus: str = "default"
    query: str = DEFAULT_QUERY
    pause: Pause = time.sleep

    def run(self, log_groups: list[str], start: int, end: int) -> SweepResult:
        """`sweep`, then RequestTimeoutError (some queries timed out) or UnprocessedError
        (some failed otherwise) naming the groups left out: for the scheduler's log."""
        result = self.sweep(log_groups, start, end)
        if result.timed_out:
            raise RequestTimeoutError(
                f"Logs Insights timed out on {len(result.timed_out)} log group(s): "
                + ", ".join(result.timed_out)
            )
        if result.unqueried:
            raise UnprocessedError(
                f"Logs Insights failed on {len(result.unqueried)} log group(s): "
                + ", ".join(result.unqueried)
            )
        return result

    def sweep(self, log_groups: list[str], start: int, end: int) -> SweepResult:
        """Sweep `log_groups` over [start, end], publishing whatever was found even when
        some queries failed; the groups left out are in the result (and logged). For a
        Lambda, whose retry would publish the found lines a second time."""
        result = SweepResult(start=start, end=end)
        found: dict[str, list[LogEntry]] = {}
        for chunk in chunks(log_groups, self.query):
            for row, asked in self._chunk_rows(chunk, start, end, result):
                group = group_of(row, asked)
                found.setdefault(group, []).append(_line(row, group))
        result.groups = len(found)
        result.lines = sum(len(lines) for lines in found.values())
        entries = [_entry(finding, self.bus, end) for finding in findings(found)]
        for batch in batches(entries):
            sent, failed = self._publish(batch)
            result.published += sent
            result.failed.extend(failed)
        if result.failed:
            log.error("EventBridge refused %d finding(s): %s", len(result.failed), result.failed)
        return result

    def _query(self, groups: list[str], start: int, end: int, result: SweepResult) -> Rows | None:
        """One query's rows; None when it failed (a timeout is not a failure: its groups
        are noted in `result.timed_out` and it has no rows)."""
        try:
            rows = self.logs.query(groups, self.query, start, end)
        except RequestTimeoutError:
            log.error("Logs Insights query over %s timed out", ", ".join(groups))
            result.timed_out.extend(groups)
            return []
        except MonitoringException as err:
            log.error("Logs Insights query over %s failed: %s", ", ".join(groups), err)
            return None
        return [(row, groups) for row in rows]

    def _chunk_rows(self, chunk: list[str], start: int, end: int, result: SweepResult) -> Rows:
        """A chunk's rows. One bad group must not hide the others: a failed chunk is halved,
        and the failing half halved again, down to the one group at fault. When both halves
        fail, the failure is not one group's (throttling, or several bad groups) and that
        part is given up, so a failing chunk of 50 costs at most 13 queries."""
        rows = self._query(chunk, start, end, result)
        if rows is not None and len(rows) >= row_limit(self.query) and len(chunk) > 1:
            # The limit is the whole query's: one noisy group may have hidden the others'
            # lines. Each half gets a limit of its own.
            half = (len(chunk) + 1) // 2
            left = self._chunk_rows(chunk[:half], start, end, result)
            return left + self._chunk_rows(chunk[half:], start, end, result)
        if rows is not None:
            return rows
        rows, failing = [], chunk
        while len(failing) > 1:
            half = (len(failing) + 1) // 2
            first, second = failing[:half], failing[half:]
            found = self._query(first, start, end, result), self._query(second, start, end, result)
            if found[0] is None and found[1] is None:
                break
            rows.extend(r for part in found if part is not None for r in part)
            failing = first if found[0] is None else second if found[1] is None else []
        result.unqueried.extend(failing)
        return rows

    def _publish(self, batch: list[dict[str, Any]]) -> tuple[int, list[str]]:
        """One batch, its refused entries sent again with a backoff: (accepted, the
        error codes of the entries still refused after PUT_ATTEMPTS)."""
        pending, sent, wait = batch, 0, RETRY_S
        codes: list[str | None] = []
        given_up: list[str] = []  # refused for good (a malformed entry): not sent again
        for attempt in range(1, PUT_ATTEMPTS + 1):
            try:
                codes = self.publisher.put_events(pending)
            except UnprocessedError as err:
                if attempt == PUT_ATTEMPTS:
                    return sent, given_up + [str(err)] * len(pending)
                log.warning("PutEvents failed (%s); trying again", err)
                codes = ["PutEventsFailed"] * len(pending)
            sent += sum(code is None for code in codes)
            given_up.extend(c for c in codes if c is not None and c not in RETRYABLE)
            retry = [e for e, code in zip(pending, codes, strict=True) if code in RETRYABLE]
            if not retry:
                return sent, given_up
            if attempt < PUT_ATTEMPTS:
                log.warning("EventBridge refused %d entries; sending them again", len(retry))
                self.pause(wait)
                wait *= 2
                pending = retry
        return sent, given_up + [c for c in codes if c in RETRYABLE]
