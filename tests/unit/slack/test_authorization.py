"""SLACK_RESPONDERS: empty lets everyone act; else its users and its usergroups' members,
read from Slack and kept; a group that cannot be read refuses."""

from __future__ import annotations

from handlers.slack.authorization import Responders, Usergroups
from tests.fakes import FakeClock
from tests.unit.slack.doubles import FakeWebClient


def test_empty_lets_everyone(client):
    assert Responders([]).allow(client, "U0ANYONE") and client.calls == []


def test_named_users_need_no_lookup(client):
    responders = Responders(["U0ALICE", "S0ONCALL"])
    assert responders.allow(client, "U0ALICE") and client.calls == []


def test_usergroup_members_are_read_then_kept_until_the_ttl():
    clock = FakeClock()
    client = FakeWebClient({"S0ONCALL": ["U0BOB"]})
    responders = Responders(["S0ONCALL"], Usergroups(ttl=300, clock=clock.now))
    assert responders.allow(client, "U0BOB") and not responders.allow(client, "U0CAROL")
    assert len(client.called("usergroups.users.list")) == 1
    clock.advance(301)
    client.usergroups["S0ONCALL"] = ["U0CAROL"]
    assert responders.allow(client, "U0CAROL")
    assert len(client.called("usergroups.users.list")) == 2


def test_a_group_that_cannot_be_read_refuses():
    client = FakeWebClient({})  # reading any group fails
    assert not Responders(["S0GONE"]).allow(client, "U0BOB")
