"""Routing and noise control: rules over the corpus and the family factories, the routes
file's errors, mentions that only a route can make, and escalation on an injected clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.clock import SystemClock
from adapters.routes_file import RoutesFileError, load_routes
from blocks.view import MessageView
from bot import alert_actions
from bot.alert_actions import Outcome
from bot.delivery import Delivery
from bot.escalation import escalate
from bot.models import AlertStatus, Event, Signal
from bot.routing import Decision, Routes, decide, parse_routes
from bot.sources import Context, interpret
from tests.corpus import CORPUS_DIR, corpus_events
from tests.factories import T0, make_event
from tests.factories import ecs as ecs_f
from tests.factories import securityhub as sh_f
from tests.unit.test_lifecycle import alarm, delivery, emit, guardduty, tick

DEFAULT = "C0DEFAULT"
ESCALATE = 900

ROUTES = {
    "routes": [
        {
            "name": "guardduty-high",
            "match": {"source": "guardduty", "severity": "high"},
            "channel": "C0SECURITY",
            "mention": "S0ONCALL",
            "continue": True,
        },
        {"name": "cfn-success", "match": {"source": "cfn", "state": "resolved"}, "drop": True},
        {"name": "health", "match": {"source": "health"}, "channel": "C0HEALTH"},
        {"name": "everything-else", "channel": "C0OPS"},
    ]
}


def signals_of(event: Event) -> list[Signal]:
    return interpret(event, Context())


def corpus_signals() -> list[Signal]:
    """Every signal of every corpus file, through the same envelope parsing as ingest."""
    return [signal for _, _, signals in corpus_events(received_at=T0) for signal in signals]


def where(decision: Decision) -> list[str]:
    return [r.channel for r in decision.routes]


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


def test_over_the_corpus_first_match_continue_and_drop_each_apply():
    routes = parse_routes(ROUTES)
    decisions = [(s, decide(s, routes, DEFAULT)) for s in corpus_signals()]
    assert len(decisions) > 30
    for signal, decision in decisions:
        if signal.family == "guardduty" and signal.severity.rank >= 3:  # HIGH or worse
            # continue: the security channel, then the next rule that matches
            assert where(decision) == ["C0SECURITY", "C0OPS"]
            assert decision.routes[0].mention == "S0ONCALL"
        elif signal.family == "cloudformation" and signal.state.value == "resolved":
            assert decision.routes == [] and decision.dropped_by == "cfn-success"
        elif signal.family == "health":
            assert where(decision) == ["C0HEALTH"]  # first match; the catch-all not reached
        elif decision.dropped_by is None:
            assert where(decision) == ["C0OPS"]
    families = {s.family for s, d in decisions if where(d) == ["C0SECURITY", "C0OPS"]}
    assert families == {"guardduty"}
    assert any(d.dropped_by == "cfn-success" for _, d in decisions)


def test_with_no_rules_everything_goes_to_the_default_channel():
    for signal in corpus_signals():
        decision = decide(signal, Routes(), DEFAULT)
        assert where(decision) in ([DEFAULT], [])  # [] only for the default noise rules


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ({"account": "123456789012"}, True),
        ({"account": "prod"}, True),  # by name, from ACCOUNT_NAMES
        ({"account": ["staging", "prod"]}, True),
        ({"account": "staging"}, False),
        ({"region": "us-east-1"}, True),
        ({"region": "eu-west-1"}, False),
        ({"severity": "medium"}, True),  # HIGH is at least MEDIUM
        ({"severity": "critical"}, False),
        ({"severity": ["medium"]}, False),  # a list: exactly those
        ({"state": "firing"}, True),
        ({"title": "^CpuHigh"}, True),
        ({"title": "Disk"}, False),
        ({"source": "alarm"}, True),
        ({"source": "aws.cloudwatch"}, True),
        ({"source": "guardduty"}, False),
    ],
)
def test_each_match_field(match, expected):
    (signal,) = interpret(alarm(), Context(account_names={"123456789012": "prod"}))
    routes = parse_routes({"routes": [{"match": match, "channel": "C0HIT"}]})
    assert (where(decide(signal, routes, DEFAULT)) == ["C0HIT"]) is expected


def test_default_noise_drops_informational_passed_findings_and_running_tasks():
    passed = make_event(
        "Security Hub Findings - Imported",
        "aws.securityhub",
        sh_f.findings(sh_f.finding(label="INFORMATIONAL", compliance="PASSED")),
    )
    failed = make_event(
        "Security Hub Findings - Imported", "aws.securityhub", sh_f.findings(sh_f.finding())
    )
    running = make_event("ECS Task State Change", "aws.ecs", ecs_f.task_state("RUNNING"))
    routes = Routes()
    assert decide(signals_of(passed)[0], routes, DEFAULT).routes == []
    assert decide(signals_of(running)[0], routes, DEFAULT).dropped_by == "ecs-task-running"
    assert where(decide(signals_of(failed)[0], routes, DEFAULT)) == [DEFAULT]
    # Every default can be overridden: `noise: []` keeps them all.
    keep = parse_routes({"noise": []})
    assert where(decide(signals_of(running)[0], keep, DEFAULT)) == [DEFAULT]


@pytest.mark.parametrize(
    ("sample", "dropped_by"),
    [
        ("ec2_instance_state_change_running.json", "ec2-state-changes"),
        ("autoscaling_launch_successful.json", "autoscaling-success"),
        ("autoscaling_terminate_successful.json", "autoscaling-success"),
        ("ec2_spot_instance_interruption_warning.json", None),
        ("autoscaling_launch_unsuccessful.json", None),
    ],
)
def test_default_noise_stores_ec2_state_changes_and_scaling_successes_without_posting(
    sample: str, dropped_by: str | None
) -> None:
    [(_, _, signals)] = corpus_events([CORPUS_DIR / sample])
    decision = decide(signals[0], Routes(), DEFAULT)
    assert decision.dropped_by == dropped_by
    assert where(decision) == ([] if dropped_by else [DEFAULT])


# ---------------------------------------------------------------------------------------------
# The routes file
# ---------------------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routes.yml"
    path.write_text(text)
    return path


def test_a_valid_file_loads(tmp_path):
    path = write(
        tmp_path,
        "routes:\n"
        "  - name: sec\n"
        "    match: {source: guardduty, severity: high}\n"
        "    channel: C0SECURITY\n"
        "    mention: '@here'\n"
        "    continue: true\n",
    )
    (rule,) = load_routes(path).routes
    assert (rule.channel, rule.mention, rule.continue_) == ("C0SECURITY", "@here", True)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("routes:\n  - channel: C0A\n  - channel: '#ops'\n", 3, "not a Slack channel id"),
        ("routes:\n  - match:\n      severty: high\n    channel: C0A\n", 3, "unknown key"),
        ("routes:\n  - match: {severity: urgent}\n", 2, "unknown severity"),
        ("routes:\n  - match: {title: '(('}\n    channel: C0A\n", 2, "regular expression"),
        ("routes:\n  - channel: C0A\n    mention: '<!channel>'\n", 3, "mention"),
        ("routes:\n  - drop: true\n    channel: C0A\n", 2, "drops"),
        ("routes:\n  - drop: true\n    runbook: https://wiki.example/r\n", 2, "drops"),
        ("routes:\n  - channel: C0A\n    runbook: http://wiki.example/r\n", 3, "https link"),
        ("routes:\n  - channel: C0A\n    runbook: wiki/runbooks/cpu\n", 3, "https link"),
        ("routes:\n  - channel: C0A\n    runbook: 'https://x.example/<!here>'\n", 3, "https"),
        (
            "routes:\n  - channel: C0A\n  - channel: C0B\n    runbook: https://x.example/"
            + "a" * 3000
            + "\n",
            4,
            "routes.1.runbook: longer than the 3000 characters Slack takes",
        ),
        ("noise:\n  - match: {source: ecs}\n", 2, "only drop"),
        ("routes: [\n", 2, "not YAML"),
        ("- just a list\n", 1, "mapping"),
    ],
)
def test_a_bad_file_is_refused_with_its_line(tmp_path, text, line, words):
    with pytest.raises(RoutesFileError) as err:
        load_routes(write(tmp_path, text))
    assert f"line {line}:" in str(err.value) and words in str(err.value)


def test_a_rules_runbook_goes_with_its_route(tmp_path):
    path = write(
        tmp_path,
        "routes:\n"
        "  - match: {source: guardduty}\n"
        "    channel: C0SECURITY\n"
        "    runbook: https://wiki.example/runbooks/guardduty\n"
        "    continue: true\n"
        "  - channel: C0OPS\n",
    )
    (signal,) = signals_of(guardduty())
    routes = decide(signal, load_routes(path), DEFAULT).routes
    assert [(r.channel, r.runbook) for r in routes] == [
        ("C0SECURITY", "https://wiki.example/runbooks/guardduty"),
        ("C0OPS", None),
    ]


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(RoutesFileError, match="cannot read"):
        load_routes(tmp_path / "nope.yml")


# ---------------------------------------------------------------------------------------------
# Delivery along routes
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def d() -> Delivery:
    return delivery(DEFAULT, routes=parse_routes(ROUTES))


def test_a_route_that_continues_opens_one_alert_per_channel(d):
    emit(d, guardduty())
    assert sorted(p["ref"].channel for p in d.chat.posts) == ["C0OPS", "C0SECURITY"]
    security = next(p for p in d.chat.posts if p["ref"].channel == "C0SECURITY")
    assert security["alert"].mention == "S0ONCALL"
    emit(d, guardduty())  # a repeat counts on both alerts, one per channel
    counts = sorted(a.count for a in d.alerts.list_alerts() if a.kind == "alert")
    assert counts == [2, 2] and len(d.chat.posts) == 2


def test_an_alert_keeps_the_runbook_of_the_route_that_opened_it():
    routes = parse_routes(
        {
            "routes": [
                {"channel": "C0SECURITY", "runbook": "https://wiki.example/gd", "continue": True},
                {"channel": "C0OPS"},
            ]
        }
    )
    d = delivery(DEFAULT, routes=routes)
    emit(d, guardduty())
    runbooks = {p["ref"].channel: p["alert"].runbook for p in d.chat.posts}
    assert runbooks == {"C0SECURITY": "https://wiki.example/gd", "C0OPS": None}


def test_a_dropped_event_opens_nothing(d):
    emit(d, make_event("CloudFormation Stack Status Change", "aws.cloudformation",
                       {"stack-id": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
                        "status-details": {"status": "UPDATE_COMPLETE"}}))  # fmt: skip
    assert d.chat.posts == [] and d.alerts.list_alerts() == []


def test_only_a_routes_own_mention_pings_never_event_text():
    hostile = alarm()
    hostile.detail["alarmName"] = "<!channel> CPU <@U0EVIL> <!subteam^S0EVIL>"
    hostile.detail["configuration"]["description"] = "<!everyone> <https://evil.example|x>"
    (signal,) = signals_of(hostile)
    routes = parse_routes({"routes": [{"channel": "C0OPS", "mention": "@here"}]})
    (route,) = decide(signal, routes, DEFAULT).routes
    d = delivery(DEFAULT, routes=routes)
    emit(d, hostile)
    (post,) = d.chat.posts
    message = MessageView(SystemClock()).message(signal, post["alert"], controls=True)
    parsed = " ".join(mrkdwn_texts(message))  # what Slack reads for mentions and links
    assert parsed.count("<!here>") == 2  # the route's own, in the text and in a block
    for live in ("<!channel>", "<@U0EVIL>", "<!subteam^S0EVIL>", "<!everyone>", "<https://"):
        assert live not in parsed
    assert "&lt;!channel&gt;" in parsed  # shown, escaped
    assert route.mention == "@here"


def mrkdwn_texts(node: object) -> list[str]:
    """Every string Slack parses as mrkdwn: the message text and mrkdwn text objects
    (plain_text, as in headers, is shown as is and never pings)."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" or "fallback" in node:
            found += [v for k, v in node.items() if k in ("text", "fallback")]
        elif isinstance(node.get("text"), str) and "blocks" in node:
            found.append(node["text"])
        for value in node.values():
            if isinstance(value, dict | list):
                found += mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            found += mrkdwn_texts(item)
    return found


