"""Logs interpreter: error lines are always a MEDIUM alert. Lines of one log group with the
same error signature (numbers, UUIDs, hex and resource ids masked) are one alert, whether
they came from the hourly sweep or one at a time from a subscription filter."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Event, Severity, Signal, SignalState
from bot.sources import interpret, logs
from bot.sources.base import Context
from tests.factories import OTHER_PARTITIONS, field_values, make_event
from tests.factories import logs as f
from tests.strategies import assert_readable, junk_like

CTX = Context()
ACCOUNT = "123456789012"
API = "/aws/lambda/api"
API_LINK = (
    "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
    "#logsV2:log-groups/log-group/%252Faws%252Flambda%252Fapi"
)
FIRING = (Severity.MEDIUM, SignalState.FIRING)
T_2024 = 1_704_067_200_000  # 2024-01-01T00:00:00Z in epoch milliseconds


def _print(group: str, signature: str, account: str = ACCOUNT, region: str = "us-east-1") -> str:
    """The documented fingerprint: logs, account, region, group and the signature's digest."""
    digest = hashlib.sha256(signature.encode("utf-8")).hexdigest()[:16]
    return f"logs:{account}:{region}:{group}:{digest}"


def _sweep(detail: Any, **kwargs: Any) -> list[Signal]:
    return logs.interpret(make_event(f.LOGS_ERROR, f.SOURCE, detail, **kwargs), CTX)


def _one(detail: Any, **kwargs: Any) -> Signal:
    [signal] = _sweep(detail, **kwargs)
    return signal


def _line_event(
    message: str,
    *,
    group: str = API,
    stream: str = "2024/01/01/[$LATEST]abc",
    timestamp: Any = T_2024,
    **kwargs: Any,
) -> Event:
    """One line of subscription data, as the envelope parser makes it."""
    detail = {
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": ["errors"],
        "owner": ACCOUNT,
        "message": message,
        "timestamp": timestamp,
    }
    return make_event(logs.SUBSCRIPTION_LINE, "aws.logs", detail, **kwargs)


def _line(message: str, **kwargs: Any) -> Signal:
    [signal] = logs.interpret(_line_event(message, **kwargs), CTX)
    return signal


# ---------------------------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Timeout after 30 ms on attempt 2", "Timeout after <n> ms on attempt <n>"),
        ("took 1.25 s", "took <n> s"),
        ("request 8f5e2c1a-1b2c-4d3e-9f0a-5a7b3c2d1e0f failed", "request <id> failed"),
        ("REQUEST 8F5E2C1A-1B2C-4D3E-9F0A-5A7B3C2D1E0F FAILED", "REQUEST <id> FAILED"),
        ("segfault at 0x7ffe12ab", "segfault at <hex>"),
        ("commit 9f86d081884c7d65 broke it", "commit <hex> broke it"),
        ("instance i-0abc1234def567890 stopped", "instance <id> stopped"),
        ("sg-12345678 and sg-0a1b2c3d denied", "<id> and <id> denied"),  # one rule for both
        ("attach sg-12345678 failed", "attach <id> failed"),
        ("  ERROR\n\tspread   over\nlines ", "ERROR spread over lines"),
        ("ERROR plain words stay", "ERROR plain words stay"),
        ("", ""),
    ],
)
def test_signature_masks_what_changes_between_occurrences(message: str, expected: str) -> None:
    assert logs.signature(message) == expected


def test_signature_is_bounded() -> None:
    assert len(logs.signature("word " * 1000)) == 500


def test_lines_differing_only_in_numbers_hex_and_uuids_share_signature_and_fingerprint() -> None:
    first = (
        "ERROR job 17 failed after 3.5 s at 0x7ffe12ab "
        "(request 8f5e2c1a-1b2c-4d3e-9f0a-5a7b3c2d1e0f, commit 9f86d081884c7d65)"
    )
    second = (
        "ERROR job 982 failed after 0.25 s at 0xdeadbeef "
        "(request 00000000-aaaa-4bbb-8ccc-123456789abc, commit 0a1b2c3d4e5f6a7b)"
    )
    expected = "ERROR job <n> failed after <n> s at <hex> (request <id>, commit <hex>)"
    assert logs.signature(first) == logs.signature(second) == expected
    a, b = _one(f.logs_result([first])), _one(f.logs_result([second]))
    assert a.fingerprint == b.fingerprint == _print(API, expected)
    # One sweep holding both is one signal that counts two lines.
    [both] = _sweep(f.logs_result([first, second]))
    assert both.fingerprint == a.fingerprint
    assert field_values(both)["Count"] == "2"


