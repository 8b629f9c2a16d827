"""Inhibit rules where they meet the other features: a held alert's thread lines (silence
notes and notices, incident lines) go to its parent's thread, an incident is declared on
the parent, released children pass storm admission, a parent's thread stops replying
after HELD_REPLIES, and an alert held back by a silence is held by its open parent."""

from __future__ import annotations

import json

import pytest

from adapters.routes_file import load_routes
from blocks.alert import DECLARE_INCIDENT, alert_blocks
from bot import alert_actions, inhibition, lifecycle
from bot.delivery import Delivery, flush, refresh_silences
from bot.incident_actions import close, declare
from bot.incidents import Incident, to_state
from bot.models import Alert, IncidentRef, MessageRef, Silence
from bot.silence_notices import notify_silences
from tests.corpus import load
from tests.fakes import FakeChat, FakeClock
from tests.unit.test_inhibition import (
    CHANNEL,
    RULES,
    CountingStore,
    alarm,
    health,
    record,
    run,
    signal_of,
    top_level,
)

USER = "U0ALICE"


@pytest.fixture
def d(tmp_path) -> Delivery:
    """A delivery under the inhibit rules of tests/unit/test_inhibition.py."""
    path = tmp_path / "routes.yml"
    path.write_text(RULES)
    return Delivery(alerts=CountingStore(), chat=FakeChat(), clock=FakeClock(), channel=CHANNEL,
                    routes=load_routes(path))  # fmt: skip


def held_child(d):
    run(d, health())
    run(d, alarm())
    return record(d, "health"), record(d, "alarm")


def test_a_held_alerts_thread_is_its_parents():
    root = MessageRef(channel=CHANNEL, ts="1.2")
    held = Alert(id="c", fingerprint="f", first_seen=0, last_seen=0, parent_id="p",
                 thread_ts="1.1", message=root)  # fmt: skip
    assert lifecycle.thread_of(held) == MessageRef(channel=CHANNEL, ts="1.1")
    own = held.model_copy(update={"parent_id": None, "thread_ts": None})
    assert lifecycle.thread_of(own) == root
    assert lifecycle.thread_of(own.model_copy(update={"message": None})) is None


def test_silencing_a_held_alert_is_told_in_its_parents_thread_and_so_is_its_end(d):
    issue, child = held_child(d)
    done = alert_actions.silence(d, child.id, child.version, USER, 3600, "known")
    assert done is alert_actions.Outcome.DONE
    (made,) = d.chat.silence_notes
    assert made["ref"].ts == issue.message.ts != child.message.ts
    d.clock.advance(3600)
    assert notify_silences(d) == 1
    ended = d.chat.silence_notes[-1]
    assert ended["note"].kind == "ended" and ended["ref"].ts == issue.message.ts


def test_an_incidents_lines_for_a_held_alert_go_to_its_parents_thread(d):
    issue, child = held_child(d)
    now = d.now()
    d.alerts.put_state(to_state(Incident(channel="C0INC", name="inc-1", alerts=[child.id],
                                         declared_by=USER, declared_at=now)))  # fmt: skip
    ref = IncidentRef(channel="C0INC", name="inc-1", declared_by=USER, declared_at=now)
    d.alerts.update_alert(child.model_copy(update={"incident": ref}))
    assert close(d, "C0INC", USER) is alert_actions.Outcome.DONE
    (line,) = [t for t in d.chat.texts if "closed the incident" in t["text"]]
    assert line["thread_ts"] == issue.message.ts


def test_a_held_alert_offers_no_incident_and_refuses_one_naming_its_parent(d):
    issue, child = held_child(d)

    def offers_incident(alert: Alert) -> bool:
        return DECLARE_INCIDENT in json.dumps(alert_blocks(alert.signal, alert, controls=True))

    assert offers_incident(issue) and not offers_incident(child)
    refused = declare(d, child.id, child.version, USER)
    assert refused == (
        f"This alert is held in the thread of <{d.chat.permalink(issue.message)}|its related "
        "alert>; declare the incident there."
    )
    assert d.chat.channels == {} and d.alerts.get_alert(child.id).incident is None


