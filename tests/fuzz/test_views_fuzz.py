"""Every Block Kit view, fed hostile and oversized models directly.

Why: ingest bounds what interpreters produce (titles ≤ 150 characters, ten fields), but
the views also draw what people type (silence reasons, /events queries), what operators
configure (account names) and alert records that grow for weeks (counts, flaps, history).
The project makes Slack's limits law and escaping universal, for every message, not only
for the shapes a real event happens to produce.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from blocks import slack_text as limits
from blocks.home import home_view
from blocks.lists import agent_detail, agents_list, event_detail, events_list, silences_list, usage
from blocks.modals import MODAL_TITLE, silence_modal
from blocks.slack_text import route_mention
from blocks.view import MessageView
from bot.errors import ValidationError
from bot.event_search import USAGE, Found, SearchPage, parse
from bot.maintenance import WindowState
from bot.models import (
    Agent,
    Alert,
    DailyReport,
    Event,
    ReportPart,
    Severity,
    Signal,
    SignalState,
    Silence,
    StormDigest,
)
from bot.models.home import Home, ReportLink
from bot.routing import MaintenanceWindow
from bot.silences import InForce
from tests.fakes import FakeClock
from tests.figures import Figures
from tests.fuzz.slack_checks import ACCOUNT_NAMES, Problems, check_blocks, message_problems
from tests.fuzz.strategies import (
    T0,
    USER_IDS,
    agents,
    alerts,
    digests,
    fuzz_settings,
    hostile_text,
    queries,
    report_parts,
    reports,
    signals,
    silences,
    texts,
    times,
)
from tests.slack.fake_slack import validate_home

NOW = T0
# The usage's own placeholder (`/events <event-id>`): our constant, not input.
USAGE_TOKENS = tuple(re.findall(r"<[^<>]*>", USAGE))


def _allow(alert: Alert | None) -> tuple[str, ...]:
    """The ping a routing rule's (validated) mention puts on top of the message."""
    return (route_mention(alert.mention),) if alert is not None and alert.mention else ()


PERMALINK = "https://fake-workspace.slack.com/archives/C0ALERTS/p1700000000000100"
PROBLEMS = "problems"  # the tally's count of limits broken and texts left unescaped


def _assert_fits(tally: Counter[str], kind: str, message: dict[str, Any], **kw: Any) -> None:
    tally[kind] += 1
    problems = message_problems(message, kind, **kw)
    tally[PROBLEMS] += len(problems)
    assert not problems, "\n".join(problems[:10])


def _figure(figures: Figures, case: str, tally: Counter[str]) -> None:
    bad = tally.pop(PROBLEMS, 0)
    shown = ", ".join(f"{k} {v}" for k, v in sorted(tally.items()))
    result = f"{sum(tally.values())} messages ({shown}), {bad} over a limit or unescaped"
    figures.add("fuzz", case, result)


def test_alert_storm_and_reminder_messages_fit_and_are_escaped(figures: Figures) -> None:
    """An alert of any signal in any state, a storm summary of any digest, a reminder and a DM,
    as chat.postMessage / chat.update would send them."""
    tally: Counter[str] = Counter()
    view = MessageView(clock=FakeClock(NOW))

    @fuzz_settings(max_examples=250)
    @given(
        signal=signals(),
        data=st.data(),
        controls=st.booleans(),
        digest=digests(),
        waited=st.integers(0, 10**8),
    )
    def run(
        signal: Signal, data: st.DataObject, controls: bool, digest: StormDigest, waited: int
    ) -> None:
        alert = data.draw(st.none() | alerts(signal))
        message = view.message(signal, alert, controls=controls)
        _assert_fits(tally, "alert", message, user_mentions=True, allow=_allow(alert))
        storm = data.draw(alerts(None)).model_copy(update={"kind": "storm"})
        _assert_fits(tally, "storm", view.storm_message(storm, digest), user_mentions=True)
        if alert is not None:
            text = view.reminder(alert, waited)
            reply = {"text": limits.truncate(text, limits.FALLBACK_TEXT),
                     "blocks": [{"type": "section", "text": limits.mrkdwn(text)}]}  # fmt: skip
            _assert_fits(tally, "reminder", reply, allow=_allow(alert))
            dm = view.direct(alert, PERMALINK, waited)  # its title is the hostile part
            direct = {"text": limits.truncate(dm, limits.FALLBACK_TEXT),
                      "blocks": [{"type": "section", "text": limits.mrkdwn(dm)}]}  # fmt: skip
            _assert_fits(tally, "direct message", direct, allow=(f"<{PERMALINK}|Open the alert>",))

    run()
    _figure(figures, "alert, storm and reminder views of hostile models", tally)


