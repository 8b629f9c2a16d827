"""Logs interpreter: an agent's error lines are always a MEDIUM alert, one per log group,
with the first lines quoted and a link that opens the group."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Severity, SignalState
from bot.sources import interpret, logs
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, field_values, make_event
from tests.factories import logs as f
from tests.strategies import assert_readable, junk_like

CTX = Context()
API_LINK = (
    "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
    "#logsV2:log-groups/log-group/%252Faws%252Flambda%252Fapi"
)


def _one(detail: dict, **kwargs):
    [signal] = logs.interpret(make_event(f.LOGS_ERROR, f.SOURCE, detail, **kwargs), CTX)
    return signal


def test_findings_fire_medium_with_count_and_times() -> None:
    detail = f.logs_result(
        ["ERROR a", "ERROR b", "ERROR c"],
        timestamps=[
            "2024-01-01 00:02:00.000",
            "2024-01-01 00:00:00.000",
            "2024-01-01 00:01:00.000",
        ],
    )
    signal = _one(detail)
    assert signal.family == "logs"
    assert signal.title == "3 error line(s) in /aws/lambda/api"
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert signal.fingerprint == "logs:123456789012:us-east-1:/aws/lambda/api"
    assert signal.console_url == API_LINK
    assert field_values(signal) == {
        "Log group": "/aws/lambda/api",
        "Count": "3",
        "First": "2024-01-01 00:00:00.000",
        "Last": "2024-01-01 00:02:00.000",
    }
    assert signal.description == "ERROR a\nERROR b\nERROR c"


def test_description_quotes_only_the_first_lines_each_trimmed_to_one_line() -> None:
    messages = ["Traceback:\n  File x\nValueError", "y" * 1000, *[f"ERROR {i}" for i in range(8)]]
    signal = _one(f.logs_result(messages))
    lines = signal.description.split("\n")
    assert lines[0] == "Traceback: File x ValueError"
    assert len(lines[1]) <= 300
    assert lines[-1] == "… and 5 more"
    assert len(lines) == 6
    assert signal.title == "10 error line(s) in /aws/lambda/api"


def test_every_hour_of_one_group_adds_to_the_same_alert_and_groups_stay_apart() -> None:
    first = _one(f.logs_result(["ERROR a"]))
    again = _one(f.logs_result(["ERROR b", "ERROR c"]))
    other = _one(f.logs_result(["ERROR a"], log_group="/ecs/web"))
    assert first.fingerprint == again.fingerprint
    assert other.fingerprint == "logs:123456789012:us-east-1:/ecs/web"


def test_a_bare_line_detail_is_tolerated() -> None:
    signal = _one(f.log_entry("ERROR lone line", log_group="/app/worker"))
    assert signal.title == "1 error line(s) in /app/worker"
    assert signal.fingerprint == "logs:123456789012:us-east-1:/app/worker"
    assert signal.description == "ERROR lone line"
    assert field_values(signal)["First"] == "2024-01-01 00:00:00.000"


def test_group_name_falls_back_to_the_lines_log_group() -> None:
    detail = f.logs_result(["ERROR a"], log_group="/from/lines")
    del detail["log_group_name"]
    signal = _one(detail)
    assert signal.title == "1 error line(s) in /from/lines"


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_follow_the_partition(region: str, host: str) -> None:
    signal = _one(f.logs_result(), region=region)
    assert signal.console_url == (
        f"{host}/cloudwatch/home?region={region}"
        "#logsV2:log-groups/log-group/%252Faws%252Flambda%252Fapi"
    )
    assert signal.fingerprint == f"logs:123456789012:{region}:/aws/lambda/api"


def test_dispatch_reaches_the_logs_interpreter() -> None:
    [signal] = interpret(make_event(f.LOGS_ERROR, f.SOURCE, f.logs_result()))
    assert signal.family == logs.FAMILY
    assert signal.severity is Severity.MEDIUM


_EVERY_KEY = {**f.logs_result(["a"]), **f.log_entry()}


@settings(max_examples=50, deadline=None)
@given(detail=junk_like(_EVERY_KEY), region=st.sampled_from([None, "us-east-1", "cn-north-1"]))
def test_any_detail_gives_one_firing_signal(detail: object, region: str | None) -> None:
    signal = _one(detail if isinstance(detail, dict) else {"logs": detail}, region=region)
    assert_readable(signal, "logs:123456789012:")
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
