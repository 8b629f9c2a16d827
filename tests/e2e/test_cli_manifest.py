"""`python app.py manifest --url URL | --socket`: the Slack app manifest, held to the fields
and limits Slack documents (api.slack.com/reference/manifests, and the JSON schema of
slackapi/manifest-schema, v1), and to the slash commands the Bolt app registers."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt import App

from bot.config import Settings
from bot.event_search import KEYS
from handlers.bootstrap import bootstrap
from handlers.slack import build_app
from handlers.slack.manifest import BOT_EVENTS, SLASH_COMMANDS, ManifestUrlError, request_url
from tests.e2e.conftest import run_cli

BASE = "https://bot.example.com"
ENDPOINT = f"{BASE}/slack/events"
SCOPES = [
    "chat:write",
    "commands",
    "usergroups:read",
    "channels:history",
    "groups:history",
    "files:write",
    "im:write",
    "im:history",
    "channels:manage",
    "groups:write",
    "pins:write",
]
# Settings that cannot be read, and a store that cannot be reached: the manifest must
# print all the same, since it is what one makes before anything is configured.
NO_CONFIG = {"ACCOUNT_NAMES": "not json", "STORE": "dynamodb", "AWS_ENDPOINT": "http://127.0.0.1:9"}

# The documented keys of each object the manifest uses (schema v1), and Slack's limits.
KEYS_OF = {
    "": {"_metadata", "display_information", "features", "oauth_config", "settings"},
    "_metadata": {"major_version", "minor_version"},
    "display_information": {"name", "description", "background_color", "long_description"},
    "features": {"app_home", "bot_user", "shortcuts", "slash_commands", "unfurl_domains"},
    "bot_user": {"display_name", "always_online"},
    "slash_command": {"command", "url", "description", "usage_hint", "should_escape"},
    "oauth_config": {"redirect_urls", "scopes", "token_management_enabled", "pkce_enabled"},
    "scopes": {"bot", "user", "bot_optional", "user_optional"},
    "settings": {
        "allowed_ip_address_ranges",
        "event_subscriptions",
        "incoming_webhooks",
        "interactivity",
        "org_deploy_enabled",
        "socket_mode_enabled",
        "token_rotation_enabled",
    },
    "interactivity": {"is_enabled", "request_url", "message_menu_options_url"},
    "app_home": {"home_tab_enabled", "messages_tab_enabled", "messages_tab_read_only_enabled"},
    "event_subscriptions": {"request_url", "bot_events", "user_events"},
}


def run_manifest(tmp_path: Path, *args: str):
    return run_cli("manifest", *args, data_dir=tmp_path / "var", env=NO_CONFIG)


def printed(tmp_path: Path, *args: str) -> dict[str, Any]:
    proc = run_manifest(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "var").exists()  # no store was opened
    manifest = yaml.safe_load(proc.stdout)
    assert isinstance(manifest, dict)
    return manifest


@pytest.fixture(scope="module")
def url_manifest(tmp_path_factory) -> dict[str, Any]:
    return printed(tmp_path_factory.mktemp("url"), "--url", f"{BASE}/")  # a trailing slash


@pytest.fixture(scope="module")
def socket_manifest(tmp_path_factory) -> dict[str, Any]:
    return printed(tmp_path_factory.mktemp("socket"), "--socket")


def only_documented(where: str, obj: dict[str, Any]) -> None:
    assert set(obj) <= KEYS_OF[where], f"{where}: undocumented {set(obj) - KEYS_OF[where]}"


def within(text: Any, low: int, high: int) -> bool:
    return isinstance(text, str) and low <= len(text) <= high


def check_common(manifest: dict[str, Any]) -> None:
    """What both modes share: every field documented, every value within Slack's limits."""
    only_documented("", manifest)
    assert manifest["_metadata"] == {"major_version": 1, "minor_version": 1}
    info = manifest["display_information"]
    only_documented("display_information", info)
    assert within(info["name"], 1, 35)
    assert within(info["description"], 1, 140)
    assert re.fullmatch(r"#[0-9A-Fa-f]{6}", info["background_color"])
    if "long_description" in info:
        assert within(info["long_description"], 175, 4000)
    features = manifest["features"]
    only_documented("features", features)
    bot = features["bot_user"]
    only_documented("bot_user", bot)
    assert within(bot["display_name"], 1, 80) and bot["always_online"] is True
    only_documented("app_home", features["app_home"])
    assert features["app_home"] == {"home_tab_enabled": True, "messages_tab_enabled": True,
                                    "messages_tab_read_only_enabled": True}  # fmt: skip
    commands = features["slash_commands"]
    assert [c["command"] for c in commands] == [
        "/events",
        "/agents",
        "/silences",
        "/oncall",
        "/incident",
    ]
    for command in commands:
        only_documented("slash_command", command)
        assert re.fullmatch(r"/[a-z0-9_-]{1,31}", command["command"])
        assert within(command["description"], 1, 2000)
        assert "usage_hint" not in command or within(command["usage_hint"], 1, 1000)
        assert command["should_escape"] is False
    oauth = manifest["oauth_config"]
    only_documented("oauth_config", oauth)
    only_documented("scopes", oauth["scopes"])
    assert oauth["scopes"] == {"bot": SCOPES}
    settings = manifest["settings"]
    only_documented("settings", settings)
    only_documented("interactivity", settings["interactivity"])
    only_documented("event_subscriptions", settings["event_subscriptions"])
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


