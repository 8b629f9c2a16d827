"""The hourly error-log sweep: which lines it finds, how it chunks the groups, how it batches
and retries PutEvents, and how a published finding comes back as a logs alert.

moto ignores Insights' filter clauses, so the filtering is tested here, against a fake that
really interprets the parts of the query language the sweep relies on.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.memory import MemoryAgentStore, MemoryAlertStore, MemoryEventStore
from bot.config import Settings
from bot.error_logs import (
    DEFAULT_QUERY,
    DETAIL_TYPE,
    FINDING_BYTES,
    GROUPS_PER_QUERY,
    MAX_BATCH_BYTES,
    MAX_ENTRIES,
    MESSAGE_MAX,
    PUT_ATTEMPTS,
    RETRY_S,
    SOURCE,
    ErrorLogSweep,
    batches,
    chunks,
    entry_size,
    group_of,
    last_hour,
    row_limit,
)
from bot.errors import RequestTimeoutError, UnprocessedError
from bot.ingest import ingest
from bot.services import Services
from bot.sources import interpret
from handlers.bootstrap import bootstrap
from tests.fakes import FakeChat, FakeClock

ACCOUNT = "123456789012"
REGION = "eu-west-1"
BUS = "monitoring"
NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC).timestamp()
START, END = last_hour(NOON + 30 * 60)  # 11:00:00 .. 11:59:59
WIDE_QUERY = DEFAULT_QUERY.replace("limit 20", "limit 1000")


def at(hour: int, minute: int = 0, second: int = 0, ms: int = 0) -> int:
    """An epoch-millisecond time on the test day."""
    return int(datetime(2026, 3, 4, hour, minute, second, tzinfo=UTC).timestamp()) * 1000 + ms


# --- a Logs Insights that reads its query --------------------------------------------------


def _commands(query: str) -> list[str]:
    """The query's commands: split on `|` outside /regex/ literals."""
    parts, current, in_regex, escaped = [], "", False, False
    for char in query:
        if escaped:
            escaped = False
        elif char == "\\" and in_regex:
            escaped = True
        elif char == "/":
            in_regex = not in_regex
        elif char == "|" and not in_regex:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    return [part for part in [*parts, current.strip()] if part]


