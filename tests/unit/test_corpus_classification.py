"""Every corpus file's every unit is read as tests/data/aws/expected.csv says: its shape,
family, state and severity, or its refusal by name. The table is written by hand from
what AWS documents each event to mean; see tests/data/aws/SOURCES.md for the samples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.envelopes import SHAPE_NAMES, NotAnEventError, read_unit
from bot.errors import ValidationError
from bot.ingest import read_event
from bot.sources import Context
from bot.sources.registry import FAMILIES
from tests.corpus import corpus_files, expectations, expected_for, mismatch, units

T0 = 1_700_000_000
CTX = Context()
REQUEST_KEYS = re.compile(r"request.?id|correlation.?id|x-amz-id", re.IGNORECASE)


def request_ids(value: object) -> set[str]:
    """The values a detail holds under request-id keys: never what a title names."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if REQUEST_KEYS.search(str(key)) and isinstance(inner, str) and len(inner) > 8:
                found.add(inner)
            found |= request_ids(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= request_ids(inner)
    return found


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_each_unit_is_read_as_the_table_says(path: Path) -> None:
    problems = []
    for index, unit in enumerate(units(path)):
        expected = expected_for(path.name, index)
        where = f"{path.name}[{index}]"
        if expected.state == "rejected":
            with pytest.raises(ValidationError) as refused:
                read_unit(unit)
            kind = getattr(refused.value, "kind", "unrecognised")
            assert kind == expected.shape, f"{where}: refused as {kind}: {refused.value}"
            assert str(refused.value), where
            continue
        raws = read_unit(unit)
        if expected.state == "ignored":
            assert raws == [], f"{where}: a control message makes no event"
            continue
        assert raws, f"{where}: no event read"
        for raw in raws:
            assert raw.shape == expected.shape, f"{where}: read as {raw.shape}"
            event, _ = read_event(raw, received_at=T0, ttl=3600, ctx=CTX)
            problem = mismatch(expected, event.family, event.state.value, event.severity.value)
            if problem:
                problems.append(problem)
            assert event.title.strip() and "\n" not in event.title, where
            named = [rid for rid in request_ids(event.detail) if rid in event.title]
            assert not named, f"{where}: the title names a request id: {event.title}"
            assert not event.title.lstrip().startswith(("{", "[")), where
    assert not problems, "\n".join(problems)


def test_the_table_covers_every_file_and_uses_known_words() -> None:
    named = {e.file for e in expectations()}
    files = {p.name for p in corpus_files()}
    assert files - named == set(), "every corpus file needs a row"
    assert named - files == set(), "every row needs its file"
    for row in expectations():
        if row.state in ("rejected", "ignored"):
            assert row.severity == "-", row
            continue
        assert row.shape in SHAPE_NAMES, row
        assert row.family in FAMILIES, row
        assert row.state in ("firing", "resolved", "info"), row
        assert row.severity in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"), row


def test_refusals_name_what_the_payload_is() -> None:
    refused = [e for e in expectations() if e.refused and e.shape != "unrecognised"]
    assert len({e.shape for e in refused}) >= 5
    for row in refused:
        unit = units(Path(__file__).parents[1] / "data" / "aws" / row.file)[
            0 if row.unit == "*" else int(row.unit)
        ]
        with pytest.raises(NotAnEventError, match="not an event"):
            read_unit(unit)
