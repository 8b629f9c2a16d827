"""Figures the reliability suites print at the end of a run (RELIABILITY.md quotes them).

A test records what it tried and what held, e.g. `figures.add("faults", "429 storm",
"120 events, 120 roots, 0 doubled")`; pytest's terminal summary lists every line, so the
counts in RELIABILITY.md are the ones a run really gave."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Figures:
    """(suite, case, result) lines in the order the tests ran."""

    lines: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, suite: str, case: str, result: str) -> None:
        self.lines.append((suite, case, result))

    def render(self) -> list[str]:
        """Each line, suite by suite (each suite's own lines in the order they ran, also
        when pytest-xdist workers ran them side by side)."""
        ordered = sorted(self.lines, key=lambda line: line[0])
        return [f"[{suite}] {case}: {result}" for suite, case, result in ordered]


FIGURES = Figures()