# ---------------------------------------------------------------------------------------------
# Escalation
# ---------------------------------------------------------------------------------------------


def reminders_at(d: Delivery, minutes: list[int]) -> list[int]:
    """Minutes (from the first event) at which reminders went out, over `minutes`."""
    start = d.now()
    seen = []
    for minute in minutes:
        d.clock.advance(start + minute * 60 - d.now())
        before = len(d.chat.reminders)
        escalate(d, ESCALATE)
        seen += [minute] * (len(d.chat.reminders) - before)
    return seen


def test_reminders_come_at_after_and_twice_after_then_stop(d):
    emit(d, guardduty())  # HIGH: to security (with its mention) and to ops
    at = reminders_at(d, [5, 14, 15, 16, 29, 30, 31, 60, 120])
    assert at == [15, 15, 30, 30]  # one per alert (two channels), at 15 and at 30 minutes
    security = [r for r in d.chat.reminders if r["ref"].channel == "C0SECURITY"]
    assert [r["alert"].mention for r in security] == ["S0ONCALL", "S0ONCALL"]
    assert all(r["ref"].ts == r["alert"].message.ts for r in d.chat.reminders)  # in thread


def test_an_acknowledged_alert_gets_no_more_reminders(d):
    emit(d, guardduty())
    assert reminders_at(d, [15]) == [15, 15]
    for alert in [a for a in d.alerts.list_alerts() if a.kind == "alert"]:
        assert alert_actions.acknowledge(d, alert.id, alert.version, "U1") is Outcome.DONE
    assert reminders_at(d, [30, 60]) == []


