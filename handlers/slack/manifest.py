"""The Slack app manifest (`python app.py manifest --url URL | --socket`).

One YAML document that creates the whole Slack app (api.slack.com/apps → Create New App →
From a manifest): its name, bot user, slash commands, scopes and request URLs. It is
built here, next to the listeners, so that the commands and scopes it asks for are the
ones the code uses; a test holds it against the Bolt app's registrations and against
Slack's documented limits (https://api.slack.com/reference/manifests).

It needs no token and no store: it is printed before anything is configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

SLACK_PATH = "/slack/events"  # the one route Bolt answers on (handlers/http.py)
MAX_URL = 3000  # Slack's limit for a slash command's url (3500 for interactivity)

APP_NAME = "AWS Monitoring"
BOT_NAME = "aws-monitoring"
DESCRIPTION = (
    "AWS alerts in Slack, with Acknowledge, Resolve and Silence; /events and /agents answer from "
    "the store."
)
LONG_DESCRIPTION = (
    "Posts one message per AWS alert (CloudWatch alarms, GuardDuty and Security Hub "
    "findings, AWS Health, CloudFormation, ECS, CodePipeline and Backup events, and the "
    "monitoring agents' error logs), routed to the right channel with the right mention. "
    "Repeats go into the alert's thread; recovery turns it green. Anyone on the responder "
    "list can acknowledge, resolve or silence an alert from its message, and whoever does "
    "is shown. /events searches the events of the last days, /agents shows the agents' "
    "health, and /silences lists the silences in force. A daily report sums up the day."
)
BACKGROUND_COLOR = "#232F3E"

# Each scope names the Web API calls that need it; every other method the bot calls
# (auth.test, chat.getPermalink, views.open, views.update, views.publish) needs none.
# files:write shares an alert's graph in its thread; an app installed without it goes
# without graphs. im:write opens the bot's direct message with someone on call
# (conversations.open), for the `dm` step of a route's escalation ladder; chat:write then
# posts in it. Without it, the step's line in the alert's thread says nobody could be DMed.
# im:history reads that DM back (conversations.history) for the step's id in a DM's
# metadata before sending it (again), so that a DM whose answer was lost is not doubled.
# Left out on purpose:
# - chat:write.public (post to a channel without being invited): every channel the bot
#   posts to (SLACK_ALERTS_CHANNEL, SLACK_REPORT_CHANNEL, each route's channel) is also
#   one it must read, with conversations.history, to find a post whose answer was lost
#   before posting it again; Slack lets a bot read only the channels it is a member of.
#   So the bot has to be invited anyway, and chat:write.public would only turn a clear
#   `not_in_channel` at the first post into duplicate posts after a timeout. It does
#   nothing for private channels either.
# - metadata.message:read: it is for subscribing to message_metadata_* events, which the
#   bot does not; conversations.history with include_all_metadata returns the metadata
#   of the bot's own messages under the *:history scopes.
BOT_SCOPES = (
    "chat:write",  # chat.postMessage, chat.update, chat.postEphemeral
    "commands",  # /events, /agents, /silences, /oncall
    "usergroups:read",  # usergroups.users.list: SLACK_RESPONDERS' and rotations' usergroups
    "channels:history",  # conversations.history/replies in public channels (see above)
    "groups:history",  # the same in private channels
    "files:write",  # files.getUploadURLExternal/completeUploadExternal: an alert's graph
    "im:write",  # conversations.open: a DM to whoever is on call (see above)
    "im:history",  # conversations.history of a DM: a DM whose answer was lost is found
    # Incident channels (docs/alerts.md#incidents):
    "channels:manage",  # conversations.create, .invite, .archive of a public channel
    "groups:write",  # the same for a private channel (one made private by hand)
    "pins:write",  # pins.add: the alert pinned in its incident channel
)

# The Events API events the app subscribes to, each taken by a listener of its own; none
# needs a scope. app_home_opened: a person opened the Home tab, which is then published.
BOT_EVENTS = ("app_home_opened",)
# The App Home: the Home tab (blocks/home.py), and the Messages tab, read-only, where the
# notes for clicks on the Home tab arrive (it has no channel to answer in).
APP_HOME = {
    "home_tab_enabled": True,
    "messages_tab_enabled": True,
    "messages_tab_read_only_enabled": True,
}


@dataclass(frozen=True)
class SlashCommand:
    """A slash command as the manifest declares it; `usage_hint` None when it takes none."""

    command: str
    description: str
    usage_hint: str | None = None


# The grammar is bot/event_search.py's (USAGE, KEYS), listeners/agents_command.py's and
# listeners/oncall_command.py's and listeners/incident_command.py's.
SLASH_COMMANDS = (
    SlashCommand(
        "/events",
        "Search the stored AWS events, newest first, with the state of each one's alert",
        "[since:24h] [source:alarm] [account:prod] [severity:high] [state:open] [words] "
        "· <event-id> · help",
    ),
    SlashCommand(
        "/agents",
        "The monitoring agents and their health, or one agent's details and recent events",
        "[account id or name]",
    ),
    # /silences reads no text: a hint would promise arguments that are ignored.
    SlashCommand("/silences", "The silences in force, each with a button to remove it"),
    SlashCommand(
        "/oncall",
        "Who is on call for each rotation, and who is next; take it over for a while",
        "[take [1h]]",
    ),
    SlashCommand(
        "/incident",
        "In an incident channel: its timeline, or close it (a summary, then archive)",
        "timeline · close",
    ),
)


class ManifestUrlError(ValueError):
    """--url is not an https URL Slack would accept as a request URL."""


def request_url(base: str) -> str:
    """`<base>/slack/events`, from the service's public https base URL (a trailing slash,
    or the full /slack/events URL, is accepted too)."""
    text = base.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise ManifestUrlError(
            f"{base!r} is not an https URL: Slack sends requests only to https, so give the "
            "service's public address, like https://bot.example.com"
        )
    if parts.query or parts.fragment or parts.username or parts.password or " " in text:
        raise ManifestUrlError(
            f"{base!r}: give the service's base URL, without credentials, query or fragment"
        )
    path = parts.path.rstrip("/")
    if not path.endswith(SLACK_PATH):
        path += SLACK_PATH
    url = urlunsplit(("https", parts.netloc, path, "", ""))
    if len(url) > MAX_URL:
        raise ManifestUrlError(f"the request URL is over Slack's {MAX_URL} characters")
    return url


def build_manifest(url: str | None = None, *, socket_mode: bool = False) -> dict[str, Any]:
    """The manifest: requests to `url` (a base URL, see `request_url`), or Socket Mode."""
    if (url is None) == (not socket_mode):
        raise ValueError("give exactly one of a URL or Socket Mode")
    endpoint = None if socket_mode or url is None else request_url(url)
    commands = []
    for command in SLASH_COMMANDS:
        entry: dict[str, Any] = {"command": command.command, "description": command.description}
        if command.usage_hint:
            entry["usage_hint"] = command.usage_hint
        if endpoint:
            entry["url"] = endpoint
        entry["should_escape"] = False
        commands.append(entry)
    interactivity: dict[str, Any] = {"is_enabled": True}
    # Socket Mode delivers events over its WebSocket: no request URL then.
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    if endpoint:
        interactivity["request_url"] = endpoint
        events = {"request_url": endpoint, **events}
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": APP_NAME,
            "description": DESCRIPTION,
            "background_color": BACKGROUND_COLOR,
            "long_description": LONG_DESCRIPTION,
        },
        "features": {
            "app_home": dict(APP_HOME),
            "bot_user": {"display_name": BOT_NAME, "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(url: str | None = None, *, socket_mode: bool = False) -> str:
    """The manifest as YAML, in the order Slack's own examples use."""
    manifest = build_manifest(url, socket_mode=socket_mode)
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)


__all__ = [
    "APP_HOME",
    "BOT_EVENTS",
    "BOT_SCOPES",
    "SLASH_COMMANDS",
    "ManifestUrlError",
    "build_manifest",
    "manifest_yaml",
    "request_url",
]
