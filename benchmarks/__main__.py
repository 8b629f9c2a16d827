"""Run every benchmark and rewrite BENCHMARKS.md with the figures."""

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


def main() -> int:
    sections = [
        ingest_throughput.run(),
        dynamodb_ingest.run(),
        alert_lifecycle.run(),
        storm.run(),
        enrichment.run(),
        bursts.run(),
        cold_start.run(),
        store_latency.run(),
        daily_report.run(),
    ]
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
    sys.exit(main())