def _events() -> st.SearchStrategy[Event]:
    ids = hostile_text().map(lambda s: s[:200] or "x")
    return st.builds(
        Event,
        id=ids,
        account=st.sampled_from(sorted(ACCOUNT_NAMES)) | texts(),
        region=st.none() | texts(),
        source=texts(),
        detail_type=st.none() | texts(),
        published_at=times(),
        updated_at=times(),
        received_at=times(),
        title=texts(),
        severity=st.sampled_from(list(Severity)),
        state=st.sampled_from(list(SignalState)),
    )


def _window(name: str, *, on: bool) -> WindowState:
    """A maintenance window with a hostile name, on or off."""
    window = MaintenanceWindow(name=name, cron="0 1 * * *", duration="1h")
    return WindowState(window, NOW + 60 if on else None, NOW + 3600)


def test_command_answers_fit_and_are_escaped(figures: Figures) -> None:
    """/events (list, one event, the usage after a bad query), /silences and /agents,
    with whatever events, silences, agents and command text they are given."""
    tally: Counter[str] = Counter()

    @fuzz_settings(max_examples=200)
    @given(
        events=st.lists(_events(), min_size=1, max_size=12),
        states=st.lists(st.sampled_from(["", "open", "acked", "silenced", "resolved"])),
        asked=queries(),
        cursor=st.none() | st.text("abcdef0123456789-_", min_size=1, max_size=2100),
        held=st.lists(silences(), max_size=60),
        windows=st.lists(texts(), max_size=5),
        registry=st.lists(agents(), max_size=60),
        problem=texts(),
    )
    def run(
        events: list[Event],
        states: list[str],
        asked: str,
        cursor: str | None,
        held: list[Silence],
        windows: list[str],
        registry: list[Agent],
        problem: str,
    ) -> None:
        names = ACCOUNT_NAMES
        found = [Found(e, states[i] if i < len(states) else "") for i, e in enumerate(events)]
        page = SearchPage(items=found, next=cursor, previous=cursor)
        _assert_fits(tally, "events list", events_list(page, asked, names, NOW))
        link = "https://example.slack.com/archives/C0ALERTS/p1700000000000100"
        _assert_fits(tally, "event detail", event_detail(found[0], names, NOW, link))
        quiet = InForce(held, [_window(name, on=i % 2 == 0) for i, name in enumerate(windows)])
        _assert_fits(tally, "silences list", silences_list(quiet, NOW), user_mentions=True)
        pairs = [(a, problem) for a in registry]
        _assert_fits(tally, "agents list", agents_list(pairs, names, NOW))
        if registry:
            shown = agent_detail(registry[0], problem, events, names, NOW)
            _assert_fits(tally, "agent detail", shown)
        try:  # the usage after a query the parser refuses, as /events answers it
            parse(asked, now=NOW, account_names=names)
        except ValidationError as err:
            _assert_fits(tally, "usage", usage(str(err)), allow=USAGE_TOKENS)

    run()
    _figure(figures, "/events, /silences and /agents answers of hostile models", tally)


def test_daily_report_fits_and_is_escaped(figures: Figures) -> None:
    """The report's summary and its thread replies, at any size and with any text."""
    tally: Counter[str] = Counter()
    view = MessageView(clock=FakeClock(NOW))

    @fuzz_settings(max_examples=150)
    @given(report=reports(), part=report_parts())
    def run(report: DailyReport, part: ReportPart) -> None:
        _assert_fits(tally, "report", view.report_message(report), user_mentions=True)
        _assert_fits(tally, "report part", view.report_part_message(part))

    run()
    _figure(figures, "daily report summaries and replies of hostile models", tally)


