"""The slash commands /events, /silences and /agents, and their buttons (events_page,
silence_remove).

The ack comes first and carries nothing: the query runs after it, in a Bolt lazy listener,
and answers through the request's response_url. So Slack hears back at once, whatever
the store's latency; lazy listeners are also what Bolt's Lambda adapter runs as separate
invocations, for the Slack Lambda of the deploy issue.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from blocks.lists import (
    EVENTS_PAGE,
    SILENCE_REMOVE,
    agent_detail,
    agents_list,
    event_detail,
    events_list,
    silences_list,
)
from blocks.lists import usage as usage_message
from bot.agent_health import all_agents, problem_recorded
from bot.delivery import find_anywhere, refresh_silences
from bot.cursors import CursorCodec
from bot.errors import InvalidCursorError, NotFoundError
from bot.event_search import Help, Lookup, QueryError, Search, parse
from bot.list_events import DEFAULT_WINDOW_S
from bot.models import ListEventsDTO
from bot.services import Services
from handlers.slack.actions import NOT_ALLOWED, Usergroups, responder

log = logging.getLogger(__name__)

AGENTS_SHOWN = 40  # one message; an organisation with more uses the REST API
RECENT_SHOWN = 10
FAILED = "Something went wrong while answering; the bot's log says why."
STALE_PAGE = "That page can no longer be shown (the bot's cursor secret changed?). Ask again."


def register(app: App, services: Services, groups: Usergroups | None = None) -> None:
    groups = groups or Usergroups()
    names = services.settings.account_names
    codec = CursorCodec(services.settings.cursor_secret)

    def now() -> int:
        return int(services.clock.now())

    def search() -> Search:
        delivery = services.delivery
        return Search(
            services.events,
            services.alerts,
            codec,
            now=now(),
            ctx=services.context,
            find_alert=lambda fingerprint: find_anywhere(delivery, fingerprint),
        )

    def acked(ack: Ack) -> None:
        ack()

    def safely(respond: Respond, run: Any) -> None:
        """After the ack nobody hears an exception: log it, and tell the person."""
        try:
            respond(run())
        except Exception:
            log.exception("answering a Slack command failed")
            respond({"response_type": "ephemeral", "text": FAILED})

    def answer_events(command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        safely(respond, lambda: _events(command.get("text") or "", client))

    def _events(text: str, client: WebClient) -> dict[str, Any]:
        at = now()
        try:
            parsed = parse(text, now=at, account_names=names)
        except QueryError as err:
            return usage_message(str(err))
        if isinstance(parsed, Help):
            return usage_message()
        finder = search()
        if isinstance(parsed, Lookup):
            try:
                event = services.events.get(parsed.event_id, at)
            except NotFoundError:
                parsed = parsed.query  # not an id: the word is matched against titles
            else:
                found = finder.find(event)
                return event_detail(found, names, at, _permalink(client, found.alert))
        return events_list(finder.first(parsed), text, names, at)

    def answer_page(action: dict[str, Any], respond: Respond) -> None:
        def page() -> dict[str, Any]:
            try:
                shown = search().page(action.get("value") or "")
            except InvalidCursorError:
                return usage_message(STALE_PAGE)
            return events_list(shown, None, names, now(), replace=True)

        safely(respond, page)

    def answer_silences(respond: Respond) -> None:
        safely(respond, lambda: silences_list(services.alerts.list_silences(now()), now()))

    def answer_remove(
        action: dict[str, Any], body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        def remove() -> dict[str, Any]:
            user = body["user"]["id"]
            if not responder(services, groups, client, user):
                return {"response_type": "ephemeral", "text": NOT_ALLOWED}
            try:
                services.alerts.delete_silence(action.get("value") or "")
                log.info("silence %s removed by %s", action.get("value"), user)
            except NotFoundError:
                pass  # removed already (another click, or it expired and was cleaned up)
            refresh_silences(services.delivery)  # the alerts it held are redrawn
            answer = silences_list(services.alerts.list_silences(now()), now())
            return {**answer, "replace_original": True}

        safely(respond, remove)

    def answer_agents(command: dict[str, Any], respond: Respond) -> None:
        safely(respond, lambda: _agents((command.get("text") or "").strip()))

    def _agents(asked: str) -> dict[str, Any]:
        at = now()
        if not asked:
            listed = list(itertools.islice(all_agents(services.agents), AGENTS_SHOWN))
            marked = [(a, problem_recorded(services.alerts, a.id)) for a in listed]
            return agents_list(marked, names, at)
        wanted = next((i for i, n in names.items() if n.casefold() == asked.casefold()), asked)
        try:
            agent = services.agents.get(wanted)
        except (NotFoundError, ValueError):
            return usage_message(f"No agent for {asked!r}: give an account id or its name.")
        dto = ListEventsDTO(account=agent.id, limit=100, start_date=max(at - DEFAULT_WINDOW_S, 0))
        recent = [
            e
            for e in services.events.list(dto, at).items
            if e.source.startswith("monitoring.agent")
        ][:RECENT_SHOWN]
        return agent_detail(agent, problem_recorded(services.alerts, agent.id), recent, names, at)

    app.command("/agents")(ack=acked, lazy=[answer_agents])
    app.command("/events")(ack=acked, lazy=[answer_events])
    app.command("/silences")(ack=acked, lazy=[answer_silences])
    app.action(EVENTS_PAGE)(ack=acked, lazy=[answer_page])
    app.action(SILENCE_REMOVE)(ack=acked, lazy=[answer_remove])


def _permalink(client: WebClient, alert: Any) -> str | None:
    """A link to the alert's message (its thread), when it was posted; None otherwise."""
    if alert is None or alert.message is None:
        return None
    try:
        answer = client.chat_getPermalink(
            channel=alert.message.channel, message_ts=alert.message.ts
        )
    except Exception as err:  # the detail still answers without the link
        log.warning("no permalink for alert %s: %s", alert.id, err)
        return None
    return str(answer.get("permalink") or "") or None