def test_silenced_resolved_and_low_alerts_get_none(d):
    emit(d, guardduty(finding_id="silenced"))
    emit(d, guardduty(finding_id="resolved"))
    emit(d, guardduty(finding_id="low", severity=2))
    silenced = next(
        a for a in d.alerts.list_alerts() if ":silenced" in a.fingerprint and a.channel != d.channel
    )
    # One click silences the fingerprint, so its alert in the other channel too.
    alert_actions.silence(d, silenced.id, silenced.version, "U1", 7200)
    emit(d, guardduty(finding_id="resolved", archived=True))
    tick(d, 30)
    assert reminders_at(d, [15, 30, 60]) == []
    statuses = {a.status for a in d.alerts.list_alerts() if a.kind == "alert"}
    assert AlertStatus.RESOLVED in statuses


def test_a_reminder_that_slack_does_not_take_is_sent_on_the_next_run(d):
    emit(d, alarm())  # HIGH, to the ops channel only
    calls = []

    def failing(ref, alert, waited):
        from bot.errors import ChatUnavailableError

        calls.append(waited)
        if len(calls) == 1:
            raise ChatUnavailableError("down")
        return d.chat.post_text(ref.channel, "reminder", thread_ts=ref.ts)

    d.chat.post_reminder = failing
    reminders_at(d, [15, 16])
    assert len(calls) == 2 and calls[1] == 16 * 60
    (alert,) = [a for a in d.alerts.list_alerts() if a.kind == "alert"]
    assert alert.reminders == 1