def test_silence_modal_fits(figures: Figures) -> None:
    """The custom-silence modal shows alert text as plain_text, cut to Block Kit's caps."""
    tally: Counter[str] = Counter()

    @fuzz_settings(max_examples=60)
    @given(data=st.data(), signal=st.none() | signals())
    def run(data: st.DataObject, signal: Signal | None) -> None:
        alert = data.draw(alerts(signal))
        modal = silence_modal(alert, f"{alert.id}:{alert.version}", "C0ALERTS")
        tally["modal"] += 1
        problems = []
        for key in ("title", "submit", "close"):
            if len(modal[key]["text"]) > MODAL_TITLE:
                problems.append(f"{key}: {len(modal[key]['text'])} > {MODAL_TITLE}")
        if len(modal["private_metadata"]) > limits.URL:  # Slack caps it at 3000 too
            problems.append(f"private_metadata: {len(modal['private_metadata'])}")
        for block in modal["blocks"]:
            if len(block["label"]["text"]) > limits.OPTION_TEXT:
                problems.append(f"{block['block_id']} label too long")
            for option in block["element"].get("options", []):
                for key in ("text", "description"):
                    if not 0 < len(option[key]["text"]) <= limits.OPTION_TEXT:
                        problems.append(f"option {key}: {len(option[key]['text'])}")
                if len(option["value"]) > limits.OPTION_VALUE:
                    problems.append(f"option value: {len(option['value'])}")
        json.dumps(modal, ensure_ascii=False).encode("utf-8")  # Slack must be able to read it
        tally[PROBLEMS] += len(problems)
        assert not problems, problems

    run()
    _figure(figures, "custom-silence modals of hostile alerts", tally)


def test_home_tab_fits_and_is_escaped(figures: Figures) -> None:
    """A Home tab of any alerts, silences, agents, rotations and report, with any text:
    within a view's 100 blocks and the fake's view rules, every mrkdwn text escaped."""
    tally: Counter[str] = Counter()
    people = st.sampled_from(USER_IDS) | hostile_text()

    @fuzz_settings(max_examples=60)
    @given(
        data=st.data(),
        listed=st.lists(
            st.builds(lambda a, channel: a.model_copy(update={"channel": channel}),
                      alerts(), st.none() | st.just("C0ALERTS") | hostile_text()),
            max_size=40, unique_by=lambda a: a.id,
        ),
        shown_silences=st.lists(silences(), max_size=15),
        stale=st.lists(agents(), max_size=25),
        rotations=st.none() | st.lists(st.tuples(texts(), st.lists(people, max_size=3)),
                                       max_size=20),
        report=st.none()
        | st.builds(ReportLink, day=texts(), channel=hostile_text(), ts=texts()),
        url=st.none() | texts(),
    )  # fmt: skip
    def run(data: st.DataObject, listed: list[Alert], shown_silences: list[Silence],
            stale: list[Agent], rotations: list[tuple[str, list[str]]] | None,
            report: ReportLink | None, url: str | None) -> None:  # fmt: skip
        cut = data.draw(st.integers(0, len(listed)))
        home = Home(
            user="U0123ABC",
            now=NOW,
            open_alerts=tuple(listed[:cut]),
            mine=tuple(listed[cut:]),
            acked_by_others=data.draw(st.integers(0, 10**6)),
            silences=tuple(shown_silences),
            stale_agents=tuple(stale),
            on_call=None if rotations is None else tuple((n, tuple(u)) for n, u in rotations),
            last_report=report,
            capped=data.draw(st.booleans()),
        )
        view = home_view(home, url)
        tally["home"] += 1
        p = Problems("home", user_mentions=True, allow=("<#C0ALERTS>",))
        check_blocks(p, ".blocks", view["blocks"], view=True)
        problems = p.found + validate_home(view)
        tally[PROBLEMS] += len(problems)
        assert not problems, "\n".join(problems[:10])

    run()
    _figure(figures, "Home tabs of hostile models", tally)
