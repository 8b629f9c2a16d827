"""Inhibit rules: labels and `equal` pairs on real sample events, the keys a parent is kept
under and a child looks up, the fold into an open parent's thread, the link from alerts
posted before it, and the release when it resolves."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from adapters.memory import MemoryAlertStore, MemoryEventStore
from adapters.routes_file import RoutesFileError, load_routes
from blocks.view import MessageView
from bot import inhibition, lifecycle
from bot.delivery import Delivery, flush, notify
from bot.envelopes import read_unit
from bot.ingest import ingest, read_event
from bot.models import Alert, AlertStatus, Signal
from bot.routing import Routes, parse_routes
from bot.sources import Context
from tests.corpus import load, untimed
from tests.fakes import FakeChat, FakeClock

CHANNEL = "C0ALERTS"
ACCOUNT, REGION = "123456789012", "us-west-2"  # the Health sample's

RULES = textwrap.dedent(
    """\
    inhibit:
      - name: health-issue
        parent: {source: health, state: firing}
        child: {source: alarm}
        equal: [account, region]
      - name: stack-rollback
        parent: {source: cloudformation, title: ROLLBACK}
        child: {source: alarm}
        equal: [account, region, {parent: Stack, child: title, prefix: true}]
      - name: ecs-deployment-failed
        parent: {source: ecs, fields: {Event: SERVICE_DEPLOYMENT_FAILED}}
        child: {source: alarm}
        equal:
          - account
          - region
          - {parent: Cluster, child: ClusterName}
          - {parent: Service, child: ServiceName}
    """
)


@pytest.fixture
def routes(tmp_path) -> Routes:
    path = tmp_path / "routes.yml"
    path.write_text(RULES)
    return load_routes(path)


def health(status: str = "open") -> dict[str, Any]:
    event = load("health_ec2_issue_minimal.json")
    event["detail"]["statusCode"] = status
    if status == "closed":
        event["id"] += "-closed"
    return event


def alarm(
    name: str = "ServerCpuTooHigh",
    *,
    account: str = ACCOUNT,
    region: str = REGION,
    state: str = "ALARM",
    event_id: str | None = None,
    dimensions: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The single-metric alarm sample, moved to another alarm, account or region."""
    event = untimed(load("cloudwatch_alarm_state_change_single_metric.json"))
    event["id"] = event_id or f"{name}-{account}-{region}-{state}"
    event.update(account=account, region=region)
    event["resources"] = [f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"]
    event["detail"]["alarmName"] = name
    event["detail"]["state"]["value"] = state
    if dimensions is not None:
        metric = event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]
        metric.update(namespace="AWS/ECS", name="CPUUtilization", dimensions=dimensions)
    return event


def stack(status: str) -> dict[str, Any]:
    event = load("cloudformation_stack_status_change_create_complete.json")
    event["detail"]["status-details"]["status"] = status
    event["id"] += status
    return event


def signal_of(body: dict[str, Any]) -> Signal:
    (raw,) = read_unit(json.loads(json.dumps(body)))
    _, (signal,) = read_event(raw, received_at=1_700_000_000, ttl=3600, ctx=Context())
    return signal


def rule(routes: Routes, name: str):
    return next((rid, r) for rid, r in inhibition.rules(routes) if rid == name)


# -- rules and labels ---------------------------------------------------------------------


def test_an_alarms_labels_include_its_metrics_dimensions():
    signal = signal_of(alarm(dimensions={"ClusterName": "default", "ServiceName": "servicetest"}))
    labels = inhibition.labels(signal)
    assert labels["clustername"] == "default" and labels["servicename"] == "servicetest"
    assert (labels["account"], labels["region"], labels["source"]) == (ACCOUNT, REGION, "alarm")


def test_a_health_issue_relates_its_account_and_regions_alarms_only(routes):
    _, health_rule = rule(routes, "health-issue")
    issue = signal_of(health())
    assert inhibition.related(health_rule, issue, signal_of(alarm()))
    assert not inhibition.related(health_rule, issue, signal_of(alarm(region="us-east-1")))
    assert not inhibition.related(health_rule, issue, signal_of(alarm(account="999999999999")))
    # a closed issue matches no parent (state: firing), and an issue is no alarm
    assert not inhibition.related(health_rule, signal_of(health("closed")), signal_of(alarm()))
    assert not inhibition.related(health_rule, issue, issue)


