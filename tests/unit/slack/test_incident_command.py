"""/incident: the timeline (a message, or a file when long) and the close request, in an
incident channel only; anything else gets the usage."""

from __future__ import annotations

from bot.errors import AccessDeniedError
from bot.incident_actions import NOT_INCIDENT, declare
from handlers.slack.listeners.incident_command import NO_FILES, incident_command
from tests.unit.slack.doubles import CHANNEL, USER, fire


def incident_channel(svc) -> str:
    alert = fire(svc)
    declare(svc.delivery, alert.id, alert.version, USER)
    return svc.alerts.get_alert(alert.id).incident.channel


def run(core, respond, channel: str, text: str) -> dict:
    incident_command({"channel_id": channel, "text": text, "user_id": USER}, respond, core=core)
    return respond.bodies[-1]


def test_the_timeline_is_posted_in_the_channel(svc, core, respond):
    channel = incident_channel(svc)
    answer = run(core, respond, channel, "timeline")
    assert answer["response_type"] == "in_channel"
    assert "fired" in answer["text"] and f"incident declared by <@{USER}>" in answer["text"]


def test_a_long_timeline_is_shared_as_a_file(svc, core, respond, monkeypatch):
    monkeypatch.setattr("blocks.incident.TIMELINE_LINES", 1)
    channel = incident_channel(svc)
    answer = run(core, respond, channel, "timeline")
    assert answer["response_type"] == "ephemeral" and "as a file" in answer["text"]
    (upload,) = svc.chat.uploads
    assert upload["ref"].channel == channel and upload["ref"].ts == ""
    assert b"incident declared by U0ALICE" in upload["content"]


def test_a_long_timeline_without_files_write_says_so(svc, core, respond, monkeypatch):
    monkeypatch.setattr("blocks.incident.TIMELINE_LINES", 1)
    channel = incident_channel(svc)

    def denied(*args, **kwargs) -> None:
        raise AccessDeniedError("Slack files_upload_v2: missing_scope")

    monkeypatch.setattr(svc.chat, "upload_file", denied)
    answer = run(core, respond, channel, "timeline")
    assert (answer["response_type"], answer["text"]) == ("ephemeral", NO_FILES)


def test_close_asks_for_confirmation(svc, core, respond):
    channel = incident_channel(svc)
    answer = run(core, respond, channel, "CLOSE")
    (button,) = answer["blocks"][-1]["elements"]
    assert (button["action_id"], button["value"]) == ("incident_close", channel)
    assert svc.chat.archived == []


def test_outside_an_incident_channel_it_says_so_and_bad_words_get_the_usage(svc, core, respond):
    for text in ("timeline", "close"):
        answer = run(core, respond, CHANNEL, text)
        assert (answer["response_type"], answer["text"]) == ("ephemeral", NOT_INCIDENT)
    for text in ("", "help", "reopen"):
        assert "Usage" in run(core, respond, CHANNEL, text)["text"]