def test_a_recovery_reaches_every_channel_its_alert_is_open_in_whatever_the_rules(d):
    emit(d, guardduty())  # HIGH: open in the security and the ops channels
    drop = {"match": {"source": "guardduty", "state": "resolved"}, "drop": True}
    d.routes = parse_routes({"routes": [drop, *ROUTES["routes"]]})
    emit(d, guardduty(archived=True))  # a rule drops recoveries, yet both alerts resolve
    tick(d, 30)
    alerts = [a for a in d.alerts.list_alerts() if a.kind == "alert"]
    assert len(alerts) == 2 and all(a.status is AlertStatus.RESOLVED for a in alerts)
    assert len(d.chat.posts) == 2  # and nothing new was posted


def test_a_recovery_goes_only_where_its_alert_is_open():
    routes = parse_routes({"routes": [{"match": {"severity": "high"}, "channel": "C0ONCALL"}]})
    d = delivery(DEFAULT, routes=routes)
    emit(d, alarm())  # HIGH: to the on-call channel
    emit(d, alarm("OK"))  # the recovery's own severity would send it to the default channel
    tick(d, 30)
    assert [p["ref"].channel for p in d.chat.posts] == ["C0ONCALL"]  # no stray message
    (alert,) = [a for a in d.alerts.list_alerts() if a.kind == "alert"]
    assert alert.status is AlertStatus.RESOLVED


