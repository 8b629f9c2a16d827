"""/events: the usage, a page of matching events with their alerts' state, or one event
in detail with a link to its alert's thread; answered through response_url."""

from __future__ import annotations

import pytest

from handlers.slack.answers import FAILED
from handlers.slack.listeners.events_command import events_command
from tests.unit.slack.doubles import fire


def command(text: str = "") -> dict:
    return {"command": "/events", "text": text}


def test_matching_events_are_listed_with_their_alerts_state(svc, core, respond, client):
    fire(svc, "CpuHigh", event_id="evt-cpu")
    fire(svc, "DiskFull", event_id="evt-disk")
    events_command(command("cpu"), respond, client, core=core)
    ((answer,),) = [args for args, _ in respond.calls]
    assert answer["response_type"] == "ephemeral"
    shown = respond.text()
    assert "evt-cpu" in shown and "open" in shown and "evt-disk" not in shown
    assert client.calls == []


@pytest.mark.parametrize(("text", "shown"), [("help", "since:"), ("severity:urgent", "Usage")])
def test_help_and_bad_arguments_give_the_usage(core, respond, client, text, shown):
    events_command(command(text), respond, client, core=core)
    assert shown in respond.text() and len(respond.calls) == 1


def test_an_event_id_shows_the_event_with_a_link_to_its_alerts_thread(svc, core, respond, client):
    alert = fire(svc, event_id="evt-detail")
    events_command(command("evt-detail"), respond, client, core=core)
    (asked,) = client.called("chat.getPermalink")
    assert asked == {"channel": alert.message.channel, "message_ts": alert.message.ts}
    shown = respond.text()
    assert "evt-detail" in shown and "Open the alert's thread" in shown
    assert f"https://slack.example/{alert.message.ts}" in shown


def test_the_detail_answers_without_the_link_when_slack_gives_none(svc, core, respond, client):
    fire(svc, event_id="evt-detail")
    client.permalinks_fail = True
    events_command(command("evt-detail"), respond, client, core=core)
    shown = respond.text()
    assert "evt-detail" in shown and "Open the alert's thread" not in shown


def test_a_failure_is_told_to_the_person(svc, core, respond, client, monkeypatch):
    def broken(*args: object) -> None:
        raise RuntimeError("store down")

    monkeypatch.setattr(svc.events, "get", broken)
    events_command(command("evt-x"), respond, client, core=core)
    assert respond.bodies == [{"response_type": "ephemeral", "text": FAILED}]
