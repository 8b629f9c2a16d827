"""Storm mode over in-memory stores, a fake chat and an injected clock: when a channel
opens more than STORM_THRESHOLD new alerts in a minute, the rest gather into one summary."""

from __future__ import annotations

import itertools

import pytest

from bot import alert_actions, storm
from bot.alert_actions import Outcome
from bot.budget import POST
from bot.delivery import Delivery, flush, members_of
from bot.lifecycle import CLAIM_S
from bot.models import Alert, AlertStatus
from tests.unit.test_lifecycle import CHANNEL, alarm, delivery, emit, tick

THRESHOLD = 5


@pytest.fixture
def d() -> Delivery:
    return delivery(storm_threshold=THRESHOLD)


def alerts_of(d: Delivery) -> list[Alert]:
    return [a for a in d.alerts.list_alerts(limit=1000) if a.kind == "alert"]


def the_storm(d: Delivery) -> Alert:
    (summary,) = [a for a in d.alerts.list_alerts(limit=1000) if a.kind == "storm"]
    return summary


def start_storm(d: Delivery, alarms: int = THRESHOLD + 4) -> None:
    for n in range(alarms):
        emit(d, alarm(name=f"Alarm{n}"))
        d.clock.advance(1)


def test_past_the_threshold_new_alerts_gather_into_one_summary(d):
    start_storm(d)
    tick(d, 10)  # paced posts go out
    roots = [p for p in d.chat.posts if p["thread_ts"] is None]
    assert len(roots) == THRESHOLD  # a root each, up to the threshold
    (posted,) = d.chat.storms  # then one summary
    summary = the_storm(d)
    folded = [a for a in alerts_of(d) if a.parent_id == summary.id]
    assert len(folded) == 4 and all(a.message is None for a in folded)
    assert sorted(m.id for m in members_of(d.alerts, summary)) == sorted(a.id for a in folded)
    assert summary.members == []  # joining never rewrote the summary
    assert posted["digest"].alerts >= 1


def test_nothing_is_dropped_and_the_summary_counts_every_event(d):
    start_storm(d)
    for _ in range(3):  # every alarm fires three more times
        for n in range(THRESHOLD + 4):
            emit(d, alarm(name=f"Alarm{n}"))
        d.clock.advance(2)
    tick(d, 120)  # past a quiet minute: the storm ends
    summary = the_storm(d)
    assert summary.resolved_at is not None  # over
    assert sum(a.count for a in alerts_of(d)) == (THRESHOLD + 4) * 4
    last = d.chat.storm_updates[-1]
    assert last["storm"].resolved_at is not None
    assert last["digest"].events == 4 * 4 and last["digest"].alerts == 4


def test_summary_edits_come_at_most_every_15_s(d):
    start_storm(d)
    for _ in range(60):
        emit(d, alarm(name=f"Alarm{THRESHOLD + 1}"))  # a folded alert repeats every second
        tick(d, 1)
    times = [u["storm"].outbox.edited_at for u in d.chat.storm_updates]
    assert len(times) >= 3
    assert all(b - a >= storm.SUMMARY_EVERY_S for a, b in itertools.pairwise(times))
    thread = [t for t in d.chat.texts if t["thread_ts"] == the_storm(d).message.ts]
    assert thread and all("more events" in t["text"] for t in thread)


def test_roots_posted_before_the_storm_are_edited_once_after_it(d):
    start_storm(d)
    tick(d, 10)
    d.chat.updates.clear()
    d.chat.texts.clear()
    for _ in range(20):  # the first root repeats through the storm
        emit(d, alarm(name="Alarm0"))
        emit(d, alarm(name=f"Alarm{THRESHOLD + 2}"))  # and the storm goes on
        tick(d, 2)
    assert d.chat.updates == []  # the root's edits wait for the storm's end
    assert d.chat.texts and all(t["thread_ts"] == the_storm(d).message.ts for t in d.chat.texts)
    tick(d, 90)  # a quiet minute: the storm ends, and held-back work goes out
    root = next(a for a in alerts_of(d) if a.title.startswith("Alarm0"))
    edits = [u for u in d.chat.updates if u["alert"].id == root.id]
    replies = [t for t in d.chat.texts if t["thread_ts"] == root.message.ts]
    assert len(edits) == 1 and len(replies) == 1
    assert edits[0]["alert"].count == root.count == 21  # its true count
    assert "Fired 20 more times" in replies[0]["text"]