def test_a_different_message_is_a_different_signature_and_alert() -> None:
    a = _one(f.logs_result(["ERROR job 17 failed"]))
    b = _one(f.logs_result(["ERROR job 17 timed out"]))
    assert logs.signature("ERROR job 17 failed") != logs.signature("ERROR job 17 timed out")
    assert a.fingerprint != b.fingerprint


# ---------------------------------------------------------------------------------------------
# The hourly sweep
# ---------------------------------------------------------------------------------------------


def test_findings_fire_medium_with_count_and_times() -> None:
    detail = f.logs_result(
        ["ERROR timeout after 30 ms", "ERROR timeout after 45 ms", "ERROR timeout after 7 ms"],
        timestamps=[
            "2024-01-01 00:02:00.000",
            "2024-01-01 00:00:00.000",
            "2024-01-01 00:01:00.000",
        ],
    )
    signal = _one(detail)
    assert signal.family == "logs"
    assert signal.title == "3 error lines in /aws/lambda/api: ERROR timeout after 30 ms"
    assert (signal.severity, signal.state) == FIRING
    assert signal.fingerprint == _print(API, "ERROR timeout after <n> ms")
    assert signal.resource == API
    assert signal.console_url == API_LINK
    assert field_values(signal) == {
        "Log group": "/aws/lambda/api",
        "Signature": "ERROR timeout after <n> ms",
        "Count": "3",
        "First": "2024-01-01T00:00:00Z",
        "Last": "2024-01-01T00:02:00Z",
    }
    assert signal.description == (
        "ERROR timeout after 30 ms\nERROR timeout after 45 ms\nERROR timeout after 7 ms"
    )


def test_a_sweep_with_two_signatures_gives_two_signals() -> None:
    detail = f.logs_result(
        ["ERROR db timeout after 30 ms", "WARN disk full", "ERROR db timeout after 9 ms"],
        timestamps=[
            "2024-01-01 00:00:00.000",
            "2024-01-01 00:01:00.000",
            "2024-01-01 00:05:00.000",
        ],
    )
    timeout, disk = _sweep(detail)  # in the order each signature first appears
    assert timeout.title == "2 error lines in /aws/lambda/api: ERROR db timeout after 30 ms"
    assert timeout.fingerprint == _print(API, "ERROR db timeout after <n> ms")
    assert field_values(timeout)["Count"] == "2"
    assert field_values(timeout)["Last"] == "2024-01-01T00:05:00Z"
    assert timeout.description == "ERROR db timeout after 30 ms\nERROR db timeout after 9 ms"
    assert disk.title == "Error in /aws/lambda/api: WARN disk full"
    assert disk.fingerprint == _print(API, "WARN disk full")
    assert field_values(disk)["Count"] == "1"
    assert field_values(disk)["First"] == field_values(disk)["Last"] == "2024-01-01T00:01:00Z"
    assert disk.description == "WARN disk full"
    for signal in (timeout, disk):
        assert (signal.severity, signal.state) == FIRING
        assert signal.console_url == API_LINK


def test_description_quotes_only_the_first_lines_each_trimmed_to_one_line() -> None:
    messages = [f"Traceback {i}:\n  File x, line {i}\nValueError" for i in range(10)]
    [signal] = _sweep(f.logs_result(messages))
    lines = signal.description.split("\n")
    assert lines[0] == "Traceback 0: File x, line 0 ValueError"
    assert lines[4] == "Traceback 4: File x, line 4 ValueError"
    assert lines[-1] == "… and 5 more"
    assert len(lines) == 6
    assert signal.title == "10 error lines in /aws/lambda/api: Traceback 0:"
    assert field_values(signal)["Signature"] == "Traceback <n>: File x, line <n> ValueError"


