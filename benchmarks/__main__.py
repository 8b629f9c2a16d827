"""Run every benchmark and rewrite BENCHMARKS.md with the figures.

`python -m benchmarks bursts cold_start` runs only those sections and prints them,
leaving BENCHMARKS.md as it is; `python -m benchmarks --write bursts` also puts them in
BENCHMARKS.md in place of their earlier figures, and its header says when each was run."""

from __future__ import annotations

import os
import platform
import re
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


def _sections(text: str) -> list[str]:
    return re.split(r"(?m)^(?=## )", text)


def _replaced(text: str, output: str) -> str:
    """BENCHMARKS.md with each section of `output` in place of the one of its heading."""
    parts = _sections(text)
    headings = [part.split("\n", 1)[0] for part in parts]
    for section in _sections(output):
        heading = section.split("\n", 1)[0]
        if not heading.startswith("## "):
            continue
        if heading not in headings:
            raise SystemExit(f"BENCHMARKS.md has no section {heading!r}: run them all")
        parts[headings.index(heading)] = section.rstrip("\n") + "\n\n"
    return "".join(parts).rstrip("\n") + "\n"


def main(names: list[str]) -> int:
    """Every section, written to BENCHMARKS.md; or only the sections named, printed (and
    with --write, put in BENCHMARKS.md)."""
    write = "--write" in names
    names = [name for name in names if name != "--write"]
    unknown = [name for name in names if name not in SECTIONS]
    if unknown or (write and not names):
        print(f"unknown section {', '.join(unknown)}; sections: {', '.join(SECTIONS)}")
        return 2
    if names:
        path = ROOT / "BENCHMARKS.md"
        text = path.read_text() if write else ""
        for name in names:
            section = SECTIONS[name].run()
            print(section)
            text = _replaced(text, section) if write else text
        if write:
            when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
            note = f"- re-run since: {', '.join(names)} on {when}\n"
            text = re.sub(r"(?m)^(- machine: .*\n)", lambda m: m.group(1) + note, text, count=1)
            path.write_text(text)
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
