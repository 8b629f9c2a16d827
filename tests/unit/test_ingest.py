"""The ingest use case over the in-memory store: idempotence, batches, times, the corpus."""

from __future__ import annotations

import copy
import json
import logging

import pytest

from adapters.memory import MemoryEventStore
from bot.cursors import CursorCodec
from bot.errors import ValidationError
from bot.ingest import ingest, ingest_raw
from bot.models import ListEventsDTO, Severity, SignalState
from tests.corpus import DISTINCT_IDS, classic_files, load
from tests.fakes import FakeClock

TTL = 604800


@pytest.fixture
def store() -> MemoryEventStore:
    return MemoryEventStore(CursorCodec("test-secret"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_ten_deliveries_store_once_and_report_nine_duplicates(store, clock):
    event = load("cloudwatch_alarm_state_change_single_metric.json")
    results = [ingest(copy.deepcopy(event), store, clock, ttl=TTL) for _ in range(10)]
    assert sum(r.stored for r in results) == 1
    assert sum(r.duplicates for r in results) == 9
    assert all(r.ids == [event["id"]] for r in results)


def test_bad_event_in_batch_is_reported_and_the_rest_stored(store, clock):
    good_a = load("ecs_task_state_change_running.json")
    good_b = load("health_ec2_issue_minimal.json")
    result = ingest([good_a, {"nonsense": True}, good_b, 7], store, clock, ttl=TTL)
    assert result.stored == 2
    assert result.ids == [good_a["id"], good_b["id"]]
    assert [r.index for r in result.rejected] == [1, 3]
    assert "unrecognised event shape" in result.rejected[0].error
    assert store.get(good_b["id"], now=int(clock.now())).family == "health"


def test_times_follow_design(store, clock):
    event = load("cloudwatch_alarm_state_change_single_metric.json")  # published in 2019
    ingest(event, store, clock, ttl=TTL)
    stored = store.get(event["id"], now=int(clock.now()))
    assert stored.published_at == 1570035880
    assert stored.received_at == int(clock.now())
    assert stored.expired_at == int(clock.now()) + TTL  # an old event replayed is kept


def test_event_without_a_time_is_published_when_received(store, clock):
    body = load("guardduty_finding_high_minimal.json")
    result = ingest(body, store, clock, ttl=TTL)
    stored = store.get(result.ids[0], now=int(clock.now()))
    assert stored.published_at == stored.received_at == int(clock.now())


def test_summary_fields_come_from_the_signals(store, clock):
    result = ingest(load("securityhub_findings_custom_action_critical.json"), store, clock, ttl=TTL)
    stored = store.get(result.ids[0], now=int(clock.now()))
    assert stored.family == "securityhub"
    assert stored.severity is Severity.CRITICAL
    assert stored.state is SignalState.FIRING
    assert stored.title.endswith("(+1 more)")  # two findings, one event


def test_non_json_body_is_a_clear_error(store, clock):
    with pytest.raises(ValidationError, match="body is not JSON"):
        ingest_raw(b"<xml/>", store, clock, ttl=TTL)


def test_wrong_types_are_rejected_without_losing_stored_events(store, clock):
    first = load("ecs_task_state_change_running.json")
    ingest(first, store, clock, ttl=TTL)
    bad = dict(first, id="other", account=123456789012)
    result = ingest(bad, store, clock, ttl=TTL)
    assert result.stored == 0
    assert "account must be a string" in result.rejected[0].error
    assert store.get(first["id"], now=int(clock.now())).id == first["id"]


def test_300_kb_event_is_rejected_and_nothing_else_lost(store, clock):
    keep = load("codepipeline_pipeline_execution_failed.json")
    ingest(keep, store, clock, ttl=TTL)
    huge = dict(keep, id="huge", detail={"blob": "x" * 300 * 1024})
    result = ingest([huge, load("health_ec2_issue_minimal.json")], store, clock, ttl=TTL)
    assert result.stored == 1
    assert result.rejected[0].index == 0
    assert "byte limit" in result.rejected[0].error
    assert store.get(keep["id"], now=int(clock.now())).id == keep["id"]


def test_whole_corpus_in_one_store_keeps_each_distinct_id_once(store, clock):
    seen: list[str] = []
    stored = 0
    for path in classic_files():
        result = ingest_raw(path.read_bytes(), store, clock, ttl=TTL)
        seen.extend(result.ids)
        stored += result.stored
    assert len(set(seen)) == DISTINCT_IDS
    assert stored == DISTINCT_IDS
    page = store.list(ListEventsDTO(limit=100, start_date=0), now=int(clock.now()))
    assert sorted(e.id for e in page.items) == sorted(set(seen))


def test_ingest_answer_serialises_as_the_http_contract(store, clock):
    result = ingest(load("ecs_task_state_change_running.json"), store, clock, ttl=TTL)
    assert set(json.loads(result.model_dump_json())) == {
        "stored",
        "duplicates",
        "ids",
        "rejected",
        "rejected_count",
    }


def test_a_failing_interpreter_falls_back_to_generic_and_warns(store, clock, caplog, monkeypatch):
    import bot.sources

    def broken(event, ctx):
        raise KeyError("surprise")

    real = bot.sources.interpreter
    monkeypatch.setattr(
        bot.sources, "interpreter", lambda family: broken if family == "ecs" else real(family)
    )
    event = load("ecs_task_state_change_running.json")
    with caplog.at_level(logging.WARNING, logger="bot.sources"):
        result = ingest(event, store, clock, ttl=TTL)
    assert result.stored == 1
    stored = store.get(event["id"], now=int(clock.now()))
    assert stored.title  # the generic view still names it
    assert any("interpreter ecs failed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "é" * 257}, "id: String should have at most 256 characters"),
    ],
)
def test_out_of_range_fields_reject_only_that_event(store, clock, change, message):
    good = load("ecs_task_state_change_running.json")
    bad = {**good, "id": "bad-one", **change}
    result = ingest([bad, good], store, clock, ttl=TTL)
    assert result.ids == [good["id"]]
    assert message in result.rejected[0].error


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "𝔘" * 251, "source": "aws.ecs", "detail": {}},  # ≤ 256 chars, > 1000 bytes
    ],
    ids=["id over 1000 bytes"],
)
def test_hostile_values_cost_one_event_not_the_batch(store, clock, bad):
    good = load("ecs_task_state_change_running.json")
    result = ingest([bad, good], store, clock, ttl=TTL)
    assert result.ids == [good["id"]]
    assert result.rejected[0].index == 0