def test_a_long_line_is_clipped_in_the_description_and_signature() -> None:
    [signal] = _sweep(f.logs_result(["y" * 1000]))
    assert len(signal.description) == 300
    assert signal.description.endswith("…")
    assert len(field_values(signal)["Signature"]) == 200
    assert len(signal.title) <= 150


def test_every_hour_of_one_group_adds_to_the_same_alert_and_groups_stay_apart() -> None:
    first = _one(f.logs_result(["ERROR timeout after 30 ms"]))
    again = _one(f.logs_result(["ERROR timeout after 31 ms", "ERROR timeout after 99 ms"]))
    other = _one(f.logs_result(["ERROR timeout after 30 ms"], log_group="/ecs/web"))
    assert first.fingerprint == again.fingerprint
    assert other.fingerprint == _print("/ecs/web", "ERROR timeout after <n> ms")
    assert other.fingerprint != first.fingerprint


def test_another_account_is_another_alert() -> None:
    here = _one(f.logs_result(["ERROR a"]))
    there = _one(f.logs_result(["ERROR a"]), account="210987654321")
    assert there.fingerprint == _print(API, "ERROR a", account="210987654321")
    assert there.fingerprint != here.fingerprint


def test_a_bare_line_detail_is_tolerated() -> None:
    signal = _one(f.log_entry("ERROR lone line", log_group="/app/worker"))
    assert signal.title == "Error in /app/worker: ERROR lone line"
    assert signal.fingerprint == _print("/app/worker", "ERROR lone line")
    assert signal.description == "ERROR lone line"
    assert field_values(signal)["First"] == "2024-01-01T00:00:00Z"


def test_group_name_falls_back_to_the_lines_log_group() -> None:
    detail = f.logs_result(["ERROR a"], log_group="/from/lines")
    del detail["log_group_name"]
    signal = _one(detail)
    assert signal.title == "Error in /from/lines: ERROR a"
    assert signal.fingerprint == _print("/from/lines", "ERROR a")


def test_a_sweep_without_lines_is_still_one_alert_of_its_group() -> None:
    signal = _one({"log_group_name": API, "logs": []})
    assert signal.title == "Error in /aws/lambda/api"
    assert (signal.severity, signal.state) == FIRING
    assert signal.fingerprint == _print(API, "")
    assert field_values(signal) == {"Log group": API, "Count": "0"}


# ---------------------------------------------------------------------------------------------
# Subscription lines
# ---------------------------------------------------------------------------------------------


def test_a_subscription_line_is_one_signal() -> None:
    signal = _line("ERROR timeout after 30 ms\n  at handler (index.js:12)")
    assert signal.family == "logs"
    assert (signal.severity, signal.state) == FIRING
    assert signal.title == "Error in /aws/lambda/api: ERROR timeout after 30 ms"
    assert signal.fingerprint == _print(API, "ERROR timeout after <n> ms at handler (index.js:<n>)")
    assert signal.console_url == API_LINK
    assert signal.resource == API
    assert field_values(signal) == {
        "Log group": API,
        "Signature": "ERROR timeout after <n> ms at handler (index.js:<n>)",
        "Count": "1",
        "First": "2024-01-01T00:00:00Z",  # epoch milliseconds, shown as ISO
        "Last": "2024-01-01T00:00:00Z",
        "Log stream": "2024/01/01/[$LATEST]abc",
    }


def test_subscription_lines_are_one_signal_each_and_one_alert_per_signature() -> None:
    events = [
        _line_event("ERROR timeout after 30 ms", timestamp=T_2024),
        _line_event("ERROR timeout after 45 ms", timestamp=T_2024 + 60_000),
        _line_event("ERROR disk full", timestamp=T_2024 + 120_000),
    ]
    signals = [interpret(event, CTX) for event in events]  # through dispatch
    assert [len(found) for found in signals] == [1, 1, 1]
    a, b, c = (found[0] for found in signals)
    assert all(s.family == logs.FAMILY for s in (a, b, c))
    assert a.fingerprint == b.fingerprint
    assert c.fingerprint != a.fingerprint
    assert field_values(b)["First"] == "2024-01-01T00:01:00Z"


