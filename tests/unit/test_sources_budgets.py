"""AWS Budgets interpreter: read from the SNS text AWS Budgets writes. An ACTUAL alert is
MEDIUM, a FORECASTED one is news, and every alert of one budget shares its alert."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, SignalState
from bot.sources import budgets, interpret
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, corpus_sns, field_values, make_event
from tests.factories import budgets as f
from tests.strategies import TEXT, assert_left_to_generic, assert_readable

CTX = Context()
LINK = "https://us-east-1.console.aws.amazon.com/costmanagement/home?region=us-east-1#/budgets"


def _corpus() -> Event:
    """The ACTUAL alert of the corpus, as the bot stores an SNS text notification."""
    sns = corpus_sns("edge_sns_budgets_actual_threshold_exceeded.json")
    detail = {
        "subject": sns["Subject"],
        "message": sns["Message"],
        "topic_arn": sns["TopicArn"],
        "attributes": {},
    }
    return make_event(f.NOTIFICATION, f.SOURCE, detail, account="", region="us-east-1")


def _event(detail: dict[str, object], region: str | None = "us-east-1") -> Event:
    return make_event(f.NOTIFICATION, f.SOURCE, detail, region=region)


def _one(event: Event):
    [signal] = budgets.interpret(event, CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


def test_corpus_actual_alert_is_medium() -> None:
    signal = _one(_corpus())
    assert signal.family == "budgets"
    assert signal.title == "Budget monthly-total: ACTUAL $812.47 (threshold > $800.00)"
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert signal.fingerprint == "budgets:111122223333:us-east-1:monthly-total"
    assert signal.account == "111122223333"
    assert signal.console_url == LINK
    values = field_values(signal)
    assert values["Budgeted amount"] == "$1,000.00"
    assert values["Alert type"] == "ACTUAL"
    assert values["Amount"] == "$812.47"
    assert values["Budget type"] == "Cost"
    assert signal.description.startswith("You requested that we alert you when the ACTUAL Cost")


# ---------------------------------------------------------------------------------------------
# Actual and forecasted
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alert_type", "severity", "state"),
    [
        ("ACTUAL", Severity.MEDIUM, SignalState.FIRING),
        ("FORECASTED", Severity.INFO, SignalState.INFO),
    ],
)
def test_alert_type_decides_severity(
    alert_type: str, severity: Severity, state: SignalState
) -> None:
    signal = _one(_event(f.notification(alert_type)))
    assert (signal.severity, signal.state) == (severity, state)
    assert signal.title == f"Budget MyBudget: {alert_type} $85.23 (threshold > $80.00)"
    assert field_values(signal)["Alert threshold"] == "> $80.00"


def test_forecast_and_overrun_of_one_budget_share_its_alert() -> None:
    forecast = _one(_event(f.notification("FORECASTED", amount="$120.00")))
    actual = _one(_event(f.notification("ACTUAL")))
    other = _one(_event(f.notification("ACTUAL", name="Other")))
    assert forecast.fingerprint == actual.fingerprint == "budgets:123456789012:us-east-1:MyBudget"
    assert other.fingerprint == "budgets:123456789012:us-east-1:Other"


def test_the_alert_type_is_read_from_the_sentence_without_its_line() -> None:
    text = f.message("FORECASTED").replace("Alert Type: FORECASTED\n", "")
    signal = _one(_event(f.notification(text=text)))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert field_values(signal)["Alert type"] == "FORECASTED"
    assert field_values(signal)["Amount"] == "$85.23"


def test_alert_types_are_whole_words() -> None:
    text = f.message("ACTUALLY").replace("when the ACTUALLY", "when the")
    signal = _one(_event(f.notification(text=text)))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert "Alert type" not in field_values(signal)


def test_the_budget_name_falls_back_to_the_subject() -> None:
    detail = f.notification(name="team-ml", text="Your budget needs attention.")
    signal = _one(_event(detail))
    assert signal.title == "Budget team-ml: alert"
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)
    assert signal.fingerprint == "budgets:123456789012:us-east-1:team-ml"


def test_a_usage_budget_keeps_its_units() -> None:
    detail = f.notification(budgeted="500.00 GB", threshold="> 400.00 GB", amount="431.20 GB")
    signal = _one(_event(detail))
    assert signal.title == "Budget MyBudget: ACTUAL 431.20 GB (threshold > 400.00 GB)"
    assert signal.severity is Severity.MEDIUM


def test_account_and_region_come_from_the_topic_and_the_text() -> None:
    detail = f.notification(region="eu-west-1", account="210987654321")
    detail["topic_arn"] = "not an arn"
    signal = _one(make_event(f.NOTIFICATION, f.SOURCE, detail, account="", region="eu-west-1"))
    assert signal.account == "210987654321"
    reduced = f.notification(region="eu-central-1", account="210987654321")
    located = _one(make_event(f.NOTIFICATION, f.SOURCE, reduced, account="", region=None))
    assert (located.account, located.region) == ("210987654321", "eu-central-1")


def test_a_huge_text_is_read_quickly() -> None:
    text = "Budget Name: " + " " * 200_000 + "x\n" + "\n" * 100_000 + "Alert Type: ACTUAL\n"
    signal = _one(_event(f.notification(text=text)))
    assert len(signal.title) <= 150


# ---------------------------------------------------------------------------------------------
# Partitions, dispatch and robustness
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_follow_the_partition(region: str, host: str) -> None:
    signal = _one(_event(f.notification(region=region), region=region))
    assert signal.console_url == f"{host}/costmanagement/home?region={region}#/budgets"
    assert signal.fingerprint == f"budgets:123456789012:{region}:MyBudget"


def test_no_link_without_a_region() -> None:
    detail = f.notification()
    detail["topic_arn"] = ""
    signal = _one(_event(detail, region=None))
    assert signal.region is None
    assert signal.console_url is None
    assert signal.severity is Severity.MEDIUM


def test_a_reduced_event_without_detail_type_is_read_by_its_shape() -> None:
    event = make_event(None, f.SOURCE, f.notification())
    assert _one(event).title == "Budget MyBudget: ACTUAL $85.23 (threshold > $80.00)"


def test_dispatch_reaches_the_budgets_interpreter() -> None:
    [signal] = interpret(_corpus())
    assert signal.family == budgets.FAMILY
    assert signal.severity is Severity.MEDIUM


def test_cloudtrail_calls_of_the_source_are_left_to_the_generic_view() -> None:
    event = make_event("AWS API Call via CloudTrail", f.SOURCE, {"eventName": "CreateBudget"})
    assert_left_to_generic(budgets.interpret, event)


_LINES = st.sampled_from(
    [
        "Budget Name: ",
        "Alert Type: ",
        "Alert Threshold: ",
        "ACTUAL Amount: ",
        "FORECASTED Amount: ",
        "when the ",
        "\n",
        "\n\n",
        "alert you ",
    ]
)


@settings(max_examples=80, deadline=None)
@given(
    pieces=st.lists(_LINES | TEXT, max_size=12),
    subject=st.none() | TEXT | st.integers(),
    topic=st.none() | TEXT | st.just("arn:aws:sns:us-east-1:123456789012:t"),
)
def test_any_text_gives_one_readable_signal(
    pieces: list[str], subject: object, topic: object
) -> None:
    detail = {"subject": subject, "message": "".join(pieces), "topic_arn": topic}
    [signal] = budgets.interpret(_event(detail), CTX)
    assert_readable(signal, "budgets:123456789012:us-east-1:")
    assert signal.severity in (Severity.MEDIUM, Severity.INFO)


@settings(max_examples=30, deadline=None)
@given(message=st.none() | st.integers() | st.lists(TEXT) | st.dictionaries(TEXT, TEXT))
def test_a_message_that_is_not_text_never_raises(message: object) -> None:
    [signal] = budgets.interpret(_event({"message": message}), CTX)
    assert_readable(signal, "budgets:123456789012:us-east-1:")
