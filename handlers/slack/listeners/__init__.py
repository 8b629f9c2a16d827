"""Slack's listeners, one module each: a top-level listener function that takes Bolt's
arguments and, keyword-only, `core` (the services and who may act); and
`register(app, core)`, which only wires it to its action id, view or command."""

from __future__ import annotations

from types import ModuleType

from handlers.slack.listeners import (
    acknowledge,
    agents_command,
    close_incident,
    console_link,
    declare_incident,
    events_command,
    events_page,
    home_opened,
    incident_command,
    oncall_command,
    resolve,
    runbook_link,
    silence_remove,
    silence_select,
    silence_submit,
    silences_command,
    unacknowledge,
    unsilence,
)

LISTENERS: tuple[ModuleType, ...] = (
    acknowledge,
    unacknowledge,
    resolve,
    unsilence,
    silence_select,
    console_link,
    runbook_link,
    silence_submit,
    agents_command,
    events_command,
    silences_command,
    events_page,
    silence_remove,
    oncall_command,
    declare_incident,
    incident_command,
    close_incident,
    home_opened,
)