def test_url_mode_sends_every_request_to_slack_events(url_manifest):
    check_common(url_manifest)
    commands = url_manifest["features"]["slash_commands"]
    assert [c["url"] for c in commands] == [ENDPOINT] * len(commands)
    settings = url_manifest["settings"]
    assert settings["interactivity"] == {"is_enabled": True, "request_url": ENDPOINT}
    assert settings["event_subscriptions"]["request_url"] == ENDPOINT
    assert settings["socket_mode_enabled"] is False


def test_socket_mode_has_no_urls(socket_manifest, url_manifest):
    check_common(socket_manifest)
    assert "/slack/events" not in yaml.safe_dump(socket_manifest)
    assert all("url" not in c for c in socket_manifest["features"]["slash_commands"])
    settings = socket_manifest["settings"]
    assert settings["interactivity"] == {"is_enabled": True}
    assert settings["socket_mode_enabled"] is True
    # Nothing else differs from the URL mode's manifest.
    expected = copy.deepcopy(url_manifest)
    for command in expected["features"]["slash_commands"]:
        del command["url"]
    del expected["settings"]["interactivity"]["request_url"]
    del expected["settings"]["event_subscriptions"]["request_url"]
    expected["settings"]["socket_mode_enabled"] = True
    assert socket_manifest == expected


def test_usage_hints_follow_the_commands_grammar(url_manifest):
    hints = {c["command"]: c.get("usage_hint") for c in url_manifest["features"]["slash_commands"]}
    for key in KEYS:  # every /events filter the parser reads
        assert f"[{key}:" in hints["/events"], key
    assert "help" in hints["/events"] and "<event-id>" in hints["/events"]
    assert "name" in hints["/agents"]
    assert hints["/silences"] is None  # it reads no text
    assert all(word in hints["/incident"] for word in ("timeline", "close"))


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("http://bot.example.com", "is not an https URL"),
        ("bot.example.com", "is not an https URL"),
        ("https://bot.example.com/?token=1", "without credentials, query or fragment"),
    ],
)
def test_a_bad_url_is_exit_2_saying_why(tmp_path, given, why):
    proc = run_manifest(tmp_path, "--url", given)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "argument --url" in proc.stderr and why in proc.stderr


def test_url_and_socket_together_are_refused(tmp_path):
    proc = run_manifest(tmp_path, "--socket", "--url", BASE)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "--url" in proc.stderr and "--socket" in proc.stderr


def test_neither_flag_means_socket_mode(tmp_path, socket_manifest):
    assert printed(tmp_path) == socket_manifest  # manifest [--url URL | --socket]


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("https://bot.example.com", ENDPOINT),
        ("https://bot.example.com/", ENDPOINT),
        ("https://bot.example.com/slack/events", ENDPOINT),
        ("https://bot.example.com/slack/events/", ENDPOINT),
        (
            "https://example.com:8443/monitoring/",
            "https://example.com:8443/monitoring/slack/events",
        ),
        (" HTTPS://Bot.Example.com ", "https://Bot.Example.com/slack/events"),
    ],
)
def test_the_request_url_from_a_base_url(given, url):
    assert request_url(given) == url


@pytest.mark.parametrize(
    "given",
    ["", "https://", "ftp://bot.example.com", "https://u:p@bot.example.com", "https://x/#frag",
     "https://bot.example.com/" + "a" * 3000],
)  # fmt: skip
def test_request_urls_slack_would_refuse(given):
    with pytest.raises(ManifestUrlError):
        request_url(given)


def registered_by_build_app(tmp_path: Path, monkeypatch, method: str) -> list[Any]:
    """What build_app passes to App.<method> (command, event) as it wires every listener."""
    registered: list[Any] = []
    original = getattr(App, method)

    def recording(self: App, first: Any, *args: Any, **kwargs: Any) -> Any:
        registered.append(first)
        return original(self, first, *args, **kwargs)

    monkeypatch.setattr(App, method, recording)
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        slack_bot_token="xoxb-test",
        slack_signing_secret="secret",
        slack_alerts_channel="C0ALERTS",
        slack_api_url="http://127.0.0.1:9/api/",
    )
    build_app(bootstrap(settings))
    return registered


def test_the_manifest_declares_exactly_the_commands_the_bolt_app_registers(tmp_path, monkeypatch):
    registered = registered_by_build_app(tmp_path, monkeypatch, "command")
    assert registered and all(isinstance(c, str) for c in registered)
    assert sorted(registered) == sorted(c.command for c in SLASH_COMMANDS)


def test_the_manifest_subscribes_to_exactly_the_events_that_have_listeners(
    tmp_path, monkeypatch, url_manifest
):
    """Every event named by a listener, and no other; the catch-all (a pattern) that acks
    whatever else arrives is no subscription."""
    registered = registered_by_build_app(tmp_path, monkeypatch, "event")
    named = [e for e in registered if isinstance(e, str)]
    assert len(named) == len(registered) - 1  # the catch-all, registered last
    assert isinstance(registered[-1], re.Pattern)
    subscribed = url_manifest["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(named) == sorted(subscribed) == sorted(BOT_EVENTS)


def test_the_committed_manifest_is_what_the_command_prints_for_socket_mode(tmp_path):
    """manifest.yaml at the root (the documented layout) must not drift from the code."""
    proc = run_manifest(tmp_path, "--socket")
    assert proc.returncode == 0, proc.stderr
    committed = Path(__file__).resolve().parents[2] / "manifest.yaml"
    assert committed.read_text() == proc.stdout