def test_a_stack_rollback_relates_the_alarms_cloudformation_named_for_it(routes):
    _, stack_rule = rule(routes, "stack-rollback")
    rollback = signal_of(stack("UPDATE_ROLLBACK_IN_PROGRESS"))
    where = {"account": "111122223333", "region": "us-west-1"}  # the stack sample's
    assert inhibition.related(
        stack_rule, rollback, signal_of(alarm("teststack-Errors-1AB", **where))
    )
    for other in ("teststack2-Errors-1AB", "other-teststack-1AB", "teststack"):
        assert not inhibition.related(stack_rule, rollback, signal_of(alarm(other, **where)))
    assert not inhibition.related(
        stack_rule, signal_of(stack("UPDATE_COMPLETE")), signal_of(alarm("teststack-E-1", **where))
    )


def test_a_failed_ecs_deployment_relates_its_services_alarms(routes):
    _, ecs_rule = rule(routes, "ecs-deployment-failed")
    failed = signal_of(load("ecs_deployment_state_change_failed.json"))
    where = {"account": "111122223333", "region": "us-west-2"}  # the ECS sample's
    ours = alarm(dimensions={"ClusterName": "default", "ServiceName": "servicetest"}, **where)
    theirs = alarm(dimensions={"ClusterName": "default", "ServiceName": "billing"}, **where)
    assert inhibition.related(ecs_rule, failed, signal_of(ours))
    assert not inhibition.related(ecs_rule, failed, signal_of(theirs))
    assert not inhibition.related(ecs_rule, failed, signal_of(alarm(**where)))  # no dimensions


@pytest.mark.parametrize(
    ("parent", "child", "name"),
    [
        (health(), alarm(), "health-issue"),
        (
            stack("UPDATE_ROLLBACK_COMPLETE"),
            alarm("teststack-Errors-1AB", account="111122223333", region="us-west-1"),
            "stack-rollback",
        ),
        (
            load("ecs_deployment_state_change_failed.json"),
            alarm(
                dimensions={"ClusterName": "default", "ServiceName": "servicetest"},
                account="111122223333",
            ),
            "ecs-deployment-failed",
        ),
    ],
)
def test_a_child_looks_up_the_key_its_parent_is_kept_under(routes, parent, child, name):
    rule_id, found = rule(routes, name)
    kept = inhibition.parent_keys(routes, signal_of(parent), CHANNEL)
    looked = inhibition.child_keys(rule_id, found, signal_of(child), CHANNEL)
    assert set(kept) & set(looked)
    assert not set(kept) & set(inhibition.child_keys(rule_id, found, signal_of(child), "C0OTHER"))


def test_an_event_no_rule_concerns_has_no_keys(routes):
    guardduty = signal_of(load("guardduty_finding_high_minimal.json"))
    assert inhibition.parent_keys(routes, guardduty, CHANNEL) == []
    assert all(
        not inhibition.child_keys(i, r, guardduty, CHANNEL) for i, r in inhibition.rules(routes)
    )


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("inhibit:\n  - parent: {source: health}\n    child: {source: alarm}\n    equl: [x]\n",
         "line 4: inhibit.0.equl: unknown key"),
        ("inhibit:\n  - parent: {source: health}\n    child: {source: nosuch}\n",
         "line 3: inhibit.0.child.source: unknown source 'nosuch'"),
        ("inhibit:\n  - parent: {source: health}\n    child: {}\n    equal:\n"
         "      - {parent: a, child: b, prefix: true}\n"
         "      - {parent: c, child: d, prefix: true}\n",
         "line 4: inhibit.0.equal: at most one `equal` item may compare by prefix"),
        ("inhibit:\n  - child: {source: alarm}\n", "line 2: inhibit.0.parent: Field required"),
    ],
)  # fmt: skip
def test_a_bad_inhibit_rule_names_its_line(tmp_path, text, where):
    path = tmp_path / "routes.yml"
    path.write_text(text)
    with pytest.raises(RoutesFileError, match=where.replace("`", ".").replace("'", ".")):
        load_routes(path)


