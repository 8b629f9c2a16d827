"""Reading a Prometheus text exposition back in tests."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Key = tuple[str, tuple[tuple[str, str], ...]]


def parse(text: str) -> dict[Key, float]:
    """Every sample: (name, sorted labels) → value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def samples(exported) -> dict[Key, float]:
    """The samples of a PrometheusMetrics' registry."""
    return parse(exported.exposition().decode())
