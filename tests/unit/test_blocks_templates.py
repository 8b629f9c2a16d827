"""blocks.templates: every family has a bundled template, every `{{ }}` is mrkdwn-escaped
(in operators' templates too), and TEMPLATES_DIR overrides a family without breaking
alerts when the override is wrong."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from blocks.templates import BUNDLED_DIR, environment, render
from bot.models import Severity, Signal, SignalField, SignalState
from bot.sources.registry import FAMILIES

EVIL = "<!channel> <https://evil.example|click> & <@U123>"
EVIL_SHOWN = "&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; &lt;@U123&gt;"


def _signal(family: str = "alarm", description: str = "CPU is high", **kwargs) -> Signal:
    return Signal(
        family=family,
        title="CpuHigh",
        severity=Severity.HIGH,
        state=SignalState.FIRING,
        fingerprint="fp",
        description=description,
        **kwargs,
    )


def _context(signal: Signal) -> dict:
    return {"signal": signal, "fields": {f.label: f.value for f in signal.fields}}


def _override(tmp_path: Path, family: str, text: str) -> Path:
    (tmp_path / f"{family}.jinja").write_text(text)
    return tmp_path


def test_every_family_has_a_bundled_template_with_a_summary() -> None:
    names = {path.stem for path in BUNDLED_DIR.glob("*.jinja")}
    assert names == set(FAMILIES)
    env = environment(None)
    for family in FAMILIES:
        assert "summary" in env.get_template(f"{family}.jinja").blocks, family


@pytest.mark.parametrize("family", FAMILIES)
def test_bundled_summaries_escape_untrusted_text(family: str) -> None:
    labels = ["Reason", "Message", "Summary", "Remediation", "Stopped reason", "Threats"]
    fields = [SignalField(label=label, value=EVIL) for label in labels]
    text = render(family, "summary", _context(_signal(family, EVIL, fields=fields)))
    assert EVIL_SHOWN in text
    assert "<!channel>" not in text and "<@U123>" not in text and "<https" not in text


def test_alarm_summary_shows_description_and_reason() -> None:
    signal = _signal(fields=[SignalField(label="Reason", value="Threshold Crossed")])
    assert render("alarm", "summary", _context(signal)) == "CPU is high\n_Threshold Crossed_"


def test_unknown_or_pathlike_family_uses_the_generic_template() -> None:
    for family in ("made-up", "../alarm", "alarm/../../x", ""):
        assert render(family, "summary", _context(_signal(family, "hello"))) == "hello"


def test_a_missing_part_renders_empty() -> None:
    assert render("alarm", "no_such_part", _context(_signal())) == ""


def test_override_changes_the_summary_and_is_still_escaped(tmp_path: Path) -> None:
    folder = _override(
        tmp_path,
        "alarm",
        "{% block summary %}*Ours:* {{ signal.description }} {{ fields.Reason }}{% endblock %}",
    )
    signal = _signal(description=EVIL, fields=[SignalField(label="Reason", value="<#C1>")])
    text = render("alarm", "summary", _context(signal), templates_dir=folder)
    assert text == f"*Ours:* {EVIL_SHOWN} &lt;#C1&gt;"
    # Other families keep the bundled template; no override directory, no override.
    assert render("generic", "summary", _context(_signal("generic")), templates_dir=folder) == (
        "CPU is high"
    )
    assert render("alarm", "summary", _context(_signal())) == "CPU is high"


def test_escaping_holds_whatever_the_operator_writes(tmp_path: Path) -> None:
    folder = _override(
        tmp_path,
        "alarm",
        "{% macro m(x) %}[{{ x }}]{% endmacro %}"
        "{% block summary %}"
        "{{ m(signal.description) }}|{{ signal.description | upper }}|"
        "{{ 'x' ~ signal.description }}|{{ signal.description | e }}|"
        "{% autoescape false %}{{ signal.description }}{% endautoescape %}|"
        "{{ m(signal.description) ~ ' \"' ~ signal.description }}|{{ 'say \"hi\" & <b>' }}"
        "{% endblock %}",
    )
    signal = _signal(description="<!here> & 'co'")
    text = render("alarm", "summary", _context(signal), templates_dir=folder)
    shown = "&lt;!here&gt; &amp; 'co'"
    assert text.split("|") == [
        f"[{shown}]",
        "&lt;!HERE&gt; &amp; 'CO'",
        f"x{shown}",
        shown,
        shown,
        f'[{shown}] "{shown}',
        'say "hi" &amp; &lt;b&gt;',
    ]


def test_trusted_mrkdwn_and_links_are_explicit(tmp_path: Path) -> None:
    folder = _override(
        tmp_path,
        "alarm",
        "{% block summary %}{{ '*bold* <!subteam^S1>' | mrkdwn }} "
        "{{ signal.console_url | link('Console') }} {{ signal.description | link }}"
        "{% endblock %}",
    )
    signal = _signal(description="javascript:x", console_url="https://example.com/?a=1&b=2")
    text = render("alarm", "summary", _context(signal), templates_dir=folder)
    assert text == "*bold* <!subteam^S1> <https://example.com/?a=1&amp;b=2|Console> javascript:x"


def test_undefined_names_render_empty(tmp_path: Path) -> None:
    folder = _override(
        tmp_path,
        "alarm",
        "{% block summary %}a{{ nope }}b{{ nope.deeper.still }}c{{ fields.Missing }}"
        "{{ signal.no_such_attribute }}{{ signal.console_url }}d{% endblock %}",
    )
    assert render("alarm", "summary", _context(_signal()), templates_dir=folder) == "abcd"


def test_an_override_can_extend_the_bundled_template(tmp_path: Path) -> None:
    folder = _override(
        tmp_path,
        "alarm",
        '{% extends "bundled/alarm.jinja" %}'
        "{% block summary %}{{ super() }} (see runbook){% endblock %}",
    )
    assert render("alarm", "summary", _context(_signal()), templates_dir=folder) == (
        "CPU is high\n (see runbook)"
    )


@pytest.mark.parametrize(
    ("text", "warns"),
    [
        ("{% block summary %}{{ broken(( }}{% endblock %}", True),  # does not compile
        ("{% block summary %}{{ 1 / 0 }}{% endblock %}", True),  # fails when rendered
        ('{% extends "alarm.jinja" %}{% block summary %}{{ super() }}{% endblock %}', True),
        ("{% block other %}no summary here{% endblock %}", False),  # lacks the part
    ],
)
def test_a_broken_override_falls_back_to_the_bundled_template(
    tmp_path: Path, text: str, warns: bool, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _override(tmp_path, "alarm", text)
    with caplog.at_level(logging.WARNING, logger="blocks.templates"):
        assert render("alarm", "summary", _context(_signal()), templates_dir=folder) == (
            "CPU is high"
        )
    assert bool(caplog.records) is warns


def test_environment_is_cached_per_templates_dir(tmp_path: Path) -> None:
    assert environment(None) is environment(None)
    assert environment(str(tmp_path)) is environment(str(tmp_path))
    assert environment(str(tmp_path)) is not environment(None)
