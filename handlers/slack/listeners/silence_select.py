"""The Silence select (alert_silence): a preset duration silences the alert, after the
ack; Custom… opens the silence modal before the ack returns, since the trigger_id that
opens it lasts 3 s."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks.alert import SILENCE
from blocks.modals import silence_modal
from bot import alert_actions
from bot.alert_actions import SILENCE_CHOICES, Outcome
from bot.errors import NotFoundError
from handlers.slack.clicks import NOTES, carry_out, click_of, tell, telling
from handlers.slack.wiring import Core, Payload, bound

CUSTOM = "custom"


def choice_of(action: Payload) -> str:
    return str((action.get("selected_option") or {}).get("value", ""))


def open_custom(ack: Ack, body: Payload, action: Payload, client: WebClient, *, core: Core) -> None:
    """The ack; and for Custom…, the modal, whose submission makes the silence."""
    ack()
    if choice_of(action) != CUSTOM:
        return
    click, services = click_of(body, action), core.services
    with telling(services.chat, click):
        try:
            alert = services.alerts.get_alert(click.ref[0]) if click.ref else None
        except NotFoundError:
            alert = None
        if alert is None or click.ref is None:
            tell(services.chat, click, NOTES[Outcome.GONE])
            return
        alert_id, version = click.ref
        client.views_open(
            trigger_id=body["trigger_id"],
            view=silence_modal(alert, f"{alert_id}:{version}", click.channel),
        )


def silence_chosen(body: Payload, action: Payload, client: WebClient, *, core: Core) -> None:
    """A preset duration: the alert is silenced for it. Custom… is the modal's."""
    seconds = SILENCE_CHOICES.get(choice_of(action))
    if seconds is not None:
        click = click_of(body, action)
        carry_out(core, client, click, alert_actions.silence, seconds=seconds)


def register(app: App, core: Core) -> None:
    app.action(SILENCE)(ack=bound(open_custom, core), lazy=[bound(silence_chosen, core)])