def test_after_the_storm_a_new_alert_gets_its_own_root(d):
    start_storm(d)
    tick(d, 120)
    posts = len(d.chat.posts)
    emit(d, alarm(name="Fresh"))
    assert len(d.chat.posts) == posts + 1 and d.chat.posts[-1]["signal"].title.startswith("Fresh")


def test_acknowledging_the_summary_acknowledges_its_alerts(d):
    start_storm(d)
    tick(d, 10)
    summary = the_storm(d)
    assert alert_actions.acknowledge(d, summary.id, summary.version, "U1") is Outcome.DONE
    members = [a for a in alerts_of(d) if a.parent_id == summary.id]
    assert members and all(a.status is AlertStatus.ACKED and a.acked_by == "U1" for a in members)
    others = [a for a in alerts_of(d) if a.parent_id is None]
    assert all(a.status is AlertStatus.OPEN for a in others)  # roots are their own
    assert d.chat.storm_updates[-1]["storm"].status is AlertStatus.ACKED
    said = [t["text"] for t in d.chat.texts if t["thread_ts"] == summary.message.ts]
    assert f"acknowledged all {len(members)} alerts of this storm" in said[-1]


def test_two_instances_agree_on_one_storm(d):
    other = Delivery(
        alerts=d.alerts, chat=d.chat, clock=d.clock, channel=CHANNEL, storm_threshold=THRESHOLD
    )
    for n in range(THRESHOLD + 6):
        emit(d if n % 2 else other, alarm(name=f"Alarm{n}"))
    tick(d, 10)
    assert len(d.chat.storms) == 1
    summary = the_storm(d)
    roots = [p for p in d.chat.posts if p["thread_ts"] is None]
    assert len(members_of(d.alerts, summary)) + len(roots) == THRESHOLD + 6
    assert len(members_of(d.alerts, summary)) >= 6


def test_a_folded_alert_resolving_is_told_in_the_summary_thread(d):
    start_storm(d)
    tick(d, 20)
    emit(d, alarm("OK", name=f"Alarm{THRESHOLD + 1}"))
    tick(d, 20)
    thread = [t["text"] for t in d.chat.texts if t["thread_ts"] == the_storm(d).message.ts]
    assert any("1 resolved" in t for t in thread)
    assert d.chat.storm_updates[-1]["digest"].resolved == 1


def test_the_channel_state_counts_only_the_last_minute(d):
    for n in range(THRESHOLD * 3):  # a steady trickle: one new alert every 20 s
        emit(d, alarm(name=f"Slow{n}"))
        tick(d, 20)
    assert d.chat.storms == [] and len(alerts_of(d)) == THRESHOLD * 3
    assert flush(d) == 0


def test_a_storm_past_a_full_summary_goes_on_in_the_next(monkeypatch):
    from adapters.memory import MemoryAlertStore

    monkeypatch.setattr(storm, "MAX_MEMBERS", 3)
    states = MemoryAlertStore()
    admitted = [storm.admit(states, CHANNEL, n, threshold=0) for n in range(7)]
    first = storm.storm_id(CHANNEL, 0)
    assert [a.storm for a in admitted] == [first] * 3 + [storm.storm_id(CHANNEL, 0, 1)] * 3 + [
        storm.storm_id(CHANNEL, 0, 2)
    ]
    assert {a.started for a in admitted} == {0}  # one storm, in three summaries


def test_a_storm_larger_than_a_summary_opens_another_and_never_a_root_each(d, monkeypatch):
    monkeypatch.setattr(storm, "MAX_MEMBERS", 2)
    start_storm(d, THRESHOLD + 5)  # 5 new alerts past the threshold: 2 + 2 + 1
    tick(d, 20)
    summaries = [a for a in d.alerts.list_alerts(limit=1000) if a.kind == "storm"]
    assert sorted(len(members_of(d.alerts, s)) for s in summaries) == [1, 2, 2]
    assert len(d.chat.storms) == 3
    own = [a for a in alerts_of(d) if a.parent_id is None and a.message is not None]
    assert len(own) == THRESHOLD  # the roots before the storm, and no other
    assert {s.first_seen for s in summaries} == {summaries[0].first_seen}  # one storm
    tick(d, 120)  # the storm is over: every part ends
    summaries = [a for a in d.alerts.list_alerts(limit=1000) if a.kind == "storm"]
    assert all(s.resolved_at is not None for s in summaries)


