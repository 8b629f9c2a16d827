"""RDS interpreter: the event categories decide. Failure, failover and low storage are
HIGH, maintenance MEDIUM, recovery and availability resolve, the rest is news; every event
of one source identifier shares its alert. Without categories (an event subscription's SNS
message) the event id's category in AWS's catalogue decides, and availability or recovery
events that are bad news (a shutdown, an error, storage full) fire rather than resolve."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.envelopes import read_unit, split_units
from bot.ingest import read_event
from bot.models import Event, Severity, SignalState
from bot.sources import interpret, rds
from bot.sources.base import Context
from tests.corpus import load
from tests.factories import OTHER_PARTITIONS, T0, corpus, field_values, make_event
from tests.factories import rds as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
EAST1 = "https://us-east-1.console.aws.amazon.com/rds/home?region=us-east-1"
NEUTRAL = "RDS-EVENT-0044"  # "Operator-issued notification": in no category of the catalogue


def _event(
    detail: dict[str, Any], detail_type: str | None = f.INSTANCE, region: str | None = "us-east-1"
) -> Event:
    return make_event(detail_type, f.SOURCE, detail, region=region)


def _one(event: Event):
    [signal] = rds.interpret(event, CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_multi_az_failover_is_high() -> None:
    signal = _one(corpus("rds_db_instance_event_failover.json"))
    assert signal.family == "rds"
    assert signal.title == "RDS DB instance rds:my-db-instance: A Multi-AZ failover has completed."
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert signal.fingerprint == "rds:123456789012:us-east-1:rds:my-db-instance"
    assert signal.console_url == f"{EAST1}#database:id=my-db-instance;is-cluster=false"
    values = field_values(signal)
    assert values["Event ID"] == "RDS-EVENT-0049"
    assert values["Categories"] == "failover"
    assert values["Source type"] == "DB_INSTANCE"


def test_corpus_stopped_instance_notification_is_news() -> None:
    signal = _one(corpus("rds_db_instance_event_notification_stopped.json"))
    assert signal.title == "RDS DB instance testdb: DB instance stopped"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.fingerprint == "rds:111111111111:us-east-1:testdb"


def test_corpus_parameter_group_change_links_to_the_group() -> None:
    signal = _one(corpus("rds_db_parameter_group_event_configuration_change.json"))
    assert signal.title.startswith("RDS DB parameter group rds:my-db-param-group: Updated")
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.console_url == f"{EAST1}#parameter-groups-detail:ids=my-db-param-group"
    assert field_values(signal)["Categories"] == "configuration change"


# ---------------------------------------------------------------------------------------------
# Categories
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("categories", "severity", "state"),
    [
        (["failure"], Severity.HIGH, SignalState.FIRING),
        (["failover"], Severity.HIGH, SignalState.FIRING),
        (["low storage"], Severity.HIGH, SignalState.FIRING),
        (["global-failover"], Severity.HIGH, SignalState.FIRING),
        (["maintenance"], Severity.MEDIUM, SignalState.FIRING),
        (["recovery"], Severity.INFO, SignalState.RESOLVED),
        (["availability"], Severity.INFO, SignalState.RESOLVED),
        (["notification"], Severity.INFO, SignalState.INFO),
        (["backup"], Severity.INFO, SignalState.INFO),
        (["configuration change"], Severity.INFO, SignalState.INFO),
        (["creation"], Severity.INFO, SignalState.INFO),
        (["deletion"], Severity.INFO, SignalState.INFO),
        (["security patching"], Severity.INFO, SignalState.INFO),
        ([], Severity.INFO, SignalState.INFO),
    ],
)
def test_categories_decide_severity(
    categories: list[str], severity: Severity, state: SignalState
) -> None:
    detail = f.rds_event(*categories, message="Something happened", event_id=NEUTRAL)
    signal = _one(_event(detail))
    assert (signal.severity, signal.state) == (severity, state)
    assert signal.title == "RDS DB instance mydb: Something happened"


@pytest.mark.parametrize(
    ("categories", "severity", "state"),
    [
        (["maintenance", "failure"], Severity.HIGH, SignalState.FIRING),
        (["availability", "maintenance"], Severity.MEDIUM, SignalState.FIRING),
        (["notification", "recovery"], Severity.INFO, SignalState.RESOLVED),
        (["LOW STORAGE"], Severity.HIGH, SignalState.FIRING),
        (["low_storage"], Severity.HIGH, SignalState.FIRING),
    ],
)
def test_the_worst_category_wins_and_spelling_does_not_matter(
    categories: list[str], severity: Severity, state: SignalState
) -> None:
    signal = _one(_event(f.rds_event(*categories, event_id=NEUTRAL)))
    assert (signal.severity, signal.state) == (severity, state)


def test_categories_are_whole_names() -> None:
    detail = f.rds_event("failures-and-more", "unavailability")
    signal = _one(_event(detail))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)


def test_a_lone_category_string_counts() -> None:
    detail = f.rds_event()
    detail["EventCategories"] = "failure"
    assert _one(_event(detail)).severity is Severity.HIGH


def test_recovery_resolves_the_failure_of_the_same_instance() -> None:
    failure = f.rds_event("failure", message="The instance has failed", event_id="RDS-EVENT-0031")
    recovery = f.rds_event("recovery", message="Recovery is complete", event_id="RDS-EVENT-0021")
    failed = _one(_event(failure))
    recovered = _one(_event(recovery))
    other = _one(_event(f.rds_event("failure", identifier="otherdb")))
    assert failed.state is SignalState.FIRING
    assert (recovered.severity, recovered.state) == (Severity.INFO, SignalState.RESOLVED)
    assert recovered.fingerprint == failed.fingerprint == "rds:123456789012:us-east-1:mydb"
    assert other.fingerprint == "rds:123456789012:us-east-1:otherdb"


# ---------------------------------------------------------------------------------------------
# Event ids: subscription messages carry no categories
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_id", "severity", "state", "category"),
    [
        ("RDS-EVENT-0031", Severity.HIGH, SignalState.FIRING, "failure"),
        ("RDS-EVENT-0195", Severity.HIGH, SignalState.FIRING, "failure"),  # maintenance, failure
        ("RDS-EVENT-0049", Severity.HIGH, SignalState.FIRING, "failover"),
        ("RDS-EVENT-0069", Severity.HIGH, SignalState.FIRING, "failover"),
        ("RDS-EVENT-0187", Severity.HIGH, SignalState.FIRING, "global failover"),
        ("RDS-EVENT-0089", Severity.HIGH, SignalState.FIRING, "low storage"),
        ("RDS-EVENT-0026", Severity.MEDIUM, SignalState.FIRING, "maintenance"),
        ("RDS-EVENT-0192", Severity.MEDIUM, SignalState.FIRING, "maintenance"),
        ("RDS-EVENT-0021", Severity.INFO, SignalState.RESOLVED, "recovery"),
        ("RDS-EVENT-0006", Severity.INFO, SignalState.RESOLVED, "availability"),
        ("RDS-EVENT-0002", Severity.INFO, SignalState.INFO, ""),  # backup
        ("RDS-EVENT-9999", Severity.INFO, SignalState.INFO, ""),
    ],
)
def test_without_categories_the_event_id_decides(
    event_id: str, severity: Severity, state: SignalState, category: str
) -> None:
    signal = _one(_event(f.subscription_message(event_id)))
    assert (signal.severity, signal.state) == (severity, state)
    assert field_values(signal).get("Categories", "") == category
    assert field_values(signal)["Event ID"] == event_id


@pytest.mark.parametrize(
    ("event_id", "category"),
    [
        ("RDS-EVENT-0004", "availability"),  # DB instance shutdown
        ("RDS-EVENT-0022", "availability"),  # error restarting
        ("RDS-EVENT-0221", "availability"),  # storage full, shut down
        ("RDS-EVENT-0222", "availability"),  # free storage low
        ("RDS-EVENT-0020", "recovery"),  # recovery started
        ("RDS-EVENT-0052", "recovery"),  # Multi-AZ recovery started
    ],
)
def test_bad_news_in_availability_and_recovery_fires(event_id: str, category: str) -> None:
    with_categories = _one(_event(f.rds_event(category, event_id=event_id)))
    from_the_id = _one(_event(f.subscription_message(event_id)))
    for signal in (with_categories, from_the_id):
        assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)


def test_bad_news_does_not_lift_other_categories() -> None:
    signal = _one(_event(f.rds_event("notification", event_id="RDS-EVENT-0004")))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)


@pytest.mark.parametrize(
    ("categories", "event_id", "severity", "state"),
    [
        (["notification"], "RDS-EVENT-0173", Severity.INFO, SignalState.INFO),
        (["notification"], "RDS-EVENT-0031", Severity.INFO, SignalState.INFO),
        (["failover"], "RDS-EVENT-0021", Severity.HIGH, SignalState.FIRING),
        (["recovery"], "RDS-EVENT-0031", Severity.INFO, SignalState.RESOLVED),
    ],
)
def test_the_event_s_own_categories_win_over_the_catalogue(
    categories: list[str], event_id: str, severity: Severity, state: SignalState
) -> None:
    signal = _one(_event(f.rds_event(*categories, event_id=event_id)))
    assert (signal.severity, signal.state) == (severity, state)
    assert field_values(signal)["Categories"] == ", ".join(categories)


@pytest.mark.parametrize(
    "written",
    [
        "http://docs.amazonwebservices.com/AmazonRDS/latest/UserGuide/USER_Events.html#RDS-EVENT-0031",
        "rds-event-0031",
        " RDS-EVENT-0031\n",
    ],
)
def test_the_event_id_is_read_alone_or_at_the_end_of_a_link(written: str) -> None:
    signal = _one(_event(f.subscription_message(written)))
    assert (signal.severity, signal.state) == (Severity.HIGH, SignalState.FIRING)
    assert field_values(signal)["Event ID"] == "RDS-EVENT-0031"


@pytest.mark.parametrize(
    "written",
    [
        "RDS-EVENT-0031 and more",
        "XRDS-EVENT-0031",
        "RDS-EVENT-031",
        "",
        None,
        31,
        ["RDS-EVENT-0031"],
    ],
)
def test_anything_else_in_the_event_id_is_no_id(written: object) -> None:
    detail = f.subscription_message()
    detail["EventID"] = written
    signal = _one(_event(detail))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)


def test_a_subscription_failure_is_resolved_by_its_recovery() -> None:
    failed = _one(_event(f.subscription_message("RDS-EVENT-0031")))
    shutdown = _one(_event(f.subscription_message("RDS-EVENT-0004")))
    recovered = _one(_event(f.subscription_message("RDS-EVENT-0021")))
    assert failed.state is shutdown.state is SignalState.FIRING
    assert recovered.state is SignalState.RESOLVED
    assert failed.fingerprint == shutdown.fingerprint == recovered.fingerprint


def test_a_reduced_event_with_only_an_event_id_is_read_by_its_shape() -> None:
    signal = _one(_event(f.subscription_message("RDS-EVENT-0026"), detail_type=None))
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)


def test_an_sns_subscription_message_is_read_through_its_event_id() -> None:
    unit = load("sns_rds_db_instance_backup_finished.json")
    sns = unit["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["Event ID"] = message["Event ID"].replace("RDS-EVENT-0002", "RDS-EVENT-0221")
    message["Event Message"] = "DB instance has reached the storage-full threshold"
    sns["Message"] = json.dumps(message)
    [raw] = read_unit(next(split_units(unit)))
    assert raw.detail["EventID"] == "RDS-EVENT-0221"
    assert "EventCategories" not in raw.detail
    event, _ = read_event(raw, received_at=T0, ttl=3600, ctx=CTX)
    assert event.family == rds.FAMILY
    assert (event.severity, event.state) == (Severity.HIGH, SignalState.FIRING)


def test_the_catalogue_files_each_id_once_and_bad_news_only_where_it_would_resolve() -> None:
    assert all(key.startswith("RDS-EVENT-") and len(key) == 14 for key in rds.EVENT_CATEGORIES)
    assert set(rds.EVENT_CATEGORIES.values()) <= (
        rds.HIGH_CATEGORIES | rds.MEDIUM_CATEGORIES | rds.RESOLVING_CATEGORIES
    )
    for code in rds.BAD_NEWS:
        assert rds.EVENT_CATEGORIES[code] in rds.RESOLVING_CATEGORIES, code


# ---------------------------------------------------------------------------------------------
# Sources: clusters, snapshots, proxies
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detail_type", "source_type", "kind", "label", "fragment"),
    [
        (f.CLUSTER, "CLUSTER", "cluster", "DB cluster", "database:id=aurora;is-cluster=true"),
        (f.SNAPSHOT, "SNAPSHOT", "snapshot", "DB snapshot", "db-snapshot:id=aurora"),
        (
            f.CLUSTER_SNAPSHOT,
            "CLUSTER_SNAPSHOT",
            "cluster-snapshot",
            "DB cluster snapshot",
            "db-cluster-snapshot:id=aurora",
        ),
        (f.PROXY, "DB_PROXY", "db-proxy", "DB proxy", "proxies:"),
    ],
)
def test_each_source_type_is_named_and_linked(
    detail_type: str, source_type: str, kind: str, label: str, fragment: str
) -> None:
    detail = f.rds_event("failure", identifier="aurora", source_type=source_type, kind=kind)
    signal = _one(_event(detail, detail_type))
    assert signal.title == f"RDS {label} aurora: DB instance shutdown"
    assert signal.console_url == f"{EAST1}#{fragment}"
    assert signal.fingerprint == "rds:123456789012:us-east-1:aurora"


def test_an_unknown_source_type_is_named_from_the_detail_type() -> None:
    detail = f.rds_event("notification", source_type="SOMETHING_NEW")
    signal = _one(_event(detail, f.SECURITY_GROUP))
    assert signal.title == "RDS DB security group mydb: DB instance shutdown"


def test_the_identifier_falls_back_to_the_arn() -> None:
    detail = f.rds_event("failure", identifier="fromarn")
    del detail["SourceIdentifier"]
    signal = _one(_event(detail))
    assert signal.title.startswith("RDS DB instance fromarn:")
    assert signal.fingerprint == "rds:123456789012:us-east-1:fromarn"


def test_the_message_is_shown_whole_and_the_title_stays_one_line() -> None:
    message = "Line one of a long message.\n" + "x" * 600
    signal = _one(_event(f.rds_event("notification", message=message)))
    assert "\n" not in signal.title
    assert field_values(signal)["Message"].startswith("Line one of a long message.\nxxx")
    assert len(field_values(signal)["Message"]) <= 500


def test_without_a_message_the_categories_make_the_title() -> None:
    detail = f.rds_event("low storage")
    del detail["Message"]
    assert _one(_event(detail)).title == "RDS DB instance mydb: low storage"


# ---------------------------------------------------------------------------------------------
# Partitions, reduced events, dispatch and robustness
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_follow_the_partition(region: str, host: str) -> None:
    signal = _one(_event(f.rds_event("failure", region=region), region=region))
    assert signal.console_url == (
        f"{host}/rds/home?region={region}#database:id=mydb;is-cluster=false"
    )
    assert signal.fingerprint == f"rds:123456789012:{region}:mydb"


def test_region_comes_from_the_source_arn_when_the_event_lacks_it() -> None:
    signal = _one(_event(f.rds_event("failure", region="eu-west-1"), region=None))
    assert signal.region == "eu-west-1"
    assert signal.fingerprint == "rds:123456789012:eu-west-1:mydb"


def test_no_link_without_a_region() -> None:
    detail = f.rds_event("failure")
    del detail["SourceArn"]
    signal = _one(_event(detail, region=None))
    assert signal.region is None
    assert signal.console_url is None
    assert signal.severity is Severity.HIGH


def test_a_reduced_event_without_detail_type_is_read_by_its_shape() -> None:
    signal = _one(_event(f.rds_event("maintenance"), detail_type=None))
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert signal.title == "RDS DB instance mydb: DB instance shutdown"


def test_dispatch_reaches_the_rds_interpreter() -> None:
    [signal] = interpret(corpus("rds_db_instance_event_failover.json"))
    assert signal.family == rds.FAMILY
    assert signal.state is SignalState.FIRING


def test_cloudtrail_calls_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event("AWS API Call via CloudTrail", f.SOURCE, {"eventName": "RebootDBInstance"})
    assert_left_to_generic(rds.interpret, event)


@settings(max_examples=60, deadline=None)
@given(
    detail_type=st.sampled_from([f.INSTANCE, f.CLUSTER, f.PROXY]),
    detail=junk_like(f.rds_event("failure", "maintenance")),
    resources=st.lists(st.sampled_from([f.source_arn()]) | st.text(), max_size=2),
)
def test_any_detail_gives_one_readable_signal(
    detail_type: str | None, detail: object, resources: list[str]
) -> None:
    body = detail if isinstance(detail, dict) else {"EventCategories": detail}
    event = make_event(detail_type, f.SOURCE, body, resources=resources)
    [signal] = rds.interpret(event, CTX)
    assert_readable(signal, "rds:123456789012:us-east-1:")
