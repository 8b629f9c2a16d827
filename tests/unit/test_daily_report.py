"""The daily report: what it counts, how it is split into a thread, and that it is sent
once, on the in-memory stores, a FakeChat and an injected clock."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from adapters.memory import MemoryAlertStore, MemoryEventStore
from bot import daily_report
from bot.daily_report import ReportSender, build_report, day_bounds, parse_day, previous_day
from bot.errors import ChatUnavailableError, ValidationError
from bot.ingest import ingest
from bot.models import Alert, AlertStatus, Event, Severity, Silence
from bot.sources import Context
from tests.corpus import CORPUS_DIR, EXPECTED_FAMILY
from tests.fakes import FakeChat, FakeClock

DAY = date(2026, 11, 26)
START, END = day_bounds(DAY)
NEXT_MORNING = END + 1 + 3600  # 01:00 UTC the day after
TTL = 30 * 86400
PROD, STAGING = "111111111111", "222222222222"
NAMES = {PROD: "prod"}


def alarm(n: int, at: int, name: str, *, state: str = "ALARM", account: str = PROD) -> dict:
    return {
        "version": "0",
        "id": f"alarm-{n}",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": account,
        "time": datetime.fromtimestamp(at, tz=UTC).isoformat().replace("+00:00", "Z"),
        "region": "eu-west-1",
        "resources": [f"arn:aws:cloudwatch:eu-west-1:{account}:alarm:{name}"],
        "detail": {
            "alarmName": name,
            "state": {"value": state, "reason": "Threshold Crossed"},
            "previousState": {"value": "OK"},
        },
    }


def finding(n: int, at: int, severity: float, account: str = STAGING) -> dict:
    return {
        "version": "0",
        "id": f"gd-{n}",
        "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty",
        "account": account,
        "time": datetime.fromtimestamp(at, tz=UTC).isoformat().replace("+00:00", "Z"),
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "id": f"finding-{n % 3}",
            "type": "Recon:EC2/PortProbeUnprotectedPort",
            "title": f"Port probe {n % 3}",
            "severity": severity,
            "accountId": account,
            "region": "eu-west-1",
        },
    }


class Stores:
    def __init__(self) -> None:
        self.events = MemoryEventStore()
        self.alerts = MemoryAlertStore()
        self.clock = FakeClock(NEXT_MORNING)
        self.chat = FakeChat()

    def add(self, *bodies: dict) -> None:
        result = ingest(list(bodies), self.events, self.clock, ttl=TTL)
        assert not result.rejected, result.rejected

    def sender(self, channel: str = "CREPORT") -> ReportSender:
        return ReportSender(
            events=self.events,
            alerts=self.alerts,
            chat=self.chat,
            clock=self.clock,
            channel=channel,
            silences=self.alerts,
            states=self.alerts,
            ctx=Context(account_names=NAMES),
            pause=self.clock.advance,
        )

    def report(self, day: date = DAY):
        return build_report(
            self.events, self.alerts, self.alerts, day, int(self.clock.now()), self.ctx
        )

    @property
    def ctx(self) -> Context:
        return Context(account_names=NAMES)


def alert(n: int, *, opened: int, acked: int | None = None, resolved: int | None = None,
          last_seen: int | None = None, kind: str = "alert") -> Alert:  # fmt: skip
    status = AlertStatus.RESOLVED if resolved else AlertStatus.ACKED if acked else AlertStatus.OPEN
    return Alert(
        id=f"a{n}",
        fingerprint=f"fp-{n}",
        status=status,
        first_seen=opened,
        opened_at=opened,
        last_seen=last_seen or resolved or opened,
        acked_at=acked,
        resolved_at=resolved,
        kind=kind,  # type: ignore[arg-type]
    )


# --- days --------------------------------------------------------------------------------


def test_the_scheduled_report_covers_the_previous_utc_day():
    assert previous_day(datetime(2026, 11, 27, 1, 0, tzinfo=UTC).timestamp()) == DAY
    assert previous_day(datetime(2026, 11, 27, 0, 0, tzinfo=UTC).timestamp()) == DAY
    assert day_bounds(DAY) == (
        int(datetime(2026, 11, 26, tzinfo=UTC).timestamp()),
        int(datetime(2026, 11, 26, 23, 59, 59, tzinfo=UTC).timestamp()),
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [("26/11/2026", "not a day"), ("2026-11-27", "not over yet"), ("2030-01-01", "not over")],
)
def test_a_day_must_be_written_right_and_be_over(text, problem):
    with pytest.raises(ValidationError, match=problem):
        parse_day(text, NEXT_MORNING)
    assert parse_day("2026-11-26", NEXT_MORNING) == DAY


# --- what it counts ----------------------------------------------------------------------


def test_totals_and_breakdowns_match_the_store_and_leave_out_other_days():
    s = Stores()
    s.add(
        alarm(1, START, "CpuHigh"),  # the day's first second
        alarm(2, START + 3600 * 5 + 10, "CpuHigh"),
        alarm(3, START + 3600 * 5 + 20, "DiskFull", account=STAGING),
        alarm(4, END, "CpuHigh", state="OK"),  # the day's last second
        finding(5, START + 3600 * 13, 8.0),
        finding(6, START + 3600 * 13 + 1, 2.0),
        alarm(7, START - 1, "CpuHigh"),  # the day before
        alarm(8, END + 1, "CpuHigh"),  # the day after
    )
    report, parts = s.report()
    in_day = list(s.events.scan(START, END, int(s.clock.now())))
    assert report.events == len(in_day) == 6
    assert {c.label: c.count for c in report.by_source} == dict(
        Counter(e.source for e in in_day)
    ) == {"aws.cloudwatch": 4, "aws.guardduty": 2}  # fmt: skip
    assert {c.label: c.count for c in report.by_account} == {
        "prod (111111111111)": 3,
        STAGING: 3,
    }
    assert {c.label: c.count for c in report.by_severity} == dict(
        Counter(e.severity.value for e in in_day)
    )
    assert [c.label for c in report.by_severity] == sorted(
        (c.label for c in report.by_severity), key=lambda v: -Severity(v).rank
    )
    assert sum(report.hourly) == 6
    assert report.hourly[0] == 1 and report.hourly[5] == 2 and report.hourly[13] == 2
    assert report.hourly[23] == 1
    # CpuHigh (prod), DiskFull (staging), and GuardDuty findings 2 and 0 (5 % 3, 6 % 3)
    assert report.alerts == 4
    assert [p.source for p in parts] == ["aws.cloudwatch", "aws.guardduty"]
    assert sum(a.count for p in parts for a in p.alerts) == 6


def test_the_noisiest_alerts_are_the_five_with_most_events_that_day():
    s = Stores()
    bodies = []
    n = 0
    for name, times in [("A", 7), ("B", 2), ("C", 9), ("D", 1), ("E", 4), ("F", 3), ("G", 5)]:
        for _ in range(times):
            n += 1
            bodies.append(alarm(n, START + n * 60, name))
    s.add(*bodies)
    report, _ = s.report()
    assert [(a.title.split()[0], a.count) for a in report.noisiest] == [
        ("C", 9),
        ("A", 7),
        ("G", 5),
        ("E", 4),
        ("F", 3),
    ]


def test_alerts_opened_resolved_and_still_open_with_mean_times():
    s = Stores()
    s.alerts.create_alert(alert(1, opened=START + 100, acked=START + 400))  # acked in 5 min
    s.alerts.create_alert(alert(2, opened=START + 1000, acked=START + 1900, resolved=START + 4600))
    s.alerts.create_alert(alert(3, opened=START - 7200, resolved=START + 3600))  # resolved only
    s.alerts.create_alert(alert(4, opened=START - 86400 * 3))  # open for days: still open
    s.alerts.create_alert(alert(5, opened=START + 5000, kind="notification"))  # not an alert
    s.alerts.create_alert(alert(6, opened=END + 600))  # opened the next day: still open
    report, _ = s.report()
    assert report.opened == 2
    assert report.acked == 2
    assert report.mtta == (300 + 900) // 2
    assert report.resolved == 2
    assert report.mttr == (3600 + 7200 + 3600) // 2
    assert report.still_open == 3  # 1 (acked), 4 and 6; notifications are not alerts


def test_an_alert_status_is_shown_next_to_its_events():
    s = Stores()
    s.add(alarm(1, START + 60, "CpuHigh"), alarm(2, START + 120, "CpuHigh", state="OK"))
    (event, *_) = list(s.events.scan(START, END, NEXT_MORNING))
    older = Alert(
        id="old",
        fingerprint=event.fingerprints[0],
        status=AlertStatus.OPEN,
        first_seen=START - 90000,
        last_seen=START + 10,
    )
    newer = older.model_copy(
        update={"id": "new", "first_seen": START + 60, "status": AlertStatus.RESOLVED}
    )
    s.alerts.create_alert(newer)
    s.alerts.create_alert(older)
    report, _ = s.report()
    (listed,) = report.noisiest
    assert listed.count == 2
    assert listed.status is AlertStatus.RESOLVED  # the latest alert of the fingerprint


def test_active_silences_and_those_ending_within_a_day():
    s = Stores()
    now = int(s.clock.now())
    for n, lasts in enumerate([600, 86400, 86401, 7 * 86400, -60]):
        s.alerts.create_silence(
            Silence(
                id=f"s{n}",
                matcher=f"fp-{n}",
                created_by="U1",
                reason="maintenance",
                created_at=now - 3600,
                expires_at=now + lasts,
            )
        )
    report, _ = s.report()
    assert report.silences_total == 4
    assert report.expiring == 2
    assert [x.id for x in report.silences] == ["s0", "s1", "s2", "s3"]


def test_a_busy_source_is_split_into_replies_of_part_alerts(monkeypatch):
    monkeypatch.setattr(daily_report, "PART_ALERTS", 4)
    s = Stores()
    s.add(*[alarm(n, START + n, f"alarm-{n:02d}") for n in range(10)])
    s.add(finding(100, START + 50, 5.0))
    report, parts = s.report()
    assert report.parts == len(parts) == 4
    alarms = [p for p in parts if p.source == "aws.cloudwatch"]
    assert [(p.part, p.parts, len(p.alerts)) for p in alarms] == [(1, 3, 4), (2, 3, 4), (3, 3, 2)]
    assert all(p.alerts_total == 10 and p.events == 10 for p in alarms)
    listed = [a.fingerprint for p in alarms for a in p.alerts]
    assert len(set(listed)) == 10
    assert parts[-1].source == "aws.guardduty"


def test_past_the_tracking_cap_events_are_counted_but_not_listed(monkeypatch):
    monkeypatch.setattr(daily_report, "MAX_TRACKED", 3)
    s = Stores()
    s.add(*[alarm(n, START + n, f"alarm-{n % 5}") for n in range(20)])
    report, parts = s.report()
    assert report.events == 20
    assert report.alerts == 3  # "at least": the others are not remembered
    listed = [a for p in parts for a in p.alerts]
    assert len(listed) == 3
    assert report.untracked == 20 - sum(a.count for a in listed) == 8


def test_events_stored_without_fingerprints_are_interpreted_again():
    s = Stores()
    s.add(alarm(1, START + 60, "CpuHigh"))
    (stored,) = list(s.events.scan(START, END, NEXT_MORNING))
    bare = Event.model_validate({**stored.model_dump(), "id": "legacy", "fingerprints": []})
    s.events.create(bare)
    report, _ = s.report()
    (listed,) = report.noisiest
    assert listed.fingerprint == stored.fingerprints[0]
    assert listed.count == 2


def test_a_quiet_day_still_gets_a_short_report():
    s = Stores()
    outcome = s.sender().send(DAY)
    assert outcome.status == "posted"
    assert outcome.posted == 1
    (summary,) = s.chat.reports
    assert summary["report"].events == 0
    assert summary["report"].parts == 0


def test_every_corpus_file_ingests_and_is_reported():
    s = Stores()
    bodies = [json.loads((CORPUS_DIR / name).read_text()) for name in EXPECTED_FAMILY]
    for body in bodies:
        ingest(body, s.events, s.clock, ttl=10**10)
    stored = list(s.events.scan(0, 253_402_300_799, int(s.clock.now())))
    days = sorted({datetime.fromtimestamp(e.published_at, tz=UTC).date() for e in stored})
    total = 0
    sources: Counter[str] = Counter()
    for day in days:
        report, parts = build_report(s.events, s.alerts, s.alerts, day, int(s.clock.now()))
        total += report.events
        for p in parts:
            if p.part == 1:
                sources[p.source] += p.events
    assert total == len(stored)
    assert sources == Counter(e.source for e in stored)


# --- sending once ------------------------------------------------------------------------


def busy_day(s: Stores) -> None:
    s.add(*[alarm(n, START + n * 30, f"alarm-{n % 7}") for n in range(50)])
    s.add(*[finding(100 + n, START + n * 45, 7.5) for n in range(6)])


def test_the_summary_is_posted_then_each_reply_in_its_thread():
    s = Stores()
    busy_day(s)
    outcome = s.sender().send(DAY)
    summary, *replies = s.chat.reports
    assert outcome.posted == 1 + len(replies) == 3
    assert summary["thread_ts"] is None
    assert {r["thread_ts"] for r in replies} == {summary["ref"].ts}
    assert [r["part"].source for r in replies] == ["aws.cloudwatch", "aws.guardduty"]
    assert summary["report"].events == 56


def test_a_second_run_posts_nothing_and_force_posts_it_again():
    s = Stores()
    busy_day(s)
    assert s.sender().send(DAY).status == "posted"
    first = list(s.chat.reports)
    again = s.sender().send(DAY)
    assert again.status == "already_posted"
    assert again.posted == 0
    assert s.chat.reports == first
    forced = s.sender().send(DAY, force=True)
    assert forced.status == "posted" and forced.posted == 3
    ids = [r["id"] for r in s.chat.reports]
    assert len(ids) == len(set(ids)) == 6  # a forced run's messages carry new ids
    assert s.sender().send(DAY).status == "already_posted"


def test_a_run_in_progress_elsewhere_is_left_alone_until_its_claim_lapses():
    s = Stores()
    busy_day(s)
    key = daily_report.report_key(DAY)
    from bot.models import State

    s.alerts.put_state(State(key=key, data={"run": 1, "claimed_at": int(s.clock.now())}))
    assert s.sender().send(DAY).status == "in_progress"
    assert s.chat.reports == []
    s.clock.advance(daily_report.CLAIM_S + 1)
    assert s.sender().send(DAY).status == "posted"
    assert len(s.chat.reports) == 3
    # Where the summary is, as the Home tab links the last report.
    progress = s.alerts.get_state(key).data
    summary = s.chat.reports[0]["ref"]
    assert (progress["channel"], progress["ts"]) == (summary.channel, summary.ts)


def test_a_run_that_died_halfway_goes_on_where_it_stopped():
    s = Stores()
    busy_day(s)
    tried: list[str] = []
    real = s.chat.post_report_part

    def down(ref, part, *, message_id):
        tried.append(message_id)
        raise ChatUnavailableError("down")

    s.chat.post_report_part = down  # the summary goes; Slack is down for the replies
    with pytest.raises(ChatUnavailableError):
        s.sender().send(DAY)
    assert len(s.chat.reports) == 1
    assert len(tried) == daily_report.SEND_ATTEMPTS  # tried again, then given up
    s.chat.post_report_part = real
    outcome = s.sender().send(DAY)  # the claim was released: a rerun goes on at once
    assert outcome.posted == 2  # the replies only: the summary is not posted twice
    summary, *replies = s.chat.reports
    assert {r["thread_ts"] for r in replies} == {summary["ref"].ts}
    assert replies[0]["id"] == tried[0]  # the same message, so a lost answer is found


def test_a_post_whose_answer_was_lost_is_found_not_doubled():
    s = Stores()
    busy_day(s)
    s.chat.fail_reports(1, applied=True)  # Slack took the summary; the answer was lost
    outcome = s.sender().send(DAY)
    assert outcome.status == "posted"
    assert outcome.posted == 2  # the summary was found, the replies were posted
    summaries = [r for r in s.chat.reports if r["thread_ts"] is None]
    assert len(summaries) == 1


def test_posts_are_paid_from_the_channel_budget_alerts_also_use():
    s = Stores()
    s.add(*[alarm(n, START + n, f"alarm-{n}") for n in range(3)])
    s.add(*[finding(100 + n, START + n, 5.0) for n in range(3)])
    s.add({**alarm(200, START, "x"), "source": "aws.health", "detail-type": "AWS Health Event",
           "detail": {"eventTypeCategory": "issue", "service": "EC2"}})  # fmt: skip
    started = s.clock.now()
    sent_at: list[float] = []
    real = s.chat._report_post

    def timed(*args, **kwargs):
        sent_at.append(s.clock.now())
        return real(*args, **kwargs)

    s.chat._report_post = timed
    assert s.sender().send(DAY).posted == 4
    # A burst of two, then the budget's rate: the clock only moved through `pause`.
    assert sent_at[0] == sent_at[1] == started
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(sent_at[1:]))
    assert s.alerts.get_state("budget:chat.postMessage:CREPORT") is not None


# --- the bot's first start ---------------------------------------------------------------


def test_the_first_start_is_recorded_once():
    alerts = MemoryAlertStore()
    assert daily_report.first_start(alerts) is None
    assert daily_report.record_first_start(alerts, NEXT_MORNING) == NEXT_MORNING
    assert daily_report.record_first_start(alerts, NEXT_MORNING + 86400) == NEXT_MORNING
    assert daily_report.first_start(alerts) == NEXT_MORNING


def test_an_empty_day_that_ended_before_the_first_start_gets_no_report(caplog):
    s = Stores()
    daily_report.record_first_start(s.alerts, NEXT_MORNING)  # started the day after
    with caplog.at_level("INFO", logger="bot.daily_report"):
        outcome = s.sender().send(DAY)
    assert outcome.status == "before_first_start"
    assert outcome.posted == 0
    assert s.chat.reports == []
    assert s.alerts.get_state(daily_report.report_key(DAY)) is None  # nothing claimed
    assert any(
        "ended before the bot first started" in r.getMessage() and str(DAY) in r.getMessage()
        for r in caplog.records
    )


def test_a_day_before_the_first_start_with_events_is_reported():
    """Events ingested (by `app.py ingest`, or the ingest Lambda) before the service first
    started: that day has something to report."""
    s = Stores()
    s.add(alarm(1, START + 60, "alarm-1"))
    daily_report.record_first_start(s.alerts, NEXT_MORNING)
    outcome = s.sender().send(DAY)
    assert outcome.status == "posted"
    assert s.chat.reports[0]["report"].events == 1


def test_a_day_the_bot_started_during_is_reported_even_when_quiet():
    s = Stores()
    daily_report.record_first_start(s.alerts, END - 3600)  # an hour before the day ended
    outcome = s.sender().send(DAY)
    assert outcome.status == "posted"
    assert s.chat.reports[0]["report"].events == 0


def test_force_reports_a_day_before_the_first_start():
    s = Stores()
    daily_report.record_first_start(s.alerts, NEXT_MORNING)
    assert s.sender().send(DAY, force=True).status == "posted"
    assert len(s.chat.reports) == 1


def test_with_no_first_start_recorded_a_quiet_day_is_reported():
    """On AWS, schedules run the report and no start is recorded: nothing is skipped."""
    s = Stores()
    assert s.sender().send(DAY).status == "posted"
