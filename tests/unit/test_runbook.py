"""An alert's runbook link: the route's, else the alarm description's first https link,
else the enrichment's; https only, and within the length the view allows."""

from __future__ import annotations

import pytest

from bot.models import Alert, Enrichment, Signal
from bot.runbook import first_https_link, https_url, runbook_url
from tests.unit.test_blocks_templates import _signal

LIMIT = 3000
ROUTE = "https://wiki.example/runbooks/route"
TAGGED = "https://wiki.example/runbooks/tagged"


def signal(description: str = "", family: str = "alarm") -> Signal:
    return _signal(family, description)


def alert(runbook: str | None = None, tagged: str | None = None) -> Alert:
    return Alert(
        id="a1",
        fingerprint="fp",
        first_seen=0,
        last_seen=0,
        runbook=runbook,
        enrichment=Enrichment(runbook_url=tagged),
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Runbook: https://wiki.example/cpu", "https://wiki.example/cpu"),
        ("see https://wiki.example/cpu.", "https://wiki.example/cpu"),
        ("(https://wiki.example/cpu)", "https://wiki.example/cpu"),
        ("https://en.example/wiki/Foo_(bar)", "https://en.example/wiki/Foo_(bar)"),
        ("[runbook](https://wiki.example/cpu)", "https://wiki.example/cpu"),
        ("<https://wiki.example/cpu|runbook>", "https://wiki.example/cpu"),
        ('"https://wiki.example/cpu"', "https://wiki.example/cpu"),
        ("http://old.example/x then https://wiki.example/cpu", "https://wiki.example/cpu"),
        ("HTTPS://WIKI.EXAMPLE/CPU", "HTTPS://WIKI.EXAMPLE/CPU"),
        ("https://wiki.example/a?b=1&c=2#run", "https://wiki.example/a?b=1&c=2#run"),
        ("https:// nothing", None),
        ("https://[::1/bad", None),
        ("no link at all", None),
        ("javascript:alert(1) ftp://files.example", None),
    ],
)
def test_the_first_https_link_of_a_text(text: str, found: str | None) -> None:
    assert first_https_link(text) == found


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://wiki.example/r", True),
        ("http://wiki.example/r", False),
        ("https://", False),
        ("https:///path-only", False),
        ("https://x.example/<!channel>", False),
        ("https://x.example/a|b", False),
        ("https://x.example/a b", False),
        ("https://x.example/\n", False),
        (None, False),
        (42, False),
    ],
)
def test_only_whole_https_urls_with_a_host_pass(value: object, ok: bool) -> None:
    assert https_url(value) == (value if ok else None)


def test_a_url_passes_up_to_the_length_it_may_have() -> None:
    url = "https://x.example/" + "a" * (LIMIT - 18)
    assert len(url) == LIMIT and https_url(url, LIMIT) == url
    assert https_url(url + "a", LIMIT) is None
    assert first_https_link(f"see {url}a and https://short.example", LIMIT) == (
        "https://short.example"
    )


def test_the_route_comes_first_then_the_description_then_the_tags() -> None:
    described = signal("Runbook: https://wiki.example/described")
    assert runbook_url(described, alert(ROUTE, TAGGED), LIMIT) == ROUTE
    assert runbook_url(described, alert(None, TAGGED), LIMIT) == "https://wiki.example/described"
    assert runbook_url(signal(), alert(None, TAGGED), LIMIT) == TAGGED
    assert runbook_url(signal(), alert(), LIMIT) is None


def test_with_no_alert_yet_only_the_description_is_read() -> None:
    assert runbook_url(signal("https://wiki.example/d"), None, LIMIT) == "https://wiki.example/d"
    assert runbook_url(signal(), None, LIMIT) is None


def test_only_an_alarms_description_names_a_runbook() -> None:
    """A finding's description links to advice about the finding, not to the team's
    runbook."""
    finding = signal("See https://docs.example/guardduty/finding-types", family="guardduty")
    assert runbook_url(finding, alert(None, TAGGED), LIMIT) == TAGGED
    assert runbook_url(finding, None, LIMIT) is None


def test_an_invalid_or_too_long_candidate_gives_way_to_the_next() -> None:
    too_long = "https://x.example/" + "a" * LIMIT
    assert runbook_url(signal(), alert("http://insecure.example", TAGGED), LIMIT) == TAGGED
    assert runbook_url(signal(), alert(too_long, TAGGED), LIMIT) == TAGGED
    assert runbook_url(signal(), alert(None, "javascript:alert(1)"), LIMIT) is None
    assert runbook_url(signal(), alert(None, too_long), LIMIT) is None