def test_an_alert_whose_summary_fails_gets_its_own_root(d, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("summary store trouble")

    monkeypatch.setattr(storm, "summary", broken)
    start_storm(d)
    tick(d, 20)
    assert all(a.parent_id is None and a.message is not None for a in alerts_of(d))


def test_an_alert_waiting_for_its_post_when_the_storm_begins_is_told_in_the_summary():
    """Slack's pace holds roots back; those not yet posted when the storm begins go into
    its summary instead of a root each."""
    d = delivery(storm_threshold=THRESHOLD)
    for n in range(THRESHOLD + 3):  # all at once: only the budget's burst is posted
        emit(d, alarm(name=f"Alarm{n}"))
    tick(d, 20)
    roots = [p for p in d.chat.posts if p["thread_ts"] is None]
    summary = the_storm(d)
    members = members_of(d.alerts, summary)
    assert len(roots) < THRESHOLD  # the budget's burst, no more
    assert len(roots) + len(members) == THRESHOLD + 3  # every alert shown once
    assert all(m.message is None and not m.outbox.pending for m in members)
    assert any(h.action == "folded" for m in members for h in m.history)


def test_a_folded_alert_that_fires_again_after_its_storm_gets_its_own_root(d):
    start_storm(d)
    folded = f"Alarm{THRESHOLD + 1}"
    emit(d, alarm("OK", name=folded))
    tick(d, 120)  # the storm is over
    assert the_storm(d).resolved_at is not None
    emit(d, alarm(name=folded))  # within the reopen window: it reopens, as its own root
    tick(d, 5)
    alert = next(a for a in alerts_of(d) if a.title.startswith(folded))
    assert alert.parent_id is None and alert.message is not None
    assert d.chat.posts[-1]["signal"].title.startswith(folded)


def test_a_storm_reply_whose_answer_was_lost_is_not_posted_again():
    """A storm's thread is told after its summary's record is saved: a reply Slack took
    but whose answer was lost is found by its id, never posted twice."""
    from collections import Counter

    from tests.unit.test_lifecycle import alarm, delivery, emit, tick

    d = delivery(storm_threshold=THRESHOLD)
    start_storm(d)
    tick(d, 20)
    summary = the_storm(d)
    assert summary.message is not None
    emit(d, alarm(name=f"Alarm{THRESHOLD + 1}"))  # a folded member repeats: news
    d.chat.fail_texts(1, applied=True)
    tick(d, 40)
    thread = [t for t in d.chat.texts if t["thread_ts"] == summary.message.ts]
    assert thread, "the storm's thread was told nothing"
    assert all(n == 1 for n in Counter(t["id"] for t in thread).values()), thread


def test_a_member_whose_summary_was_never_created_gets_it_when_its_event_comes_again():
    """The store failed while creating a storm's summary (and again when giving its first
    member a root instead): the 503's retry, a duplicate, creates the summary."""
    from adapters.memory import MemoryEventStore
    from bot.delivery import notify
    from bot.errors import UnprocessedError
    from bot.ingest import ingest
    from tests.unit.test_lifecycle import alarm, delivery, tick

    d = delivery(storm_threshold=THRESHOLD)
    events = MemoryEventStore()

    def send(event):
        body = {
            "id": event.id,
            "source": event.source,
            "detail-type": event.detail_type,
            "account": event.account,
            "region": "us-east-1",
            "detail": event.detail,
        }
        return ingest(body, events, d.clock, ttl=604800, on_new=lambda e, s, _: notify(e, s, d))

    for n in range(THRESHOLD):
        send(alarm(name=f"Alarm{n}"))
        d.clock.advance(1)
    store = d.alerts
    real_create, real_update = store.create_alert, store.update_alert
    down = {"create": True, "update": True}

    def create_alert(alert, applied=None):
        if alert.kind == "storm" and down.pop("create", False):
            raise UnprocessedError("store down")
        return real_create(alert, applied)

    def update_alert(alert, applied=None):
        if down.pop("update", False):
            raise UnprocessedError("store down")
        return real_update(alert, applied)

    store.create_alert, store.update_alert = create_alert, update_alert
    victim = alarm(name="Victim")
    with pytest.raises(UnprocessedError):
        send(victim)
    (record,) = [a for a in store.list_alerts(limit=1000) if "Victim" in a.title]
    assert record.parent_id is not None and record.message is None
    assert [a for a in store.list_alerts(limit=1000) if a.kind == "storm"] == []
    send(victim)  # the sender's retry
    tick(d, 30)
    summary = the_storm(d)
    assert summary.id == record.parent_id and summary.message is not None
    assert [m.id for m in members_of(store, summary)] == [record.id]


def test_work_the_budget_cannot_pay_is_left_unclaimed_and_unwritten():
    """Roots waiting for the channel's post budget are read at each flush, not claimed and
    put back: only those it can pay for are written, until it refills."""
    d = delivery(storm_threshold=100)
    for n in range(8):  # at once: the budget's burst is posted, the rest wait
        emit(d, alarm(name=f"Alarm{n}"))
    d.clock.advance(CLAIM_S + 1)  # the events' claims have expired: all are due now
    before = {a.id: a.version for a in alerts_of(d) if a.message is None}
    flush(d)  # the bucket is full again: it pays for its burst, no more
    after = {a.id: a for a in alerts_of(d) if a.id in before}
    posted = [i for i, a in after.items() if a.message is not None]
    assert len(posted) == POST.burst
    assert all(after[i].version == before[i] for i in before if i not in posted)
    tick(d, 30)  # the budget refills: every one is posted in the end
    assert all(a.message is not None for a in alerts_of(d))


def test_a_summary_that_listed_its_members_itself_still_shows_them(d, monkeypatch):
    """An older summary listed its members in its own record, and their items may carry
    no index key yet: they are read from the list, the detached and deleted left out."""
    start_storm(d)
    summary = the_storm(d)
    members = members_of(d.alerts, summary)
    older = summary.model_copy(update={"members": [m.id for m in members] + ["gone"]})
    d.alerts.update_alert(older)
    detached = members[0]
    d.alerts.update_alert(detached.model_copy(update={"parent_id": None}))
    monkeypatch.setattr(d.alerts, "list_members", lambda storm_id, limit: [])  # unindexed
    shown = {m.id for m in members_of(d.alerts, d.alerts.get_alert(summary.id))}
    assert shown == {m.id for m in members[1:]}


def test_a_member_s_repeats_read_its_summary_once_per_edit_window(d, monkeypatch):
    """A summary marked for its next edit shows every member's change then: repeats in
    between do not read it (a summary of 2,000 members is a large record)."""
    start_storm(d)
    tick(d, 20)
    summary = the_storm(d)
    reads = []
    real = d.alerts.get_alert

    def counted(alert_id):
        if alert_id == summary.id:
            reads.append(alert_id)
        return real(alert_id)

    monkeypatch.setattr(d.alerts, "get_alert", counted)
    for _ in range(20):  # folded members repeat within one second
        emit(d, alarm(name=f"Alarm{THRESHOLD + 1}"))
        emit(d, alarm(name=f"Alarm{THRESHOLD + 2}"))
    assert len(reads) <= 1
    monkeypatch.undo()
    tick(d, 30)  # the edit shows them all
    assert d.chat.storm_updates[-1]["digest"].events >= 40


def test_a_member_acknowledged_by_itself_redraws_its_summary(d):
    start_storm(d)
    tick(d, 20)  # the summary is posted, and its first edits are done
    summary = the_storm(d)
    member = next(a for a in alerts_of(d) if a.parent_id == summary.id)
    d.clock.advance(storm.SUMMARY_EVERY_S)
    edits = len(d.chat.storm_updates)
    # as from the Home tab, which lists storm members with their buttons
    assert alert_actions.acknowledge(d, member.id, member.version, "U0BOB") is Outcome.DONE
    assert len(d.chat.storm_updates) == edits + 1  # at once, not at the storm's next news
    assert d.chat.storm_updates[-1]["digest"].acked == 1


class CountedStates:
    """A memory store that counts the channel state's reads and writes."""

    def __init__(self) -> None:
        from adapters.memory import MemoryAlertStore

        self.store = MemoryAlertStore()
        self.reads = 0
        self.writes = 0

    def get_state(self, key):
        self.reads += 1
        return self.store.get_state(key)

    def put_state(self, state):
        self.writes += 1
        return self.store.put_state(state)

    def members(self) -> int:
        return int(self.store.get_state(storm.state_key(CHANNEL)).data["members"])


def test_a_storm_takes_places_a_block_at_a_time_within_a_second():
    states, places = CountedStates(), {}
    admitted = [storm.admit(states, CHANNEL, 100, 0, places) for _ in range(31)]
    assert {a.storm for a in admitted} == {storm.storm_id(CHANNEL, 100)}
    assert states.writes == 5  # blocks of 1, 2, 4, 8 and 16 places
    assert states.members() == 31
    more = [storm.admit(states, CHANNEL, 100, 0, places) for _ in range(32)]
    assert states.writes == 7  # the block stops growing at MAX_BLOCK
    assert {a.storm for a in more} == {storm.storm_id(CHANNEL, 100)}
    assert states.members() == 63  # every place reserved is taken: none left over


def test_without_places_every_new_alert_writes_the_count():
    states = CountedStates()
    for _ in range(5):
        storm.admit(states, CHANNEL, 100, 0)
    assert states.writes == 5 and states.members() == 5


def test_places_serve_only_their_second_and_what_is_left_is_given_back():
    states, places = CountedStates(), {}
    for _ in range(4):  # blocks of 1, 2 and 4: three places left
        storm.admit(states, CHANNEL, 100, 0, places)
    assert states.members() == 7 and places[CHANNEL].left == 3
    storm.admit(states, CHANNEL, 101, 0, places)  # a new second: a block of 2, 3 given back
    assert states.members() == 4 + 2
    state = states.store.get_state(storm.state_key(CHANNEL))
    assert state.data["last_new"] == 101  # the storm's quiet minute counts from now
    assert states.writes == 4


def test_places_never_overfill_a_summary(monkeypatch):
    monkeypatch.setattr(storm, "MAX_MEMBERS", 5)
    states, places = CountedStates(), {}
    admitted = [storm.admit(states, CHANNEL, 100, 0, places) for _ in range(12)]
    parts = [storm.storm_id(CHANNEL, 100, n) for n in range(3)]
    assert [a.storm for a in admitted] == [parts[0]] * 5 + [parts[1]] * 5 + [parts[2]] * 2


def test_two_instances_share_a_storm_without_overfilling_it(monkeypatch):
    monkeypatch.setattr(storm, "MAX_MEMBERS", 10)
    states, first, second = CountedStates(), {}, {}
    taken: list[str | None] = []
    for _ in range(12):  # interleaved, in one second
        taken.append(storm.admit(states, CHANNEL, 100, 0, first).storm)
        taken.append(storm.admit(states, CHANNEL, 100, 0, second).storm)
    counts = {s: taken.count(s) for s in set(taken)}
    assert all(n <= 10 for n in counts.values()) and sum(counts.values()) == 24
    assert None not in counts  # no alert of the storm got a root of its own


def test_a_storm_over_is_not_joined_through_places_of_an_earlier_second():
    states, places = CountedStates(), {}
    for _ in range(4):
        storm.admit(states, CHANNEL, 100, 0, places)
    assert places[CHANNEL].left == 3
    later = 100 + storm.QUIET_S + 1  # the storm went quiet; the place left is not used
    admission = storm.admit(states, CHANNEL, later, 5, places)
    assert admission.storm is None and CHANNEL not in places


def test_threads_sharing_places_never_take_one_twice():
    from concurrent.futures import ThreadPoolExecutor

    states, places = CountedStates(), {}
    for _ in range(15):  # blocks of 1, 2, 4 and 8, all taken
        storm.admit(states, CHANNEL, 100, 0, places)
    storm.admit(states, CHANNEL, 100, 0, places)  # a block of 16: 15 places left
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: storm.admit(states, CHANNEL, 100, 0, places), range(15)))
    assert places[CHANNEL].left == 0
    assert states.members() == 31 and states.writes == 5  # each place taken once


def test_places_left_are_given_back_once_when_two_threads_reserve_together():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    states, places = CountedStates(), {}
    for _ in range(4):  # blocks of 1, 2 and 4: 7 reserved, 3 left
        storm.admit(states, CHANNEL, 100, 0, places)
    both_read = threading.Barrier(2, timeout=5)
    first_read = threading.local()
    read = states.get_state

    def get_state(key):  # each thread's first read waits for the other's
        state = read(key)
        if not getattr(first_read, "done", False):
            first_read.done = True
            both_read.wait()
        return state

    states.get_state = get_state
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: storm.admit(states, CHANNEL, 101, 0, places), range(2)))
    # 7 - 3 given back once, then a block of 2 (halved) and one of 8 (doubled)
    assert states.members() == 7 - 3 + 2 + 8
