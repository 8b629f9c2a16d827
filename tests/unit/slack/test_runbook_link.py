"""The Runbook link button: the browser follows the link; the app only acks."""

from __future__ import annotations

from handlers.slack.listeners.runbook_link import runbook_link


def test_the_click_is_acked_with_nothing_in_it(ack):
    runbook_link(ack)
    assert ack.calls == [((), {})]
