"""Ingest over arbitrary input: the documented validation error is the only way to fail."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory import MemoryEventStore
from bot.envelopes import SNS_DETAIL_TYPE
from bot.errors import ValidationError
from bot.ingest import ingest, ingest_raw
from bot.sources.registry import DETAIL_TYPES
from tests.corpus import accepted_files
from tests.fakes import FakeClock
from tests.strategies import junk, junk_like

ENVELOPE_KEYS = (
    "id", "source", "detail-type", "detail", "account", "region", "time", "resources",
    "Records", "Sns", "Message", "MessageId", "TopicArn", "Timestamp", "Entries",
    "Source", "DetailType", "Detail", "AlarmName", "NewStateValue", "Region",
    "AWSAccountId", "type", "severity", "accountId", "service",
)  # fmt: skip
SAMPLES = [json.loads(p.read_text()) for p in accepted_files()]


def _check(body: object) -> None:
    store = MemoryEventStore()
    result = ingest(body, store, FakeClock(), ttl=3600)
    assert len(result.ids) == result.stored + result.duplicates
    for event_id in set(result.ids):
        event = store.get(event_id, now=0)
        assert event.title and "\n" not in event.title


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(junk(ENVELOPE_KEYS, other_keys=True))
def test_any_json_is_stored_or_rejected_with_a_reason(body):
    _check(body)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(SAMPLES).flatmap(junk_like))
def test_corpus_shaped_junk_is_stored_or_rejected(body):
    _check(body)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([*sorted(DETAIL_TYPES), SNS_DETAIL_TYPE, "Anything Else"]),
    junk(("state", "status", "findings", "severity", "eventTypeCategory")),
)
def test_every_family_takes_any_detail(detail_type, detail):
    body = {"detail-type": detail_type, "detail": detail if isinstance(detail, dict) else {}}
    _check(body)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_json_or_a_clear_error(raw):
    try:
        ingest_raw(raw, MemoryEventStore(), FakeClock(), ttl=3600)
    except ValidationError as err:
        assert str(err).startswith(("body is not JSON", "body is not UTF-8"))