# -- delivery -----------------------------------------------------------------------------


class CountingStore(MemoryAlertStore):
    """Counts the reads and writes of inhibit keys."""

    def __init__(self) -> None:
        super().__init__()
        self.inhibit_calls = 0

    def get_state(self, key):
        self.inhibit_calls += key.startswith("inhibit:")
        return super().get_state(key)

    def put_state(self, state):
        self.inhibit_calls += state.key.startswith("inhibit:")
        return super().put_state(state)


@pytest.fixture
def d(routes) -> Delivery:
    delivery = Delivery(
        alerts=CountingStore(), chat=FakeChat(), clock=FakeClock(), channel=CHANNEL, routes=routes
    )
    return delivery


def routed_with_mention(routes: Routes) -> Routes:
    return parse_routes({**routes.model_dump(by_alias=True), "routes": [{"mention": "@here"}]})


def run(d: Delivery, body: dict[str, Any], after: int = 60) -> None:
    d.clock.advance(after)
    ingest(body, MemoryEventStore(), d.clock, ttl=3600, on_new=lambda e, s, _: notify(e, s, d))


def record(d: Delivery, fingerprint_part: str) -> Alert:
    (found,) = [a for a in d.alerts.list_alerts(limit=1000) if fingerprint_part in a.fingerprint]
    return found


def top_level(d: Delivery) -> list[dict]:
    return [p for p in d.chat.posts if p["thread_ts"] is None]


def test_an_alarm_while_a_health_issue_is_open_is_held_in_its_thread(d):
    d.routes = routed_with_mention(d.routes)
    run(d, health())
    issue = record(d, "health")
    run(d, alarm())
    run(d, alarm("DiskFull"))
    assert [p["id"] for p in top_level(d)] == [issue.id]  # no root of their own
    held = [p for p in d.chat.posts if p["thread_ts"] == issue.message.ts]
    assert len(held) == 2
    for post in held:
        child = d.alerts.get_alert(post["id"])
        assert child.held and child.parent_id == issue.id
        assert child.signal.title in ("ServerCpuTooHigh", "DiskFull")
        # drawn in the thread without the route's ping
        assert "<!here>" not in json.dumps(
            MessageView(d.clock).message(child.signal, child, controls=True)
        )
    d.clock.advance(60)
    flush(d)
    parent = d.alerts.get_alert(issue.id)
    assert parent.inhibition.held == 2
    assert d.chat.updates[-1]["alert"].inhibition.held == 2  # the root shows the count


def test_a_held_alerts_repeat_edits_its_reply_and_tells_no_thread(d):
    run(d, health())
    run(d, alarm())
    child = record(d, "alarm")
    run(d, alarm(event_id="again"))
    assert d.alerts.get_alert(child.id).count == 2
    flush(d)
    assert d.chat.texts == []  # its reply has no thread; the parent's thread is not told
    assert any(u["alert"].id == child.id and u["alert"].count == 2 for u in d.chat.updates)


def test_an_alarm_elsewhere_is_posted_and_costs_no_inhibit_read(d):
    run(d, health())
    d.alerts.inhibit_calls = 0
    run(d, load("guardduty_finding_high_minimal.json"))  # no rule's child or parent
    assert d.alerts.inhibit_calls == 0
    run(d, alarm(region="us-east-1"))  # a child of the rules, with no parent open
    assert d.alerts.inhibit_calls == 1  # one read of its key; no write
    assert len(top_level(d)) == 3


def test_resolving_the_parent_gives_children_still_firing_their_own_roots(d):
    d.routes = routed_with_mention(d.routes)
    run(d, health())
    run(d, alarm())
    run(d, alarm("DiskFull"))
    run(d, alarm("DiskFull", state="OK"))  # resolved while held: stays in the thread
    run(d, health("closed"))
    firing, resolved = record(d, "ServerCpuTooHigh"), record(d, "DiskFull")
    assert firing.parent_id is None and not firing.held
    assert firing.message is not None and firing.message.ts != firing.thread_ts
    (own_root,) = [p for p in top_level(d) if p["id"] == firing.id]
    assert own_root["alert"].mention == "@here"  # posted normally: it pings now
    assert resolved.held and resolved.status is AlertStatus.RESOLVED
    assert all(p["id"] != resolved.id for p in top_level(d))
    run(d, alarm("NewOne"))  # the parent resolved: no longer holds
    assert record(d, "NewOne").parent_id is None