class FakeInsights:
    """LogQuery over in-memory lines. Interprets `fields` (@timestamp, @message, @log,
    @logStream), `filter @message like /REGEX/` (every filter must match), `sort @timestamp
    asc|desc`, `limit N` (AWS's default of 1000 without one) and the time range, inclusive
    of both ends' seconds; anything else raises, so a test cannot rely on what it ignores.
    Like Insights, a query naming more than 50 groups or an unknown group fails whole."""

    def __init__(self) -> None:
        self.lines: dict[str, list[tuple[int, str]]] = {}
        self.calls: list[tuple[list[str], str, int, int]] = []
        self.slow: set[str] = set()  # a query naming one of these times out
        self.broken: set[str] = set()  # a query naming one of these fails

    def add(self, group: str, *lines: tuple[int, str]) -> None:
        self.lines.setdefault(group, []).extend(lines)

    def query(self, log_groups: list[str], query: str, start: int, end: int) -> list[dict]:
        self.calls.append((list(log_groups), query, start, end))
        if len(log_groups) > GROUPS_PER_QUERY:
            raise UnprocessedError("InvalidParameterException: too many log groups")
        missing = [g for g in log_groups if g not in self.lines]
        if missing:
            raise UnprocessedError(f"ResourceNotFoundException: {missing[0]}")
        if self.slow.intersection(log_groups):
            raise RequestTimeoutError("fake: the query did not finish")
        if self.broken.intersection(log_groups):
            raise UnprocessedError("fake: the query failed")
        shown, patterns, descending, limit = None, [], True, 1000
        for command in _commands(query):
            verb, _, rest = command.partition(" ")
            rest = rest.strip()
            if verb == "fields":
                shown = [name.strip() for name in rest.split(",")]
            elif like := re.fullmatch(r"@message\s+like\s+/((?:\\.|[^/\\])*)/", rest):
                assert verb == "filter", command
                patterns.append(re.compile(like.group(1).replace("\\/", "/")))
            elif sort := re.fullmatch(r"@timestamp(?:\s+(asc|desc))?", rest):
                assert verb == "sort", command
                descending = sort.group(1) != "asc"
            elif verb == "limit":
                limit = min(int(rest), 10_000)
            else:
                raise ValueError(f"the fake Insights does not interpret {command!r}")
        assert shown, "the fake Insights wants a fields command"
        found = [
            (ts, message, group)
            for group in log_groups
            for ts, message in self.lines[group]
            if start <= ts // 1000 <= end and all(p.search(message) for p in patterns)
        ]
        found.sort(key=lambda line: line[0], reverse=descending)
        return [self._row(i, line, shown) for i, line in enumerate(found[:limit])]

    @staticmethod
    def _row(i: int, line: tuple[int, str, str], shown: list[str]) -> dict[str, str]:
        ts, message, group = line
        stamp = datetime.fromtimestamp(ts / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        values = {
            "@timestamp": stamp,
            "@message": message,
            "@log": f"{ACCOUNT}:{group}",
            "@logStream": "app",
        }
        for name in shown:
            assert name in values, f"the fake Insights does not know field {name}"
        return {"@ptr": f"ptr-{i}", **{name: values[name] for name in shown}}


class FakeBus:
    """EventPublisher that checks PutEvents' limits and answers as told: each scripted answer
    is an exception to raise or a function from the entries to their error codes."""

    def __init__(self, *answers: Exception | Callable[[list[dict]], list[str | None]]) -> None:
        self.answers = list(answers)
        self.calls: list[list[dict[str, Any]]] = []
        self.accepted: list[dict[str, Any]] = []

    def put_events(self, entries: list[dict[str, Any]]) -> list[str | None]:
        assert 1 <= len(entries) <= 10, f"PutEvents takes 1 to 10 entries, not {len(entries)}"
        assert sum(aws_size(e) for e in entries) <= 256 * 1024, "PutEvents takes 256 KB at most"
        self.calls.append(list(entries))
        answer = self.answers.pop(0) if self.answers else None
        if isinstance(answer, Exception):
            raise answer
        codes = answer(entries) if answer else [None] * len(entries)
        self.accepted.extend(e for e, code in zip(entries, codes, strict=True) if code is None)
        return codes

    def details(self) -> list[dict[str, Any]]:
        return [json.loads(entry["Detail"]) for entry in self.accepted]

    def lines_of(self) -> dict[str, list[str]]:
        """Every accepted line's message, by the group its finding names."""
        found: dict[str, list[str]] = {}
        for detail in self.details():
            found.setdefault(detail["log_group_name"], []).extend(
                line["message"] for line in detail["logs"]
            )
        return found


def aws_size(entry: dict[str, Any]) -> int:
    """PutEvents' own count: UTF-8 bytes of Source, DetailType, Detail and Resources, and 14
    for a Time."""
    text = [entry["Source"], entry["DetailType"], entry["Detail"], *entry.get("Resources", [])]
    return sum(len(t.encode("utf-8")) for t in text) + (14 if "Time" in entry else 0)


def sweep(logs: FakeInsights, bus: FakeBus | None = None, **kw: Any) -> ErrorLogSweep:
    return ErrorLogSweep(logs=logs, publisher=bus or FakeBus(), bus=BUS, **kw)


def big(n: int, size: int = 3500) -> str:
    return f"ERROR {n:04d} " + "x" * (size - 11)


# --- the hour ----------------------------------------------------------------------------


def test_last_hour_is_the_previous_full_hour_with_inclusive_seconds() -> None:
    eleven = datetime(2026, 3, 4, 11, 0, tzinfo=UTC).timestamp()
    assert last_hour(NOON + 1800.5) == (eleven, eleven + 3599)
    assert last_hour(NOON) == (eleven, eleven + 3599)  # at 12:00:00 the 11:00 hour is done
    assert last_hour(NOON - 0.001) == (eleven - 3600, eleven - 1)


def test_default_query_finds_error_lines_of_the_last_full_hour_only() -> None:
    logs = FakeInsights()
    logs.add(
        "/app/api",
        (at(10, 59, 59, 999), "ERROR the hour before"),
        (at(11, 0, 0), "ERROR first second of the hour"),
        (at(11, 10), "INFO all is well"),
        (at(11, 20), "WARN disk at 80%"),
        (at(11, 25), "error: lowercase only"),
        (at(11, 30), "2026-03-04 [ERROR] db down"),
        (at(11, 59, 59, 999), "ERROR last instant of the hour"),
        (at(12, 0, 0), "ERROR belongs to the next run"),
    )
    bus = FakeBus()
    result = sweep(logs, bus).run(["/app/api"], START, END)
    assert bus.lines_of() == {
        "/app/api": [
            "ERROR last instant of the hour",
            "2026-03-04 [ERROR] db down",
            "ERROR first second of the hour",
        ]
    }
    [detail] = bus.details()
    assert [line["timestamp"] for line in detail["logs"]] == [
        "2026-03-04 11:59:59.999",
        "2026-03-04 11:30:00.000",
        "2026-03-04 11:00:00.000",
    ]
    assert {line["log_group"] for line in detail["logs"]} == {"/app/api"}
    assert (result.groups, result.lines, result.published) == (1, 3, 1)
    assert (result.start, result.end) == (START, END)

    next_start, next_end = last_hour(NOON + 3600)
    sweep(logs, later := FakeBus()).run(["/app/api"], next_start, next_end)
    assert later.lines_of() == {"/app/api": ["ERROR belongs to the next run"]}


def test_an_hour_without_error_lines_publishes_nothing() -> None:
    logs = FakeInsights()
    logs.add("/app/api", (at(11, 5), "INFO fine"), (at(12, 5), "ERROR too late"))
    bus = FakeBus()
    result = sweep(logs, bus).run(["/app/api"], START, END)
    assert bus.calls == []
    assert (result.groups, result.lines, result.published, result.failed) == (0, 0, 0, [])


def test_every_filter_clause_must_match() -> None:
    logs = FakeInsights()
    logs.add(
        "/app/api",
        (at(11, 1), "ERROR timeout calling billing"),
        (at(11, 2), "ERROR bad request"),
        (at(11, 3), "INFO timeout raised to 30s"),
    )
    query = (
        "fields @timestamp, @message, @log | filter @message like /ERROR/ "
        "| filter @message like /time(out|d out)/ | sort @timestamp desc | limit 20"
    )
    bus = FakeBus()
    sweep(logs, bus, query=query).run(["/app/api"], START, END)
    assert bus.lines_of() == {"/app/api": ["ERROR timeout calling billing"]}


# --- the groups --------------------------------------------------------------------------


def test_120_groups_are_queried_50_at_a_time_and_each_line_keeps_its_group() -> None:
    groups = [f"/app/svc-{i:03d}" for i in range(120)]
    logs = FakeInsights()
    for i, group in enumerate(groups):
        logs.add(group, (at(11, i % 60), f"INFO {group} ok"))
        if i % 7 == 0:  # at most 8 error lines per chunk: under the query's limit of 20
            logs.add(group, (at(11, i % 60, 30), f"ERROR in {group}"))
    bus = FakeBus()
    result = sweep(logs, bus).run(groups, START, END)
    assert [call[0] for call in logs.calls] == [groups[:50], groups[50:100], groups[100:]]
    erring = [g for i, g in enumerate(groups) if i % 7 == 0]
    assert bus.lines_of() == {group: [f"ERROR in {group}"] for group in erring}
    for detail in bus.details():
        assert [line["log_group"] for line in detail["logs"]] == [detail["log_group_name"]]
    assert (result.groups, result.lines, result.published) == (len(erring), len(erring), 18)
    assert [len(call) for call in bus.calls] == [10, 8]


def test_a_noisy_group_does_not_hide_the_others_behind_the_querys_limit() -> None:
    """The limit is the whole query's: a chunk that fills it is split, so that every group
    gets a limit of its own."""
    groups = [f"/app/svc-{i:02d}" for i in range(30)]
    logs = FakeInsights()
    logs.add(groups[0], *[(at(11, 30), f"ERROR noisy {n}") for n in range(500)])
    for i, group in enumerate(groups[1:], start=1):
        logs.add(group, (at(11, i), f"ERROR {i:02d}"))
    bus = FakeBus()
    result = sweep(logs, bus).run(groups, START, END)
    assert sorted(set(bus.lines_of())) == groups  # every group's errors are published
    assert result.lines == 200 + 29  # the noisy group's newest 200, and each other line
    assert len(logs.calls) > 1
    assert max(len(call[0]) for call in logs.calls[1:]) < len(groups)


def test_row_limit_reads_the_querys_limit() -> None:
    assert row_limit(DEFAULT_QUERY) == 200
    assert row_limit("fields @message | LIMIT 5") == 5
    assert row_limit("fields @message") == 1000


def test_group_of_reads_at_log_or_falls_back_on_a_one_group_chunk() -> None:
    assert group_of({"@log": f"{ACCOUNT}:/aws/lambda/api"}, ["/a", "/b"]) == "/aws/lambda/api"
    assert group_of({"@log": "/aws/lambda/api"}, ["/a", "/b"]) == "/aws/lambda/api"  # as moto
    assert group_of({"@message": "x"}, ["/only"]) == "/only"
    assert group_of({"@message": "x"}, ["/a", "/b"]) == "unknown log group"


def test_a_custom_query_without_at_log_runs_one_group_at_a_time() -> None:
    query = "fields @timestamp, @message | filter @message like /Exception/ | limit 5"
    logs = FakeInsights()
    logs.add("/app/a", (at(11, 1), "java.lang.NullPointerException"), (at(11, 2), "ERROR x"))
    logs.add("/app/b", (at(11, 3), "ValueError: Exception in thread"))
    logs.add("/app/c", (at(11, 4), "INFO quiet"))
    bus = FakeBus()
    sweep(logs, bus, query=query).run(["/app/a", "/app/b", "/app/c"], START, END)
    assert [call[0] for call in logs.calls] == [["/app/a"], ["/app/b"], ["/app/c"]]
    assert bus.lines_of() == {
        "/app/a": ["java.lang.NullPointerException"],
        "/app/b": ["ValueError: Exception in thread"],
    }


def test_a_query_showing_at_logstream_but_not_at_log_still_runs_one_group_at_a_time() -> None:
    query = "fields @timestamp, @message, @logStream | filter @message like /ERROR/"
    assert [len(c) for c in chunks(["/a", "/b", "/c"], query)] == [1, 1, 1]
    logs = FakeInsights()
    logs.add("/a", (at(11, 1), "ERROR a"))
    logs.add("/b", (at(11, 2), "ERROR b"))
    bus = FakeBus()
    sweep(logs, bus, query=query).run(["/a", "/b"], START, END)
    assert bus.lines_of() == {"/a": ["ERROR a"], "/b": ["ERROR b"]}


def test_duplicate_and_blank_group_names_are_dropped() -> None:
    named = ["/app/a", " /app/a ", "", "   ", "/app/b", "/app/a"]
    assert list(chunks(named, DEFAULT_QUERY)) == [["/app/a", "/app/b"]]
    assert list(chunks(named, "fields @message")) == [["/app/a"], ["/app/b"]]
    logs = FakeInsights()
    logs.add("/app/a", (at(11, 1), "ERROR a"))
    logs.add("/app/b", (at(11, 1), "ERROR b"))
    bus = FakeBus()
    result = sweep(logs, bus).run(named, START, END)
    assert [call[0] for call in logs.calls] == [["/app/a", "/app/b"]]
    assert bus.lines_of() == {"/app/a": ["ERROR a"], "/app/b": ["ERROR b"]}
    assert result.lines == 2
    assert sweep(logs, bus).run(["", " "], START, END).groups == 0
    assert len(logs.calls) == 1  # no query without a group


# --- entries and batches -----------------------------------------------------------------


def test_entries_carry_the_event_and_are_sized_as_put_events_counts_them() -> None:
    logs = FakeInsights()
    logs.add("/app/é", (at(11, 1), "ERROR café"))
    bus = FakeBus()
    sweep(logs, bus).run(["/app/é"], START, END)
    [[entry]] = bus.calls
    assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == (
        SOURCE,
        DETAIL_TYPE,
        BUS,
    )
    assert entry["Time"] == datetime.fromtimestamp(END, tz=UTC)
    assert "café" in entry["Detail"]  # kept as UTF-8, not \\u escapes
    assert entry_size(entry) == aws_size(entry)
    assert entry_size({"Detail": "é"}) == 2
    assert entry_size({"Detail": "é", "Time": 1, "Resources": ["arn:x"]}) == 2 + 14 + 5


def test_batches_hold_at_most_10_entries() -> None:
    groups = [f"/app/{i:02d}" for i in range(23)]
    logs = FakeInsights()
    for i, group in enumerate(groups):
        logs.add(group, (at(11, i), f"ERROR {i}"))
    bus = FakeBus()
    result = sweep(logs, bus, query=WIDE_QUERY).run(groups, START, END)
    assert [len(call) for call in bus.calls] == [MAX_ENTRIES, MAX_ENTRIES, 3]
    assert result.published == 23
    assert sorted(bus.lines_of()) == groups


def test_batches_hold_at_most_256_kb() -> None:
    logs = FakeInsights()
    groups = [f"/app/{g}" for g in "abcde"]
    for g, group in enumerate(groups):
        logs.add(group, *((at(11, i, g), big(i)) for i in range(28)))  # ~100 KB each
    bus = FakeBus()
    result = sweep(logs, bus, query=WIDE_QUERY).run(groups, START, END)
    sizes = [[entry_size(e) for e in call] for call in bus.calls]
    assert [len(s) for s in sizes] == [2, 2, 1]
    assert all(sum(s) <= MAX_BATCH_BYTES for s in sizes)
    assert sum(sizes[0]) + sizes[1][0] > MAX_BATCH_BYTES  # the bytes, not the count, split
    assert result.published == 5
    assert {g: len(lines) for g, lines in bus.lines_of().items()} == dict.fromkeys(groups, 28)


def test_batches_split_on_the_exact_byte_limit_and_refuse_an_oversized_entry() -> None:
    def entry(detail_bytes: int) -> dict[str, Any]:
        return {"Source": "s", "DetailType": "d", "Detail": "x" * (detail_bytes - 2)}

    half = MAX_BATCH_BYTES // 2
    assert [len(b) for b in batches([entry(half), entry(half), entry(1 + 2)])] == [2, 1]
    assert [len(b) for b in batches([entry(half), entry(half + 1)])] == [1, 1]
    assert list(batches([])) == []
    with pytest.raises(ValueError, match="over PutEvents"):
        list(batches([entry(MAX_BATCH_BYTES + 1)]))


def test_a_huge_line_is_truncated() -> None:
    message = "ERROR " + "y" * 10_000
    logs = FakeInsights()
    logs.add("/app/api", (at(11, 1), message))
    bus = FakeBus()
    sweep(logs, bus).run(["/app/api"], START, END)
    [[line]] = bus.lines_of().values()
    assert line == message[:MESSAGE_MAX] + "… (truncated)"


def test_a_group_with_more_lines_than_one_entry_carries_is_split_across_entries() -> None:
    logs = FakeInsights()
    lines = [(at(11, i // 3, i % 3 * 20), big(i)) for i in range(150)]  # ~540 KB of lines
    logs.add("/app/api", *lines)
    bus = FakeBus()
    result = sweep(logs, bus, query=WIDE_QUERY).run(["/app/api"], START, END)
    details = bus.details()
    assert len(details) >= 3
    assert {d["log_group_name"] for d in details} == {"/app/api"}
    assert all(len(e["Detail"].encode()) <= FINDING_BYTES + 32 * 1024 for e in bus.accepted)
    newest_first = [message for _, message in sorted(lines, reverse=True)]
    assert bus.lines_of() == {"/app/api": newest_first}  # each line once, in order
    assert (result.groups, result.lines, result.published) == (1, 150, len(details))


# --- PutEvents failures ------------------------------------------------------------------


def refuse(group: str, code: str = "ThrottlingException"):
    """An answer refusing the entries of `group`'s finding."""

    def answer(entries: list[dict[str, Any]]) -> list[str | None]:
        named = [json.loads(e["Detail"])["log_group_name"] for e in entries]
        return [code if name == group else None for name in named]

    return answer


def three_groups() -> tuple[FakeInsights, list[str]]:
    logs = FakeInsights()
    groups = ["/app/a", "/app/b", "/app/c"]
    for i, group in enumerate(groups):
        logs.add(group, (at(11, i), f"ERROR {group}"))
    return logs, groups


def test_refused_entries_are_sent_again_after_a_pause() -> None:
    logs, groups = three_groups()
    bus = FakeBus(refuse("/app/b"))
    pauses: list[float] = []
    result = sweep(logs, bus, pause=pauses.append).run(groups, START, END)
    assert [len(call) for call in bus.calls] == [3, 1]
    assert json.loads(bus.calls[1][0]["Detail"])["log_group_name"] == "/app/b"
    assert pauses == [RETRY_S]
    assert (result.published, result.failed) == (3, [])
    assert sorted(bus.lines_of()) == groups


def test_entries_refused_every_time_are_given_up_after_put_attempts() -> None:
    logs, groups = three_groups()
    bus = FakeBus(*[refuse("/app/a", code="InternalFailure")] * PUT_ATTEMPTS)
    pauses: list[float] = []
    result = sweep(logs, bus, pause=pauses.append).run(groups, START, END)
    assert len(bus.calls) == PUT_ATTEMPTS
    assert pauses == [RETRY_S * 2**i for i in range(PUT_ATTEMPTS - 1)]
    assert (result.published, result.failed) == (2, ["InternalFailure"])
    assert sorted(bus.lines_of()) == groups[1:]


def test_entries_refused_for_good_are_not_sent_again() -> None:
    logs, groups = three_groups()
    bus = FakeBus(refuse("/app/a", code="MalformedDetail"))
    pauses: list[float] = []
    result = sweep(logs, bus, pause=pauses.append).run(groups, START, END)
    assert len(bus.calls) == 1
    assert pauses == []
    assert (result.published, result.failed) == (2, ["MalformedDetail"])


def test_a_publisher_failing_outright_is_retried() -> None:
    logs, groups = three_groups()
    bus = FakeBus(UnprocessedError("EventBridge PutEvents failed: throttled"))
    pauses: list[float] = []
    result = sweep(logs, bus, pause=pauses.append).run(groups, START, END)
    assert [len(call) for call in bus.calls] == [3, 3]
    assert pauses == [RETRY_S]
    assert (result.published, result.failed) == (3, [])


def test_a_publisher_failing_every_time_is_given_up_with_its_error() -> None:
    logs, groups = three_groups()
    bus = FakeBus(*[UnprocessedError("down")] * PUT_ATTEMPTS)
    pauses: list[float] = []
    result = sweep(logs, bus, pause=pauses.append).run(groups, START, END)
    assert len(bus.calls) == PUT_ATTEMPTS
    assert pauses == [1.0, 2.0, 4.0]
    assert (result.published, result.failed) == (0, ["down"] * 3)


# --- query failures ----------------------------------------------------------------------


def many_groups() -> tuple[FakeInsights, list[str]]:
    logs = FakeInsights()
    groups = [f"/app/svc-{i:03d}" for i in range(120)]
    for i in range(0, 120, 10):
        logs.add(groups[i], (at(11, i // 10), f"ERROR {i}"))
    for group in groups:
        logs.lines.setdefault(group, [])
    return logs, groups


def test_a_timed_out_chunk_does_not_keep_the_others_from_being_published() -> None:
    logs, groups = many_groups()
    logs.slow.add(groups[70])  # in the second chunk
    bus = FakeBus()
    with pytest.raises(RequestTimeoutError) as raised:
        sweep(logs, bus).run(groups, START, END)
    assert sorted(bus.lines_of()) == [groups[i] for i in (*range(0, 50, 10), 100, 110)]
    message = str(raised.value)
    assert "timed out on 50 log group(s)" in message
    assert groups[50] in message and groups[99] in message
    assert groups[49] not in message and groups[100] not in message
    assert len(logs.calls) == 3  # a timeout is not narrowed down


def test_a_missing_group_costs_only_itself() -> None:
    logs, groups = many_groups()
    missing = "/app/deleted"
    named = [*groups[:60], missing, *groups[60:]]  # the second chunk holds it
    bus = FakeBus()
    with pytest.raises(UnprocessedError, match="failed on 1 log group") as raised:
        sweep(logs, bus).run(named, START, END)
    assert missing in str(raised.value)
    assert sorted(bus.lines_of()) == [groups[i] for i in range(0, 120, 10)]
    assert len(logs.calls) <= 3 + 2 * 6  # halving a chunk of 50 takes 6 rounds at most
    assert all(len(call[0]) <= GROUPS_PER_QUERY for call in logs.calls)


def test_a_chunk_failing_whatever_its_groups_is_given_up_after_one_halving() -> None:
    logs, groups = many_groups()
    logs.broken.update(groups[50:100])  # every query over the second chunk fails
    bus = FakeBus()
    with pytest.raises(UnprocessedError, match="failed on 50 log group") as raised:
        sweep(logs, bus).run(groups, START, END)
    assert groups[50] in str(raised.value) and groups[49] not in str(raised.value)
    assert [len(call[0]) for call in logs.calls] == [50, 50, 25, 25, 20]
    assert sorted(bus.lines_of()) == [groups[i] for i in (*range(0, 50, 10), 100, 110)]


def test_a_timeout_is_raised_before_a_failure_and_both_are_published_around() -> None:
    logs, groups = many_groups()
    logs.slow.add(groups[0])
    logs.broken.update(groups[100:])
    bus = FakeBus()
    with pytest.raises(RequestTimeoutError):
        sweep(logs, bus).run(groups, START, END)
    assert sorted(bus.lines_of()) == [groups[i] for i in range(50, 100, 10)]


# --- back through ingest -----------------------------------------------------------------


def as_eventbridge_event(entry: dict[str, Any]) -> dict[str, Any]:
    """What EventBridge delivers for a PutEvents entry."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": ACCOUNT,
        "time": entry["Time"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": entry["Resources"],
        "detail": json.loads(entry["Detail"]),
    }


def test_a_published_finding_ingests_as_a_logs_alert_per_group() -> None:
    logs = FakeInsights()
    logs.add("/aws/lambda/api", *((at(11, i), f"ERROR api {i}") for i in range(3)))
    logs.add("/aws/lambda/jobs", (at(11, 30), "ERROR jobs"))
    logs.add("/aws/lambda/big", *((at(11, i // 3, i % 3), big(i)) for i in range(80)))
    bus = FakeBus()
    sweep(logs, bus, query=WIDE_QUERY).run(
        ["/aws/lambda/api", "/aws/lambda/jobs", "/aws/lambda/big"], START, END
    )
    store, clock = MemoryEventStore(), FakeClock(NOON + 60)
    body = [as_eventbridge_event(entry) for entry in bus.accepted]
    ingested = ingest(body, store, clock, ttl=3600)
    assert (ingested.stored, ingested.rejected) == (len(body), [])
    signals = {}
    for event_id in ingested.ids:
        event = store.get(event_id, now=int(clock.now()))
        assert (event.family, event.source, event.published_at) == ("logs", SOURCE, END)
        [signal] = interpret(event)
        signals.setdefault(signal.resource, []).append(signal)
    api, jobs = signals["/aws/lambda/api"][0], signals["/aws/lambda/jobs"][0]
    # "ERROR api 0", "ERROR api 1"…: one signature (numbers masked), so one alert.
    assert api.title.startswith("3 error lines in /aws/lambda/api: ERROR api ")
    assert {f.label: f.value for f in api.fields}["Count"] == "3"
    assert api.fingerprint.startswith(f"logs:{ACCOUNT}:{REGION}:/aws/lambda/api:")
    assert jobs.fingerprint.startswith(f"logs:{ACCOUNT}:{REGION}:/aws/lambda/jobs:")
    split = signals["/aws/lambda/big"]
    assert len(split) >= 2  # one group's finding over two entries: still one alert
    assert len({s.fingerprint for s in split}) == 1
    assert sum(int({f.label: f.value for f in s.fields}["Count"]) for s in split) == 80


# --- Services.sweep_logs -----------------------------------------------------------------


def services(log_sweep: ErrorLogSweep | None, **settings: Any) -> Services:
    return bootstrap(
        settings=Settings(_env_file=None, **settings),
        events=MemoryEventStore(),
        agents=MemoryAgentStore(),
        alerts=MemoryAlertStore(),
        chat=FakeChat(),
        clock=FakeClock(NOON + 5 * 60),
        log_sweep=log_sweep,
    )


def test_services_sweep_nothing_without_a_sweep() -> None:
    assert services(None, log_groups=["/app/a"]).sweep_logs() is None


def test_services_sweep_the_last_hour_of_the_configured_groups() -> None:
    logs = FakeInsights()
    logs.add("/app/a", (at(11, 59), "ERROR a"), (at(12, 1), "ERROR too new"))
    logs.add("/app/b", (at(10, 59), "ERROR too old"))
    bus = FakeBus()
    result = services(sweep(logs, bus), log_groups="/app/a, /app/b").sweep_logs()
    assert result is not None
    assert (result.start, result.end) == (START, END)
    assert logs.calls == [(["/app/a", "/app/b"], DEFAULT_QUERY, START, END)]
    assert bus.lines_of() == {"/app/a": ["ERROR a"]}
