"""What image scans share, in ECR and in Inspector: finding counts by severity, and what
a scan's counts and status mean.

A scan that counted critical, high or medium findings fires at the worst of them: an
image with them should not be deployed. A completed scan without them resolves, a scan
that failed says nothing of the image, and anything else (in progress…) is news.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.models import Severity, SignalState
from bot.sources.base import console_url, dig, headline, number, parse_arn, words
from bot.sources.console import quote

# finding-severity-counts keys that fire, worst first, with the severity they fire at.
FIRING_COUNTS = (
    ("CRITICAL", Severity.CRITICAL),
    ("HIGH", Severity.HIGH),
    ("MEDIUM", Severity.MEDIUM),
)
COMPLETE = frozenset({"COMPLETE", "COMPLETED"})
FAILED = frozenset({"FAILED"})


@dataclass(frozen=True)
class ScanReading:
    """How one service words its scans: the keys its summaries show, in order, and what
    it calls a finding ("vulnerability", "finding")."""

    shown: tuple[str, ...]
    noun: str

    def summary(self, counts: Mapping[str, int]) -> str:
        """ "10 critical, 2 high, 9 medium": the non-zero counts, worst first."""
        return ", ".join(f"{counts[key]} {key.lower()}" for key in self.shown if counts.get(key))

    def level(self, status: str, counts: Mapping[str, int]) -> tuple[Severity, SignalState, str]:
        """The scan's severity, state and title."""
        found = words(status)
        if found & FAILED:
            return Severity.INFO, SignalState.INFO, f"scan {status}"
        worst = next((severity for key, severity in FIRING_COUNTS if counts.get(key)), None)
        if worst is not None:
            total = sum(counts.get(key, 0) for key in self.shown)
            noun = self.noun if total == 1 else _plural(self.noun)
            return worst, SignalState.FIRING, f"{self.summary(counts)} {noun}"
        if found & COMPLETE:
            none = f"no critical, high or medium {_plural(self.noun)}"
            return Severity.INFO, SignalState.RESOLVED, none
        return Severity.INFO, SignalState.INFO, f"scan {status or 'status unknown'}"


def _plural(noun: str) -> str:
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def finding_counts(value: Any) -> dict[str, int]:
    """finding-severity-counts by upper-case severity; counts that are not numbers are 0."""
    if not isinstance(value, Mapping):
        return {}
    out = {}
    for key, count in value.items():
        found = number(count)
        if isinstance(key, str) and found is not None and 0 < found < float("inf"):
            out[key.strip().upper()] = int(found)
    return out


def repository_name(detail: Any, resources: list[str]) -> str:
    """The scanned repository's name: `repository-name` is its name or, in Inspector's
    scans, its ARN; else the name in a repository ARN among the resources."""
    named = dig(detail, "repository-name")
    for value in (named, *resources):
        parsed = parse_arn(value)
        if parsed is not None and parsed.service == "ecr" and parsed.kind == "repository":
            return headline(parsed.name, 200)
        if value is named and parsed is None and headline(named, 200):
            return headline(named, 200)
    return ""


def image_tags(detail: Any) -> list[str]:
    """image-tags (a scan's list) or image-tag (an action's one tag)."""
    tags = dig(detail, "image-tags")
    listed = [headline(tag, 100) for tag in tags] if isinstance(tags, list) else []
    return [tag for tag in [*listed, headline(dig(detail, "image-tag"), 100)] if tag]


def short_digest(digest: str) -> str:
    """sha256:7f5b2640fe6f: enough of a digest to tell images apart at a glance."""
    algorithm, _, value = digest.partition(":")
    return f"{algorithm}:{value[:12]}" if value else digest[:19]


def image_label(repository: str, digest: str, tags: list[str]) -> str:
    """my-repo:v1, else my-repo@sha256:7f5b2640fe6f, else the repository alone."""
    name = repository or "unknown"
    if tags:
        return f"{name}:{tags[0]}"
    return f"{name}@{short_digest(digest)}" if digest else name


def repository_link(region: str | None, account: str, repository: str) -> str | None:
    """The repository's page in the ECR console, which lists its images and their scan
    results; the registry's repositories without an account or repository."""
    if account and repository:
        path = f"ecr/repositories/private/{quote(account, safe='')}/{quote(repository, safe='')}"
        return console_url(region, path)
    return console_url(region, "ecr/private-registry/repositories")