def test_events_shows_the_state_of_an_alert_routed_away_from_the_default_channel():
    from adapters.memory import MemoryEventStore
    from bot.cursors import CursorCodec
    from bot.delivery import find_anywhere
    from bot.event_search import Query, Search

    d = delivery(DEFAULT, routes=parse_routes({"routes": [{"channel": "C0ONCALL"}]}))
    event = alarm()
    events = MemoryEventStore(CursorCodec("s"))
    events.create(event)
    emit(d, event)  # its alert lives in C0ONCALL, under that channel's key
    alone = Search(events, d.alerts, CursorCodec("s"), now=d.now())
    assert alone.first(Query(since=0)).items[0].state == ""  # the default channel's view
    routed = Search(events, d.alerts, CursorCodec("s"), now=d.now(),
                    find_alert=lambda fingerprint: find_anywhere(d, fingerprint))  # fmt: skip
    assert routed.first(Query(since=0)).items[0].state == "open"


def test_a_rule_s_log_groups_are_checked_and_carried_to_its_route():
    routes = parse_routes({"routes": [{"channel": "C0OPS", "log_groups": ["/aws/lambda/api"]}]})
    (signal,) = interpret(alarm(), Context())
    (route,) = decide(signal, routes, DEFAULT).routes
    assert route.log_groups == ("/aws/lambda/api",)
    for bad in (["has space"], [f"/g{n}" for n in range(11)], [""]):
        with pytest.raises(ValueError, match="log_groups"):
            parse_routes({"routes": [{"channel": "C0OPS", "log_groups": bad}]})


def test_every_problem_of_the_new_keys_is_listed_at_once_each_at_its_line(tmp_path):
    text = (
        "oncall:\n"
        "  - name: ops\n"
        "    members: [U0ALICE]\n"
        "    start: 2024-01-01\n"
        "maintenance:\n"
        "  - name: patching\n"
        "    cron: '0 25 * * *'\n"
        "    duration: 2h\n"
        "inhibit:\n"
        "  - parent: {source: health}\n"
        "    child: {source: alarm}\n"
        "    equal: [account, {parent: 'a b', child: x}]\n"
        "routes:\n"
        "  - match: {source: alarm}\n"
        "    oncall: nope\n"
    )
    with pytest.raises(RoutesFileError) as err:
        load_routes(write(tmp_path, text))
    problems = str(err.value).splitlines()
    assert [p.split(": ")[1:3] for p in problems] == [
        ["line 7", "maintenance.0.cron"],
        ["line 12", "inhibit.0.equal.1.parent"],  # the pair's error, not "not a string"
        ["line 15", "routes.0.oncall"],  # listed though other parts failed
    ]
    assert "no rotation named 'nope' (oncall: ops)" in problems[2]
