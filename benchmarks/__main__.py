"""Run every benchmark and rewrite BENCHMARKS.md with the figures.

`python -m benchmarks bursts cold_start` runs only those sections and prints them,
leaving BENCHMARKS.md as it is."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import (
    alert_lifecycle,
    bursts,
    cold_start,
    daily_report,
    dynamodb_ingest,
    enrichment,
    ingest_throughput,
    store_latency,
    storm,
)

ROOT = Path(__file__).resolve().parents[1]


SECTIONS = {
    module.__name__.rsplit(".", 1)[-1]: module
    for module in (
        ingest_throughput,
        dynamodb_ingest,
        alert_lifecycle,
        storm,
        enrichment,
        bursts,
        cold_start,
        store_latency,
        daily_report,
    )
}


def main(names: list[str]) -> int:
    """Every section, written to BENCHMARKS.md; or only the sections named, printed."""
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        print(f"unknown section {', '.join(unknown)}; sections: {', '.join(SECTIONS)}")
        return 2
    if names:
        for name in names:
            print(SECTIONS[name].run())
        return 0
    sections = [module.run() for module in SECTIONS.values()]
    header = (
        "# Benchmarks\n\n"
        "Written by `make bench` (`python -m benchmarks`); each figure says how it was "
        "measured. Each goal is stated beside its figure; figures are reported as measured, "
        "met or not.\n\n"
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}\n"
        f"- machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}\n"
    )
    text = header + "\n" + "\n".join(sections)
    (ROOT / "BENCHMARKS.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
