"""Socket Mode: Slack's commands, actions and events over a WebSocket that the bot opens.

For a bot that Slack cannot reach (a laptop, a private network): with SLACK_APP_TOKEN set,
`serve` connects out to Slack instead of waiting on POST /slack/events, and the HTTP
server goes on serving /ingest, /healthz and the REST API. It is the same Bolt app, so
the same listeners answer; Bolt skips signature checks for Socket Mode requests, which
arrive over the authenticated socket.

slack_sdk's built-in client needs no extra package. It asks apps.connections.open for
the socket's URL through the App's WebClient, so SLACK_API_URL applies to it as to every
other Web API call, and it reconnects by itself when Slack drops or refreshes the socket.
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

APP_TOKEN_PREFIX = "xapp-"


def check_app_token(token: str) -> None:
    """Refuse, before anything starts, a token that cannot open a socket: the usual mistake
    is the bot token (xoxb-) in SLACK_APP_TOKEN."""
    if not token.startswith(APP_TOKEN_PREFIX):
        raise ValueError(
            "SLACK_APP_TOKEN must be an app-level token (xapp-…, made under Basic Information "
            "→ App-Level Tokens with the connections:write scope), not a bot or user token; "
            "unset it to take Slack's requests over HTTP at POST /slack/events"
        )


def start_socket_mode(app: App, app_token: str) -> SocketModeHandler:
    """Connect in the background (`connect()`, not Bolt's blocking `start()`), so that the
    caller goes on to serve HTTP; `close()` the handler on shutdown.

    A token Slack refuses is a ValueError, a configuration error; a socket that does not
    open at once is retried by the client, so it is only logged.
    """
    check_app_token(app_token)
    handler = SocketModeHandler(app, app_token, web_client=app.client)
    try:
        handler.connect()
    except SlackApiError as err:
        handler.close()
        error = err.response.get("error") if err.response is not None else str(err)
        raise ValueError(f"Slack refused SLACK_APP_TOKEN for Socket Mode: {error}") from err
    except BaseException:
        handler.close()
        raise
    if not handler.client.is_connected():
        log.warning("Socket Mode is not connected yet; the client keeps trying")
    return handler


__all__ = ["APP_TOKEN_PREFIX", "check_app_token", "start_socket_mode"]