def test_a_subscription_line_and_a_sweep_line_share_the_alert() -> None:
    line = _line("ERROR timeout after 30 ms")
    [swept] = _sweep(f.logs_result(["ERROR timeout after 999 ms"]))
    assert line.fingerprint == swept.fingerprint == _print(API, "ERROR timeout after <n> ms")


def test_a_subscription_line_of_another_group_is_another_alert() -> None:
    line = _line("ERROR timeout after 30 ms", group="/ecs/web")
    [swept] = _sweep(f.logs_result(["ERROR timeout after 30 ms"]))
    assert line.fingerprint != swept.fingerprint


def test_a_subscription_line_without_message_still_fires() -> None:
    event = make_event(logs.SUBSCRIPTION_LINE, "aws.logs", {"logGroup": API, "logStream": "s"})
    [signal] = logs.interpret(event, CTX)
    assert (signal.severity, signal.state) == FIRING
    assert signal.title == "Error in /aws/lambda/api"


# ---------------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "host"), OTHER_PARTITIONS)
def test_links_follow_the_partition(region: str, host: str) -> None:
    signal = _one(f.logs_result(), region=region)
    assert signal.console_url == (
        f"{host}/cloudwatch/home?region={region}"
        "#logsV2:log-groups/log-group/%252Faws%252Flambda%252Fapi"
    )
    assert signal.fingerprint == _print(API, "ERROR something broke", region=region)


@pytest.mark.parametrize("region", [None, "EXAMPLE"])
def test_no_link_without_a_region(region: str | None) -> None:
    assert _one(f.logs_result(), region=region).console_url is None
    assert _line("ERROR x", region=region).console_url is None


def test_a_group_name_is_quoted_twice_in_the_link() -> None:
    signal = _line("ERROR x", group="/ecs/web app", region="eu-west-1")
    assert signal.console_url == (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
        "#logsV2:log-groups/log-group/%252Fecs%252Fweb%2520app"
    )


def test_dispatch_reaches_the_logs_interpreter() -> None:
    [signal] = interpret(make_event(f.LOGS_ERROR, f.SOURCE, f.logs_result()))
    assert signal.family == logs.FAMILY
    assert signal.severity is Severity.MEDIUM


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [253_402_300_800_000, 10**16])
def test_a_timestamp_beyond_year_9999_does_not_crash(value: int) -> None:
    [swept] = _sweep({"log_group_name": API, "logs": [{"message": "ERROR a", "timestamp": value}]})
    line = _line("ERROR a", timestamp=value)
    for signal in (swept, line):
        assert signal.family == "logs"
        assert (signal.severity, signal.state) == FIRING
        assert signal.fingerprint == _print(API, "ERROR a")


_EVERY_KEY = {**f.logs_result(["a"]), **f.log_entry(), "logGroup": API, "logStream": "s"}


@settings(max_examples=50, deadline=None)
@given(
    detail=junk_like(_EVERY_KEY),
    region=st.sampled_from([None, "us-east-1", "cn-north-1"]),
    detail_type=st.sampled_from([f.LOGS_ERROR, logs.SUBSCRIPTION_LINE]),
)
def test_any_detail_gives_firing_signals_one_per_signature(
    detail: object, region: str | None, detail_type: str
) -> None:
    detail = detail if isinstance(detail, dict) else {"logs": detail}
    event = make_event(detail_type, f.SOURCE, detail, region=region)
    signals = logs.interpret(event, CTX)
    assert signals
    if detail_type == logs.SUBSCRIPTION_LINE:
        assert len(signals) == 1
    assert len({s.fingerprint for s in signals}) == len(signals)
    for signal in signals:
        assert_readable(signal, f"logs:{ACCOUNT}:")
        assert (signal.severity, signal.state) == FIRING
