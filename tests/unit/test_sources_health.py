"""AWS Health interpreter: issues fire, scheduled changes and notices inform, closed events
resolve, odd categories are tolerated, and links open the partition's Health dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import health, interpret
from bot.sources.base import Context
from tests.corpus import load
from tests.factories import corpus, field_values, make_event
from tests.factories import health as f
from tests.strategies import assert_readable, junk_object

CTX = Context()
EC2_ARN = (
    "arn:aws:health:us-west-2::event/AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED_"
    "90353408594353980"
)


def _one(event: Event) -> Signal:
    [signal] = health.interpret(event, CTX)
    return signal


def _event(
    *, account: str = "123456789012", detail_type: str = f.DETAIL_TYPE, **kwargs: Any
) -> Event:
    detail = f.event_detail(**kwargs)
    return make_event(detail_type, f.SOURCE, detail, account=account, region="us-east-1")


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_ec2_issue_fires_high() -> None:
    signal = _one(corpus("health_ec2_issue_minimal.json"))
    assert signal.family == "health"
    assert signal.title == "EC2: Instance store drive performance degraded"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == f"health:123456789012:{EC2_ARN}"
    assert signal.console_url == (
        f"https://health.aws.amazon.com/health/home#/account/event-log?eventID={EC2_ARN}"
    )
    assert signal.description == "A description of the event will be provided here"
    assert signal.region == "us-west-2"  # no eventRegion: the event's
    assert signal.resource == "i-abcd1111"
    assert field_values(signal) == {
        "Service": "EC2",
        "Event type": "AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED",
        "Category": "issue",
        "Start": "Sat, 05 Jun 2016 15:10:09 GMT",
        "Affected entities": "i-abcd1111",
    }


def test_corpus_put_events_scheduled_change_is_medium_info() -> None:
    [entry] = load("health_putevents_entry_ecs_task_patching_scheduled_change.json")
    detail = json.loads(entry["Detail"])
    event = make_event(entry["DetailType"], entry["Source"], detail, region="us-east-1")
    [signal] = interpret(event)  # the detail-type, not the made-up source, picks the family
    assert signal.family == "health"
    assert signal.title == "ECS: Task patching retirement"
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.INFO)
    assert signal.fingerprint == f"health:123456789012:{detail['eventArn']}"
    shown = field_values(signal)
    assert shown["Affected entities"] == "cluster/service1, cluster/service2"
    assert shown["Region"] == "us-east-1"
    assert shown["End"] == "Fri, 18 Aug 2023 23:18:51 GMT"
    assert signal.description.startswith("\\nAsoftwareupdatehasbeendeployedtoFargate")


def test_corpus_nonstandard_category_is_tolerated_as_a_notice() -> None:
    signal = _one(corpus("health_test_event_nonstandard_category.json"))
    assert signal.title == "EC2: Health test event"
    assert (signal.severity, signal.state) == (Severity.LOW, SignalState.INFO)
    assert signal.description == "something is wrong"
    assert "Affected entities" not in field_values(signal)
    assert signal.resource == "arn:aws:health:us-east-1::event/AWS_HEALTH_TEST_ALERT"


# ---------------------------------------------------------------------------------------------
# Categories, status and identity
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "severity", "state"),
    [
        ("issue", Severity.HIGH, SignalState.FIRING),
        ("ISSUE", Severity.HIGH, SignalState.FIRING),
        ("investigation", Severity.MEDIUM, SignalState.FIRING),
        ("scheduledChange", Severity.MEDIUM, SignalState.INFO),
        ("SCHEDULEDCHANGE", Severity.MEDIUM, SignalState.INFO),
        ("accountNotification", Severity.LOW, SignalState.INFO),
        ("category", Severity.LOW, SignalState.INFO),
        ("", Severity.LOW, SignalState.INFO),
    ],
)
def test_category_gives_severity_and_state(
    category: str, severity: Severity, state: SignalState
) -> None:
    signal = _one(_event(category=category))
    assert (signal.severity, signal.state) == (severity, state)


@pytest.mark.parametrize("category", ["issue", "scheduledChange", "accountNotification"])
def test_closed_resolves_the_same_alert(category: str) -> None:
    open_ = _one(_event(category=category, status="open"))
    closed = _one(_event(category=category, status="Closed"))
    assert (closed.severity, closed.state) == (Severity.INFO, SignalState.RESOLVED)
    assert closed.fingerprint == open_.fingerprint


def test_fingerprints_differ_across_accounts_and_events() -> None:
    base = _one(_event()).fingerprint
    assert _one(_event(account="210987654321")).fingerprint != base
    assert _one(_event(code="AWS_EC2_OTHER")).fingerprint != base


def test_abuse_events_are_health_events() -> None:
    event = _event(detail_type=f.ABUSE, service="ABUSE", code="AWS_ABUSE_DOS_REPORT")
    [signal] = interpret(event)
    assert signal.family == "health"
    assert signal.title == "ABUSE: DOS report"
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)


def test_many_entities_are_counted_not_listed() -> None:
    entities = [f"i-{n:04d}" for n in range(12)]
    shown = field_values(_one(_event(entities=entities)))
    assert shown["Affected entities"].endswith("i-0009 (+2 more)")


def test_missing_entities_leave_the_arn_as_resource() -> None:
    signal = _one(_event(entities=[]))
    assert "Affected entities" not in field_values(signal)
    assert signal.resource.startswith("arn:aws:health:us-east-1::event/EC2/")


# ---------------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------------


def test_govcloud_event_links_to_the_govcloud_dashboard() -> None:
    signal = _one(_event(region="us-gov-east-1"))
    assert signal.region == "us-gov-east-1"
    assert signal.console_url == (
        "https://health.amazonaws-us-gov.com/health/home#/account/event-log?eventID="
        "arn:aws-us-gov:health:us-gov-east-1::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/"
        "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED_1"
    )


def test_china_event_links_to_the_china_dashboard() -> None:
    signal = _one(_event(region="cn-north-1"))
    assert signal.console_url is not None
    assert signal.console_url.startswith(
        "https://health.amazonaws.cn/health/home#/account/event-log?eventID=arn:aws-cn:health:"
    )


def test_without_an_arn_the_region_picks_the_dashboard() -> None:
    detail = f.event_detail(region="us-gov-west-1")
    del detail["eventArn"]
    event = make_event(f.DETAIL_TYPE, f.SOURCE, detail, event_id="evt-no-arn")
    signal = _one(event)
    assert signal.console_url == (
        "https://health.amazonaws-us-gov.com/health/home#/account/dashboard/open-issues"
    )
    assert signal.fingerprint == "health:123456789012:evt-no-arn"


def test_arn_characters_are_quoted_in_the_link() -> None:
    signal = _one(_event(arn="arn:aws:health:us-east-1::event/EC2/X Y#1"))
    assert signal.console_url is not None
    assert signal.console_url.endswith("eventID=arn:aws:health:us-east-1::event/EC2/X%20Y%231")


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------

_KEYS = [*f.event_detail(), "affectedEntities", "entityValue", "latestDescription", "language"]


@settings(max_examples=50, deadline=None)
@given(detail=junk_object(_KEYS))
def test_any_detail_still_gives_one_signal(detail: dict[str, Any]) -> None:
    [signal] = health.interpret(make_event(f.DETAIL_TYPE, f.SOURCE, detail), CTX)
    assert_readable(signal, "health:123456789012:")
    assert signal.console_url is not None
    assert signal.console_url.startswith("https://health.")
