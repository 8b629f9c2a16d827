"""Usergroup membership for SLACK_RESPONDERS: read from Slack, kept a few minutes."""

from __future__ import annotations

from handlers.slack.authorization import Usergroups
from tests.fakes import FakeClock


def test_members_are_read_once_then_kept_until_the_ttl(fake_slack, slack_client):
    fake_slack.set_usergroup("S0ONCALL", ["U1", "U2"])
    clock = FakeClock()
    groups = Usergroups(ttl=300, clock=clock.now)
    assert groups.members(slack_client, "S0ONCALL") == {"U1", "U2"}
    fake_slack.set_usergroup("S0ONCALL", ["U3"])
    assert groups.members(slack_client, "S0ONCALL") == {"U1", "U2"}  # kept
    assert len(fake_slack.calls("usergroups.users.list")) == 1
    clock.advance(301)
    assert groups.members(slack_client, "S0ONCALL") == {"U3"}  # read again
    assert len(fake_slack.calls("usergroups.users.list")) == 2
