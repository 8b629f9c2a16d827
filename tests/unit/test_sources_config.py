"""Config interpreter: a resource becoming NON_COMPLIANT with a rule fires MEDIUM on the
alert of the rule and the resource, which the same rule finding it COMPLIANT resolves;
NOT_APPLICABLE, INSUFFICIENT_DATA and Config's other events are news."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Severity, SignalState
from bot.sources import config, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus, field_values, make_event, one_signal
from tests.factories import config as f
from tests.strategies import assert_left_to_generic, assert_readable, junk_like

CTX = Context()
KEY = "config:123456789012:us-east-1:required-tags:AWS::EC2::Instance:i-0123456789abcdef0"
RULE_LINK = (
    "https://us-east-1.console.aws.amazon.com/config/home?region=us-east-1"
    "#/rules/details?configRuleName=required-tags"
)


_one = partial(one_signal, config.interpret, f.SOURCE)


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_compliant_again_resolves_the_rule_and_resource() -> None:
    [signal] = config.interpret(
        corpus("config_rules_compliance_change_compliant_redacted.json"), CTX
    )
    assert signal.family == "config"
    assert signal.title == (
        "Config rule config-rule-f6815e21a2b9a86e: AWS::S3::Bucket "
        "terraform-20190813125905278500000001 COMPLIANT"
    )
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.RESOLVED)
    assert signal.fingerprint.endswith(
        ":eu-central-1:config-rule-f6815e21a2b9a86e:AWS::S3::Bucket:"
        "terraform-20190813125905278500000001"
    )
    assert field_values(signal)["Previously"] == "NON_COMPLIANT"


def test_corpus_configuration_item_change_is_news() -> None:
    [signal] = config.interpret(
        corpus("config_configuration_item_change_sqs_create_custodian.json"), CTX
    )
    assert signal.title == "Config: AWS::SQS::Queue config-changes CREATE"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.resource == "arn:aws:sqs:us-east-1:662108712480:config-changes"
    assert field_values(signal)["Item status"] == "ResourceDiscovered"


# ---------------------------------------------------------------------------------------------
# Compliance
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("compliance", "severity", "state"),
    [
        ("NON_COMPLIANT", Severity.MEDIUM, SignalState.FIRING),
        ("COMPLIANT", Severity.INFO, SignalState.RESOLVED),
        ("NOT_APPLICABLE", Severity.INFO, SignalState.INFO),
        ("INSUFFICIENT_DATA", Severity.INFO, SignalState.INFO),
        ("", Severity.INFO, SignalState.INFO),
    ],
)
def test_compliance_decides(compliance: str, severity: Severity, state: SignalState) -> None:
    signal = _one(f.COMPLIANCE_CHANGE, f.compliance_change(compliance))
    assert (signal.severity, signal.state) == (severity, state)
    assert signal.fingerprint == KEY
    assert signal.console_url == RULE_LINK
    assert signal.title == (
        "Config rule required-tags: AWS::EC2::Instance i-0123456789abcdef0 "
        f"{compliance or 'compliance unknown'}"
    )


def test_non_compliant_is_never_read_as_compliant() -> None:
    for spelling in ("NON_COMPLIANT", "non_compliant", "NON COMPLIANT"):
        assert _one(f.COMPLIANCE_CHANGE, f.compliance_change(spelling)).state is SignalState.FIRING


def test_compliant_again_resolves_the_non_compliance() -> None:
    failed = _one(f.COMPLIANCE_CHANGE, f.compliance_change("NON_COMPLIANT", "COMPLIANT"))
    fixed = _one(f.COMPLIANCE_CHANGE, f.compliance_change("COMPLIANT", "NON_COMPLIANT"))
    assert (failed.state, fixed.state) == (SignalState.FIRING, SignalState.RESOLVED)
    assert failed.fingerprint == fixed.fingerprint == KEY


@pytest.mark.parametrize(
    "change",
    [
        {"rule": "s3-encrypted"},
        {"resource_id": "i-0fffffffffffffff0"},
        {"resource_type": "AWS::EC2::Volume"},
    ],
)
def test_rules_and_resources_have_alerts_of_their_own(change: dict[str, str]) -> None:
    base = _one(f.COMPLIANCE_CHANGE, f.compliance_change())
    other = _one(f.COMPLIANCE_CHANGE, f.compliance_change(**change))
    assert base.fingerprint != other.fingerprint


def test_names_fall_back_to_the_evaluation_qualifier() -> None:
    detail = f.compliance_change(annotation="Tag 'owner' is missing")
    for key in ("configRuleName", "resourceType", "resourceId"):
        del detail[key]
    signal = _one(f.COMPLIANCE_CHANGE, detail)
    assert signal.fingerprint == KEY
    values = field_values(signal)
    assert values["Annotation"] == "Tag 'owner' is missing"
    assert values["Previously"] == "COMPLIANT"
    assert values["Recorded"] == "2023-11-14T22:13:20.000Z"


def test_a_first_evaluation_has_no_previous_result() -> None:
    signal = _one(f.COMPLIANCE_CHANGE, f.compliance_change("NON_COMPLIANT", None))
    assert signal.state is SignalState.FIRING
    assert "Previously" not in field_values(signal)


# ---------------------------------------------------------------------------------------------
# Other Config events
# ---------------------------------------------------------------------------------------------


def test_configuration_item_changes_are_news_on_the_resource_timeline() -> None:
    signal = _one(f.ITEM_CHANGE, f.item_change("UPDATE"))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.title == "Config: AWS::EC2::SecurityGroup web-sg UPDATE"
    assert signal.console_url == (
        "https://us-east-1.console.aws.amazon.com/config/home?region=us-east-1"
        "#/resources/timeline?resourceId=sg-0123456789abcdef0"
        "&resourceType=AWS%3A%3AEC2%3A%3ASecurityGroup"
    )


def test_an_oversized_item_change_is_read_from_its_summary() -> None:
    detail = f.item_change("UPDATE")
    detail["configurationItemSummary"] = detail.pop("configurationItem")
    signal = _one("Config Oversized Configuration Item Change", detail)
    assert signal.title == "Config: AWS::EC2::SecurityGroup web-sg UPDATE"
    assert signal.state is SignalState.INFO


def test_other_config_detail_types_are_readable_news() -> None:
    signal = _one(f.SNAPSHOT_DELIVERY, f.snapshot_delivery())
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.title == (
        "Config Configuration Snapshot Delivery Status: ConfigurationSnapshotDeliveryCompleted"
    )
    assert field_values(signal)["S3 bucket"] == "config-bucket"


# ---------------------------------------------------------------------------------------------
# Links, partitions, dispatch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_and_keys_follow_the_partition(region: str, host: str) -> None:
    signal = _one(f.COMPLIANCE_CHANGE, f.compliance_change(region=region), region=region)
    assert signal.console_url == (
        f"{host}/config/home?region={region}#/rules/details?configRuleName=required-tags"
    )
    assert signal.fingerprint == KEY.replace("us-east-1", region)


def test_account_and_region_come_from_the_detail_when_the_envelope_lacks_them() -> None:
    signal = _one(
        f.COMPLIANCE_CHANGE, f.compliance_change(region="eu-west-1"), region=None, account=""
    )
    assert signal.fingerprint == KEY.replace("us-east-1", "eu-west-1")
    assert signal.console_url == RULE_LINK.replace("us-east-1", "eu-west-1")


def test_no_link_when_the_region_is_unknown() -> None:
    detail = f.compliance_change()
    del detail["awsRegion"], detail["configRuleARN"]
    signal = _one(f.COMPLIANCE_CHANGE, detail, region=None)
    assert signal.console_url is None
    assert signal.state is SignalState.FIRING


def test_dispatch_reaches_the_config_interpreter() -> None:
    [signal] = interpret(corpus("config_rules_compliance_change_compliant_redacted.json"))
    assert signal.family == config.FAMILY
    assert signal.state is SignalState.RESOLVED


def test_a_reduced_event_without_detail_type_is_read_by_its_shape() -> None:
    compliance = _one(None, f.compliance_change())
    item = _one(None, f.item_change())
    other = _one(None, f.snapshot_delivery())
    assert (compliance.state, compliance.fingerprint) == (SignalState.FIRING, KEY)
    assert item.title == "Config: AWS::EC2::SecurityGroup web-sg UPDATE"
    assert other.state is SignalState.INFO


def test_cloudtrail_calls_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event("AWS API Call via CloudTrail", f.SOURCE, {"eventName": "PutConfigRule"})
    assert_left_to_generic(config.interpret, event)


@settings(max_examples=60, deadline=None)
@given(
    detail_type=st.sampled_from([f.COMPLIANCE_CHANGE, f.ITEM_CHANGE, f.SNAPSHOT_DELIVERY, None]),
    detail=junk_like({**f.compliance_change(annotation="a"), **f.item_change()}),
)
def test_any_detail_gives_a_readable_signal(detail_type: str | None, detail: object) -> None:
    event = make_event(
        detail_type,
        f.SOURCE,
        detail if isinstance(detail, dict) else {"configRuleName": detail},
    )
    [signal] = config.interpret(event, CTX)
    assert_readable(signal, "config:123456789012:us-east-1:")
