"""app_home_opened: a person opened the app's Home tab, so their home is published
(views.publish), and kept up to date for the next hour by the `home` job."""

from __future__ import annotations

from slack_bolt import App

from handlers.slack.clicks import show_home
from handlers.slack.wiring import Core, Payload, ack_only, bound

EVENT = "app_home_opened"


def home_opened(event: Payload, *, core: Core) -> None:
    """The Messages and About tabs send the event too: only the Home tab is drawn."""
    user = event.get("user")
    if event.get("tab") == "home" and isinstance(user, str) and user:
        show_home(core.services, user)


def register(app: App, core: Core) -> None:
    # Lazy, as the buttons are: on Lambda the event's ack never waits for the store.
    app.event(EVENT)(ack=ack_only, lazy=[bound(home_opened, core)])