def test_a_time_that_cannot_be_read_costs_the_time_not_the_event(store, clock):
    """AWS's own examples carry placeholder times: the event is kept, at its arrival."""
    odd = {"id": "odd-time", "source": "aws.ecs", "detail": {}, "time": "yyyy-mm-ddThh:mm:ssZ"}
    result = ingest(odd, store, clock, ttl=TTL)
    assert (result.stored, result.rejected) == (1, [])
    assert store.get("odd-time", now=int(clock.now())).published_at == int(clock.now())


@pytest.mark.parametrize(
    "number",
    [1e999, -1e999, 10**400, -(10**4000), float("nan")],
    ids=["inf", "-inf", "huge", "4000 digits", "nan"],
)
@pytest.mark.parametrize("where", ["time", "detail"])
def test_a_number_that_is_no_finite_double_is_a_warning_rejection(
    store, clock, caplog, number, where
):
    """Decoded elsewhere (Lambda's runtime reads NaN and any integer), such a number would
    be stored and break what reads it back: its event is rejected, with one warning and
    no traceback; the others in the body are kept."""
    good = load("ecs_task_state_change_running.json")
    bad = {"id": "odd", "source": "aws.ecs", "detail": {"n": 1}, "time": 1}
    if where == "time":
        bad["time"] = number
    else:
        bad["detail"] = {"metrics": [{"period": number}]}
    with caplog.at_level(logging.DEBUG, logger="bot"):
        result = ingest([bad, good], store, clock, ttl=TTL)
    assert result.ids == [good["id"]]
    (rejection,) = result.rejected
    assert rejection.index == 0
    assert "number" in rejection.error
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelname for r in problems] == ["WARNING"]
    assert problems[0].exc_info is None
    assert "rejected 1 of 2 events: 0: event holds" in problems[0].getMessage()


def test_deep_nesting_is_rejected_before_the_store(store, clock):
    deep: dict = {}
    cursor = deep
    for _ in range(300):
        cursor["a"] = {}
        cursor = cursor["a"]
    good = load("ecs_task_state_change_running.json")
    result = ingest([{"source": "aws.ecs", "detail": deep}, good], store, clock, ttl=TTL)
    assert result.ids == [good["id"]]
    assert "nested over 64 levels" in result.rejected[0].error


def test_an_empty_body_is_a_rejection(store, clock):
    result = ingest([], store, clock, ttl=TTL)
    assert result.ids == []
    assert result.rejected[0].error == "the body holds no event"


def test_an_unexpected_error_costs_one_event(store, clock, monkeypatch, caplog):
    """A bug costs its own event. Its traceback is logged once (at 3 a.m. someone needs
    it), and the body's rejections in one warning: a body of such events must not write
    a traceback per event."""
    import bot.ingest

    real = bot.ingest.read_unit

    def flaky(unit, **options):
        if unit.get("id") == "boom":
            raise RuntimeError("bug")
        return real(unit, **options)

    monkeypatch.setattr(bot.ingest, "read_unit", flaky)
    good = load("ecs_task_state_change_running.json")
    with caplog.at_level(logging.INFO, logger="bot"):
        result = ingest([{**good, "id": "boom"}] * 3 + [good], store, clock, ttl=TTL)
    assert result.ids == [good["id"]]
    assert result.rejected[0].error == "could not read event: RuntimeError: bug"
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.levelname, r.exc_info is None) for r in problems] == [
        ("ERROR", False),
        ("WARNING", True),
    ]
    assert "rejected 3 of 4 events: 0: could not read event: RuntimeError: bug" in (
        problems[1].getMessage()
    )


def _summary_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [
        (r.levelno, r.getMessage()) for r in caplog.records if r.getMessage().startswith("ingested")
    ]


def test_one_new_event_is_summarised_at_debug_and_anything_more_at_info(store, clock, caplog):
    """One invocation per event (EventBridge) would otherwise log a line per event."""
    event = load("cloudwatch_alarm_state_change_single_metric.json")
    first, second, third = ({**copy.deepcopy(event), "id": f"evt-{n}"} for n in range(3))
    with caplog.at_level(logging.DEBUG, logger="bot.ingest"):
        ingest(first, store, clock, ttl=3600)
        ingest(first, store, clock, ttl=3600)  # a duplicate
        ingest([second, third], store, clock, ttl=3600)
    assert _summary_lines(caplog) == [
        (logging.DEBUG, "ingested 1 events: 1 stored, 0 duplicates, 0 rejected"),
        (logging.INFO, "ingested 1 events: 0 stored, 1 duplicates, 0 rejected"),
        (logging.INFO, "ingested 2 events: 2 stored, 0 duplicates, 0 rejected"),
    ]