def test_an_alarm_posted_before_the_parent_is_linked_to_it(d):
    run(d, alarm())
    earlier = record(d, "alarm")
    run(d, health())
    issue = record(d, "health")
    (reply,) = [t for t in d.chat.texts if t["thread_ts"] == earlier.message.ts]
    link = d.chat.permalink(issue.message)
    assert reply["text"] == f":link: Related: <{link}>"
    assert earlier.parent_id is None and top_level(d)[0]["id"] == earlier.id
    run(d, alarm(event_id="again"))
    flush(d)
    assert sum("Related" in t["text"] for t in d.chat.texts) == 1  # told once


def test_detaching_a_held_alert_clears_its_reply():
    from bot.models import MessageRef

    held = Alert(
        id="a1", fingerprint="f", first_seen=0, last_seen=0, parent_id="a0", thread_ts="1.1",
        message=MessageRef(channel=CHANNEL, ts="1.2"),
    )  # fmt: skip
    assert held.held
    own = lifecycle.detach(held, 10, "its related alert resolved")
    assert (own.parent_id, own.thread_ts, own.message, own.outbox.pending) == (
        None,
        None,
        None,
        True,
    )
    planned, work = lifecycle.plan(own, 10)
    assert work.post and planned.outbox.in_flight


def test_resolving_the_parent_by_hand_releases_its_children_too(d):
    from bot import alert_actions

    run(d, health())
    run(d, alarm())
    issue = record(d, "health")
    done = alert_actions.resolve(d, issue.id, d.alerts.get_alert(issue.id).version, "U0ALICE")
    assert done is alert_actions.Outcome.DONE
    child = record(d, "alarm")
    assert child.parent_id is None and [p["id"] for p in top_level(d)] == [issue.id, child.id]


def test_a_parents_root_shows_its_count_and_a_held_alert_says_where_it_is():
    from blocks.alert import alert_blocks
    from bot.models import Inhibition

    issue, cpu = signal_of(health()), signal_of(alarm())
    parent = Alert(
        id="p", fingerprint=issue.fingerprint, first_seen=0, last_seen=0,
        inhibition=Inhibition(held=3),
    )  # fmt: skip
    child = Alert(id="c", fingerprint=cpu.fingerprint, first_seen=0, last_seen=0,
                  parent_id="p", thread_ts="1.1")  # fmt: skip
    shown = json.dumps(alert_blocks(issue, parent, controls=True, now=0)[0])
    assert "3 related alerts held in its thread" in shown and "Held in the thread" not in shown
    held = json.dumps(alert_blocks(cpu, child, controls=True, now=0)[0])
    assert "Held in the thread of a related open alert" in held
    assert "related alerts held" not in held


def test_the_reply_after_a_related_link_has_an_id_of_its_own():
    """A reply is looked for by its id after a failure: the one after the link must not
    take the link's reply for itself. Ids without a link keep their form."""
    from bot.delivery import thread_reply_id
    from bot.models import Told

    before_link, after_link = Told(count=3), Told(count=3, related=True)
    assert thread_reply_id("a1", [before_link]) == "a1/reply/1-3-0-0"
    assert thread_reply_id("a1", [after_link]) != thread_reply_id("a1", [before_link])


def test_a_click_on_a_held_alert_is_told_in_its_parents_thread(d):
    from bot import alert_actions

    run(d, health())
    run(d, alarm())
    issue, child = record(d, "health"), record(d, "alarm")
    done = alert_actions.acknowledge(d, child.id, child.version, "U0ALICE")
    assert done is alert_actions.Outcome.DONE
    (told,) = [t for t in d.chat.texts if "U0ALICE" in t["text"]]
    assert told["thread_ts"] == issue.message.ts != child.message.ts
