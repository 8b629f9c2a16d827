"""What one body may cost: at most `max_events` events, a short answer and one log line
however many are rejected, and no number that is not a finite double."""

from __future__ import annotations

import base64
import gzip
import json
import logging

import pytest

from adapters.memory import MemoryEventStore
from bot import strict_json
from bot.cursors import CursorCodec
from bot.envelopes import decode_body, read_unit
from bot.errors import TooManyEventsError, ValidationError
from bot.ingest import ingest, ingest_raw
from bot.models import IngestResult, Rejection
from bot.models.ingest import MAX_LISTED_REJECTIONS
from tests.corpus import load
from tests.e2e.test_corpus_paths import sns_record
from tests.fakes import FakeClock

TTL = 3600


@pytest.fixture
def store() -> MemoryEventStore:
    return MemoryEventStore(CursorCodec("test-secret"))


def stored(store: MemoryEventStore) -> int:
    return sum(1 for _ in store.scan(0, 253402300799, 0))


def events(count: int) -> list[dict]:
    good = load("ecs_task_state_change_running.json")
    return [{**good, "id": f"bounded-{n}"} for n in range(count)]


# --- max_events ------------------------------------------------------------------------------


def test_a_body_over_max_events_is_refused_whole_before_any_unit_is_read(store, monkeypatch):
    import bot.ingest

    def never(*_: object, **__: object) -> None:
        raise AssertionError("a unit was read")

    monkeypatch.setattr(bot.ingest, "read_unit_events", never)
    with pytest.raises(TooManyEventsError, match="holds 130000 events, over the 1000") as err:
        ingest_raw(json.dumps([1] * 130_000), store, FakeClock(), ttl=TTL, max_events=1000)
    assert err.value.status_code == 413
    assert stored(store) == 0


def test_max_events_counts_records_and_entries_not_only_array_items(store):
    records = {"Records": [sns_record(e, f"m-{n}") for n, e in enumerate(events(3))]}
    with pytest.raises(TooManyEventsError, match="holds 3 events"):
        ingest([records], store, FakeClock(), ttl=TTL, max_events=2)
    assert ingest([records], store, FakeClock(), ttl=TTL, max_events=3).stored == 3


def test_a_unit_holding_more_events_than_there_is_room_for_is_refused(store):
    """An SNS message may hold an array: its events count, not the one record."""
    record = sns_record(events(3), "m-1")
    with pytest.raises(TooManyEventsError, match="over 2 events"):
        ingest([*events(1), record], store, FakeClock(), ttl=TTL, max_events=3)
    assert stored(store) == 0  # nothing of a refused body is stored


def test_without_max_events_any_number_is_taken(store):
    """The CLI and the Lambda triggers: their senders are ours, not the network's."""
    assert ingest(events(1200), store, FakeClock(), ttl=TTL).stored == 1200


# --- the answer and the log --------------------------------------------------------------------


def test_rejections_are_listed_up_to_a_hundred_and_counted_all(store):
    body = [{"source": "aws.ec2", "detail": []}] * 250 + events(1)
    result = ingest(body, store, FakeClock(), ttl=TTL)
    assert result.stored == 1
    assert result.rejected_count == 250
    assert len(result.rejected) == MAX_LISTED_REJECTIONS == 100
    assert [r.index for r in result.rejected] == list(range(100))
    assert result.failed_indexes == list(range(250))
    assert set(result.model_dump()) == {"stored", "duplicates", "ids", "rejected", "rejected_count"}


def test_a_result_built_with_its_rejections_counts_them():
    result = IngestResult(rejected=[Rejection(index=0, error="cannot read file")])
    assert (result.rejected_count, result.failed_indexes) == (1, [0])


def test_a_body_s_rejections_are_one_warning_line(store, caplog):
    body = [{"source": "aws.ec2", "detail": []}] * 300
    with caplog.at_level(logging.DEBUG, logger="bot"):
        ingest(body, store, FakeClock(), ttl=TTL)
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1
    message = lines[0].getMessage()
    assert message.startswith("rejected 300 of 300 events: 0: detail must be a JSON object")
    assert "4: detail" in message and "5: detail" not in message
    assert message.endswith("; and 295 more")


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"detail": {"x": NaN}}', "NaN is not a JSON number"),
        ('[{"detail": {"x": Infinity}}]', "Infinity is not a JSON number"),
        ('{"detail": {"x": -Infinity}}', "-Infinity is not a JSON number"),
        ('{"detail": {"x": 1e400}}', "1e400 is beyond the range of a number"),
        ('{"detail": {"x": -' + "9" * 4000 + "}}", "an integer of 4000 digits is beyond"),
    ],
)
def test_a_body_with_a_number_that_is_no_finite_double_is_not_json_we_accept(text, says):
    with pytest.raises(ValidationError, match="body is not JSON we accept") as err:
        decode_body(text)
    assert says in str(err.value)


def test_large_but_finite_numbers_are_read():
    big = "1" + "0" * 308  # 1e308, 309 digits: a double holds it
    assert decode_body(f"[{big}, 1.5e308, -2]") == [10**308, 1.5e308, -2]
    assert strict_json.finite(10**308) and not strict_json.finite(10**309)


def _sns_text(message: str) -> dict:
    record = sns_record({}, "m-1")
    record["Sns"]["Message"] = message
    return record


def _awslogs(payload: str) -> dict:
    return {"awslogs": {"data": base64.b64encode(gzip.compress(payload.encode())).decode()}}


@pytest.mark.parametrize(
    "unit",
    [
        _sns_text('{"a": NaN}'),
        {"Source": "app", "DetailType": "Thing", "Detail": '{"a": Infinity}'},
        _awslogs('{"messageType": "DATA_MESSAGE", "logEvents": [{"id": "1", "timestamp": NaN}]}'),
    ],
    ids=["SNS message", "PutEvents Detail", "Logs subscription data"],
)
def test_json_inside_a_string_is_held_to_the_same_numbers(unit):
    """NaN in an SNS message is refused, not kept as the message's text."""
    with pytest.raises(ValidationError, match=r"not JSON we accept: .*(NaN|Infinity)"):
        read_unit(unit)
