"""The Bolt app: Slack's requests (commands, actions, views) to the core's use cases.

`build_app` makes the App and has every module of handlers/slack/listeners register
its listener. Bolt verifies every request's signature and timestamp (a bad or stale one
gets 401), `ReplayGuard` drops a signed request sent again, `EventOnce` an Events API
event Slack retries, and Bolt acks within Slack's 3 s and runs the listener after the
ack.
"""

from __future__ import annotations

from slack_bolt import App

from adapters.slack_metrics import CountedWebClient
from bot.services import Services
from handlers.slack.authorization import Responders
from handlers.slack.events_api import EventOnce, ack_any_event
from handlers.slack.listeners import LISTENERS
from handlers.slack.replays import ReplayGuard
from handlers.slack.wiring import Core


def build_app(services: Services, *, process_before_response: bool = False) -> App:
    """The Bolt app. Long-running, listeners run after the ack, so Slack always hears back
    within 3 s; on Lambda (`process_before_response`), where nothing runs after the
    response, they run first, and the slow work is in lazy listeners, which Bolt's Lambda
    adapter runs in a second invocation of the function."""
    settings = services.settings
    if not settings.slack_signing_secret or not settings.slack_bot_token:
        raise ValueError("serving Slack needs both SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN")
    client = CountedWebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, metrics=services.metrics
    )
    app = App(
        signing_secret=settings.slack_signing_secret,
        client=client,
        token_verification_enabled=False,
        process_before_response=process_before_response,
    )
    app.use(ReplayGuard())  # after Bolt's signature check: only signed requests get here
    app.use(EventOnce())
    core = Core(services, Responders(settings.slack_responders))
    for listener in LISTENERS:
        listener.register(app, core)
    ack_any_event(app)  # last: the listeners' own events go to them first
    return app


__all__ = ["build_app"]