def test_released_children_pass_storm_admission(d):
    d.storm_threshold = 3
    run(d, health())
    names = [f"Alarm{i}" for i in range(6)]
    for name in names:
        run(d, alarm(name), after=120)  # held: no new root counts towards a storm
    run(d, health("closed"), after=120)
    children = [record(d, name) for name in names]
    roots = [c for c in children if c.parent_id is None and not c.held]  # posted, or due
    folded = [c for c in children if c.parent_id is not None]
    assert len(roots) == 3 and len(folded) == 3  # past the threshold: into a storm
    (summary,) = {c.parent_id for c in folded}
    assert d.alerts.get_alert(summary).kind == "storm"
    assert all(not c.held and c.message is None for c in folded)
    for _ in range(3):  # the channel's budget pays for a few posts a minute
        d.clock.advance(60)
        flush(d)
    assert d.alerts.get_alert(summary).message is not None
    assert {p["id"] for p in top_level(d)} >= {c.id for c in roots}
    assert not {c.id for c in folded} & {p["id"] for p in top_level(d)}


def test_a_parents_thread_replies_to_its_first_children_then_only_counts(d):
    run(d, health())
    issue = record(d, "health")
    extra = 2
    names = [f"Alarm{i}" for i in range(inhibition.HELD_REPLIES + extra)]
    for name in names:
        run(d, alarm(name), after=1)
    d.clock.advance(60)
    flush(d)  # what the channel's budget held back
    replies = [p for p in d.chat.posts if p["thread_ts"] == issue.message.ts]
    assert len(replies) == inhibition.HELD_REPLIES
    counted = [record(d, name) for name in names[-extra:]]
    assert all(c.held and c.inhibition.counted_only and c.message is None for c in counted)
    run(d, alarm("Later"), after=60)
    d.clock.advance(60)
    flush(d)
    parent = d.alerts.get_alert(issue.id)
    assert parent.inhibition.held == len(names) + 1
    capped = [t for t in d.chat.texts if "counted on the root" in t["text"]]
    assert len(capped) == 1 and capped[0]["thread_ts"] == issue.message.ts
    assert len([p for p in d.chat.posts if p["thread_ts"] == issue.message.ts]) == len(replies)
    run(d, health("closed"), after=60)  # released: the counted ones get roots too
    assert all(record(d, name).parent_id is None for name in names[-extra:])
    assert not record(d, names[-1]).inhibition.counted_only


def silence_of(d, alert_fingerprint: str) -> Silence:
    now = d.now()
    silence = Silence(id="s1", scope="alert", matcher=alert_fingerprint, created_by=USER,
                      created_at=now, expires_at=now + 600)  # fmt: skip
    d.alerts.create_silence(silence)
    return silence


def test_an_alert_silenced_at_its_opening_is_held_by_its_open_parent_when_posted(d):
    run(d, health())
    issue = record(d, "health")
    silence_of(d, signal_of(alarm("Hushed")).fingerprint)
    run(d, alarm("Hushed"))
    hushed = record(d, "Hushed")
    assert hushed.message is None and hushed.parent_id is None  # held back, not held
    d.clock.advance(600)
    refresh_silences(d)
    hushed = record(d, "Hushed")
    assert hushed.held and hushed.parent_id == issue.id and hushed.message is not None
    assert hushed.message.ts != issue.message.ts
    assert hushed.id not in {p["id"] for p in top_level(d)}
    assert d.alerts.get_alert(issue.id).inhibition.held == 1


def test_an_alert_no_rule_holds_costs_no_inhibit_read_when_its_silence_ends(d):
    finding = load("guardduty_finding_high_minimal.json")
    run(d, health())
    silence_of(d, signal_of(finding).fingerprint)
    run(d, finding)
    d.alerts.inhibit_calls = 0
    d.clock.advance(600)
    refresh_silences(d)
    (posted,) = [a for a in d.alerts.list_alerts(limit=100) if "guardduty" in a.fingerprint]
    assert posted.message is not None and posted.parent_id is None
    assert d.alerts.inhibit_calls == 0


def test_a_firing_after_its_silence_ended_is_held_by_its_open_parent(d):
    run(d, health())
    issue = record(d, "health")
    silence_of(d, signal_of(alarm("Hushed")).fingerprint)
    run(d, alarm("Hushed"))
    run(d, alarm("Hushed", event_id="again"), after=600)  # before the silences job runs
    hushed = record(d, "Hushed")
    assert hushed.held and hushed.parent_id == issue.id and hushed.count == 2
    assert hushed.id not in {p["id"] for p in top_level(d)}
    assert d.alerts.get_alert(issue.id).inhibition.held == 1
