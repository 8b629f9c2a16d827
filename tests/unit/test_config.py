"""Settings: parsing rules, and docs/configuration.md's table held against the Settings class."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings, parse_duration

CONFIG_DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def documented_variables() -> set[str]:
    text = CONFIG_DOC.read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", text, flags=re.MULTILINE))


def test_configuration_table_matches_settings_exactly():
    fields = {name.upper() for name in Settings.model_fields}
    documented = documented_variables()
    assert documented, "the table of docs/configuration.md was not found"
    assert fields - documented == set(), "settings missing from docs/configuration.md"
    assert documented - fields == set(), "docs/configuration.md names unread variables"


@pytest.mark.parametrize(
    ("text", "seconds"), [("45s", 45), ("15m", 900), ("1h", 3600), ("7d", 604800), ("90", 90)]
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "1y", "-5m", "0s", ""])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_environment_is_read(monkeypatch):
    monkeypatch.setenv("LOG_GROUPS", "/aws/lambda/a, /aws/lambda/b,")
    monkeypatch.setenv("SLACK_RESPONDERS", "U1,U2")
    monkeypatch.setenv("ESCALATE_AFTER", "30m")
    monkeypatch.setenv("ACCOUNT_NAMES", '{"123456789012": "prod"}')
    monkeypatch.setenv("STORE", "sqlite")
    settings = Settings(_env_file=None)
    assert settings.log_groups == ["/aws/lambda/a", "/aws/lambda/b"]
    assert settings.slack_responders == ["U1", "U2"]
    assert settings.escalate_after == 1800
    assert settings.account_names == {"123456789012": "prod"}


def test_defaults():
    settings = Settings(_env_file=None)
    assert (settings.host, settings.port, settings.store) == ("127.0.0.1", 3000, "sqlite")
    assert settings.aws_dynamodb_ttl == 604800
    assert settings.reopen_window == 3600
    assert settings.slack_api_url == "https://slack.com/api/"


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("ACCOUNT_NAMES", "not json", "ACCOUNT_NAMES must be a JSON object"),
        ("ACCOUNT_NAMES", "[1]", "ACCOUNT_NAMES must be a JSON object"),
        ("STORE", "postgres", "store"),
        ("REOPEN_WINDOW", "soon", "not a duration"),
        ("PORT", "99999", "port"),
    ],
)
def test_bad_values_name_the_problem(monkeypatch, var, value, message):
    monkeypatch.setenv(var, value)
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None)
