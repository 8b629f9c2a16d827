"""What every interpreter shares: headlines and fields that refuse objects, titles kept on
one short line by make_signal, ARN helpers, console links that never leave the AWS console
whatever region an event claims, and family modules that take their helpers from base."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.models import Severity, SignalState
from bot.sources.base import (
    TITLE_LIMIT,
    Context,
    arn_parts,
    console_url,
    fields,
    fingerprint,
    first_line,
    headline,
    humanize,
    locate,
    make_signal,
    scalar,
)
from bot.sources.console import SERVICES, arn_console_url
from tests.factories import OTHER_PARTITIONS, arn, make_event

# ---------------------------------------------------------------------------------------------
# Headlines
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], {}, [], None])
def test_headline_refuses_objects(value: object) -> None:
    assert headline(value) == ""
    assert first_line(value) == ""
    assert scalar(value) == ""


def test_headline_shows_scalars() -> None:
    assert headline(12.5) == "12.5"
    assert headline(3) == "3"
    assert headline(True) == "true"


def test_headline_collapses_newlines_and_whitespace_runs() -> None:
    assert headline("  CREATE_FAILED\nsecond\r\nline\t end  ") == "CREATE_FAILED second line end"


def test_headline_caps_its_length_with_an_ellipsis() -> None:
    assert len(headline("x" * 400)) == TITLE_LIMIT == 150
    assert headline("x" * 400).endswith("…")
    assert headline("word " * 20, 11) == "word word…"  # no space before the ellipsis
    assert headline("x" * 150) == "x" * 150


def test_first_line_skips_blank_lines() -> None:
    assert first_line("\n\n  Disk almost full  \nmore") == "Disk almost full"


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("jobRunId", "Job run ID"),
        ("INSTANCE_STORE_DRIVE", "Instance store drive"),
        ("Event Source", "Event Source"),
        ("s3ObjectDetails", "S3 object details"),
        ("EC2InstanceId", "EC2 instance ID"),
        ("topic_arn", "Topic ARN"),
        ("", ""),
    ],
)
def test_humanize(key: str, label: str) -> None:
    assert humanize(key) == label


def test_fields_leave_out_empty_values_and_never_dump_objects() -> None:
    shown = fields([("a", {"x": 1}), ("b", [1]), ("c", 0), ("d", ""), ("e", None), ("f", 2.5)])
    assert [(f.label, f.value) for f in shown] == [("c", "0"), ("f", "2.5")]


def test_fingerprint_keeps_empty_parts_as_dashes() -> None:
    assert fingerprint("ecs", "1", None, "", {"a": 1}, "web") == "ecs:1:-:-:-:web"


# ---------------------------------------------------------------------------------------------
# make_signal
# ---------------------------------------------------------------------------------------------


def _signal(title: str, detail_type: str | None = "Something Happened"):
    return make_signal(
        make_event(detail_type, "custom.app", {}),
        Context(),
        family="generic",
        title=title,
        severity=Severity.INFO,
        state=SignalState.INFO,
        fingerprint="x",
    )


def test_make_signal_puts_the_title_on_one_short_line() -> None:
    assert _signal("Stack a\nFAILED\r\n  now").title == "Stack a FAILED now"
    long = _signal("y" * 1000).title
    assert len(long) == 150
    assert long.endswith("…")


def test_make_signal_falls_back_to_the_detail_type_then_the_source() -> None:
    assert _signal(" \n ").title == "Something Happened"
    assert _signal("", detail_type="Line\nBreak").title == "Line Break"
    assert _signal("", detail_type=None).title == "custom.app"


# ---------------------------------------------------------------------------------------------
# ARNs
# ---------------------------------------------------------------------------------------------


def test_arn_parts() -> None:
    assert arn_parts("arn:aws:ecs:us-east-1:1:service/c/s") == ["service", "c", "s"]
    assert arn_parts("arn:aws:rds:us-east-1:1:db:mydb") == ["db:mydb"]
    assert arn_parts("not an arn") == []
    assert arn_parts(42) == []


def test_locate_prefers_the_event_then_the_first_arn_that_knows() -> None:
    reduced = make_event("X", "custom.app", {}, account="", region=None)
    stack = arn("cloudformation", "stack/s/1", region="cn-north-1", account="111111111111")
    assert locate(reduced, None, "junk", stack) == ("111111111111", "cn-north-1")
    assert locate(make_event("X", "custom.app", {}), stack) == ("123456789012", "us-east-1")


# ---------------------------------------------------------------------------------------------
# Console links
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("eu-west-1", "https://eu-west-1.console.aws.amazon.com"),
        *OTHER_PARTITIONS,
    ],
)
def test_console_url_follows_the_partition(region: str, host: str) -> None:
    assert console_url(region, "/ecs/home", "x", {"a": "b c"}) == (
        f"{host}/ecs/home?region={region}&a=b%20c#x"
    )


@pytest.mark.parametrize(
    "region",
    [
        "evil.example/phish#",
        "evil.example",
        "us-east-1.evil.example",
        "us-east-1@evil.example",
        "us-east-1\n",
        "US-EAST-1",
        "EXAMPLE",
        "",
        None,
    ],
)
def test_no_link_for_a_region_that_is_not_a_region_code(region: str | None) -> None:
    """A region becomes part of a host name: an unknown or missing one gives no link,
    never one invented for some other region."""
    assert console_url(region, "cloudwatch/home", "alarmsV2:alarm/x") is None


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:lambda:eu-west-1:123456789012:function:orders",
         "https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/orders"),
        ("arn:aws-us-gov:ec2:us-gov-west-1:123456789012:instance/i-0abc",
         "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1"
         "#InstanceDetails:instanceId=i-0abc"),
        ("arn:aws-cn:rds:cn-north-1:123456789012:db:orders",
         "https://console.amazonaws.cn/rds/home?region=cn-north-1"
         "#database:id=orders;is-cluster=false"),
        ("arn:aws:iam::123456789012:role/deployer",
         "https://console.aws.amazon.com/iam/home#/roles/deployer"),
        ("arn:aws:s3:::my-bucket",
         "https://console.aws.amazon.com/s3/buckets/my-bucket"),
        ("arn:aws:ecs:us-east-1:123456789012:service/prod/web",
         "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/services/web?region=us-east-1"),
    ],
)  # fmt: skip
def test_arn_links_open_the_resource_in_its_partition(arn: str, expected: str) -> None:
    assert arn_console_url(arn) == expected


def test_arn_links_cover_many_services_and_refuse_what_is_not_an_arn() -> None:
    assert len(SERVICES) >= 25
    assert arn_console_url("arn:aws:lambda:EXAMPLE:123456789012:function:x") is None
    assert arn_console_url("arn:aws:unknownservice:us-east-1:1:thing") is None
    assert arn_console_url("not an arn") is None
    assert arn_console_url(42) is None


# ---------------------------------------------------------------------------------------------
# One home for shared helpers
# ---------------------------------------------------------------------------------------------

SOURCES = Path(__file__).resolve().parents[2] / "bot" / "sources"
# Modules of helpers that families share: the base, the registry, console links, scans,
# and what an alarm watches (read as data for its graph too).
HELPERS = {"base", "registry", "console", "scans", "alarm_queries"}
FAMILIES = sorted(p for p in SOURCES.glob("*.py") if p.stem not in {"__init__", *HELPERS})


@pytest.mark.parametrize("path", FAMILIES, ids=lambda p: p.stem)
def test_family_modules_import_no_other_family(path: Path) -> None:
    """Helpers live in the helper modules; a family that imported another would make it a
    library."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "bot.sources":
            imported.update(f"bot.sources.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    ours = {name for name in imported if name.startswith("bot.sources.")}
    assert ours <= {f"bot.sources.{name}" for name in HELPERS}, sorted(ours)
