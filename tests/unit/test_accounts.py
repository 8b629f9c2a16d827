"""Accounts by name and tags (bot/accounts.py): the cache the hourly job fills, read by
messages and routes at most once per CACHE_TTL_S per process, never from AWS."""

from __future__ import annotations

import logging

import pytest

import scheduler
from adapters.memory import MemoryAlertStore
from adapters.sqlite import SqliteAlertStore, SqliteDatabase
from blocks.alert import alert_blocks
from bot import accounts
from bot.config import Settings
from bot.errors import AccessDeniedError
from bot.models import AccountInfo, State
from bot.models.accounts import MAX_TAGS
from bot.routing import parse_routes
from bot.services import Services
from tests.corpus import load
from tests.factories.services import memory_services
from tests.fakes import FakeClock

ALARM_ACCOUNT = "123456789012"  # the corpus alarm's
PAYMENTS = AccountInfo(
    id=ALARM_ACCOUNT, name="payments-prod", tags={"team": "payments", "owner": "alice"}
)
OTHER = AccountInfo(id="210987654321", name="sandbox", tags={"team": "platform"})


class Directory:
    """The organisation as AccountDirectory answers it; counts its calls."""

    def __init__(self, found: list[AccountInfo] | Exception) -> None:
        self.found, self.calls = found, 0

    def accounts(self) -> list[AccountInfo]:
        self.calls += 1
        if isinstance(self.found, Exception):
            raise self.found
        return list(self.found)


class CountingStore(MemoryAlertStore):
    """A delivery store that counts the reads of the accounts cache."""

    def __init__(self) -> None:
        super().__init__()
        self.cache_reads = 0

    def get_state(self, key: str) -> State | None:
        if key.startswith(accounts.INDEX_KEY):
            self.cache_reads += 1
        return super().get_state(key)


def bot(directory: Directory | None = None, routes=None, **settings) -> Services:
    clock = FakeClock(1_780_000_000)
    ports = {"routes": parse_routes(routes)} if routes else {}
    return memory_services(
        Settings(_env_file=None, slack_alerts_channel="C0DEFAULT", **settings),
        alerts=CountingStore(),
        clock=clock,
        directory=directory,
        **ports,
    )


def fire(svc: Services, n: int = 1) -> dict:
    event = load("cloudwatch_alarm_state_change_single_metric.json")
    svc.ingest({**event, "id": f"alarm-{n}"})
    return svc.chat.posts[-1]


# --- the cache ---------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def states(request, tmp_path):
    if request.param == "memory":
        return MemoryAlertStore()
    return SqliteAlertStore(SqliteDatabase(tmp_path / "states.sqlite3"))


def test_a_thousand_accounts_with_their_tags_are_saved_in_parts_that_fit_an_item(states):
    many = [
        AccountInfo(
            id=f"{n:012d}",
            name=f"account-{n}-" + "x" * 100,
            tags={f"key-{t}": "v" * 200 for t in range(MAX_TAGS + 5)},
        )
        for n in range(1000)
    ]
    assert accounts.save_accounts(states, many, now=100) == 1000
    index = states.get_state(accounts.INDEX_KEY)
    assert index.data["parts"] > 1
    for i in range(index.data["parts"]):
        part = states.get_state(accounts.part_key(index.data["slot"], i))
        assert len(part.model_dump_json().encode()) < 400_000  # DynamoDB's item limit
    loaded = accounts.load_accounts(states)
    assert list(loaded) == [a.id for a in many]
    assert len(loaded["000000000007"].tags) == MAX_TAGS


def test_a_refresh_replaces_the_accounts_and_a_torn_read_is_refused(states):
    accounts.save_accounts(states, [PAYMENTS, OTHER], now=100)
    accounts.save_accounts(states, [PAYMENTS], now=200)
    assert list(accounts.load_accounts(states)) == [ALARM_ACCOUNT]
    index = states.get_state(accounts.INDEX_KEY)
    part = states.get_state(accounts.part_key(index.data["slot"], 0))
    states.put_state(part.model_copy(update={"data": {**part.data, "generation": 0}}))
    assert accounts.load_accounts(states) is None  # a part of another refresh


def test_of_two_refreshes_at_once_one_names_its_parts_and_readers_never_mix_them(states):
    accounts.save_accounts(states, [OTHER], now=100)

    class Racing:
        """The store as a second refresh sees it: the first writes its parts and index
        while the second is writing its own parts (the same slot, the same generation)."""

        def __init__(self) -> None:
            self.raced = False

        def __getattr__(self, name):
            return getattr(states, name)

        def put_state(self, state):
            if not self.raced and state.key == accounts.part_key(0, 0):
                self.raced = True
                accounts.save_accounts(states, [PAYMENTS], now=200)  # the first refresh
                # ... whose part this one's then overwrites: the versions have moved on
                state = state.model_copy(update={"version": states.get_state(state.key).version})
            return states.put_state(state)

    racing = Racing()
    accounts.save_accounts(racing, [PAYMENTS, OTHER], now=201)
    assert racing.raced
    index = states.get_state(accounts.INDEX_KEY)
    assert index.data["refreshed_at"] == 200  # the second refresh gave up its index
    # The first refresh's index names a part the second one overwrote: read as torn, and
    # a process keeps the accounts it had rather than mixing the two.
    assert accounts.load_accounts(states) is None


def test_tags_are_bounded_with_owner_and_team_kept_first():
    tags = {f"a{t:02d}": "v" for t in range(40)} | {"team": "payments", "Owner": "o" * 300}
    info = AccountInfo(id="1", tags=tags)
    assert len(info.tags) == MAX_TAGS
    assert list(info.tags)[:2] == ["Owner", "team"]
    assert info.tags["Owner"] == "o" * 256


# --- the job -----------------------------------------------------------------------------


def test_the_hourly_job_fills_the_cache():
    directory = Directory([PAYMENTS, OTHER])
    svc = bot(directory)
    assert scheduler.run_job("accounts", svc) == 2
    assert directory.calls == 1
    assert set(accounts.load_accounts(svc.alerts)) == {PAYMENTS.id, OTHER.id}
    assert svc.settings.organizations_role_arn is None


def test_without_permission_the_job_warns_once_and_keeps_the_cache(caplog):
    svc = bot(Directory(AccessDeniedError("AWSOrganizationsNotInUseException")))
    accounts.save_accounts(svc.alerts, [PAYMENTS], now=1)
    with caplog.at_level(logging.WARNING):
        assert scheduler.run_job("accounts", svc) == 0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "ORGANIZATIONS_ROLE_ARN" in warnings[0].getMessage()
    assert list(accounts.load_accounts(svc.alerts)) == [PAYMENTS.id]


# --- names, tags and routes on alerts ----------------------------------------------------


def test_names_and_tags_come_from_the_cache_and_ingest_never_asks_the_organisation():
    directory = Directory([PAYMENTS])
    svc = bot(directory)
    scheduler.run_job("accounts", svc)
    svc.clock.advance(accounts.CACHE_TTL_S)
    post = fire(svc)
    assert directory.calls == 1  # the job's: none by the ingest
    signal = post["signal"]
    assert signal.account_name == "payments-prod"
    assert signal.account_tags == {"owner": "alice", "team": "payments"}
    blocks, _ = alert_blocks(signal, post["alert"], controls=True)
    account_field = blocks[1]["fields"][0]["text"]
    assert account_field == (
        f"*Account*\npayments-prod ({ALARM_ACCOUNT})\nowner: alice · team: payments"
    )


def test_account_names_wins_over_the_organisation_s_name():
    svc = bot(Directory([PAYMENTS]), account_names=f'{{"{ALARM_ACCOUNT}": "prod"}}')
    scheduler.run_job("accounts", svc)
    svc.clock.advance(accounts.CACHE_TTL_S)
    signal = fire(svc)["signal"]
    assert signal.account_name == "prod"
    assert signal.account_tags["team"] == "payments"  # tags still come from the cache


def test_commands_know_the_organisation_s_names_with_account_names_over_them():
    from bot.event_search import parse

    svc = bot(Directory([PAYMENTS, OTHER]), account_names=f'{{"{OTHER.id}": "lab"}}')
    scheduler.run_job("accounts", svc)
    svc.clock.advance(accounts.CACHE_TTL_S)
    names = svc.context.all_account_names()
    assert names == {PAYMENTS.id: "payments-prod", OTHER.id: "lab"}  # ACCOUNT_NAMES wins
    query = parse("account:payments-prod", now=int(svc.clock.now()), account_names=names)
    assert query.account == PAYMENTS.id  # /events account:<a name from the organisation>


def test_tags_shown_on_an_alert_are_escaped():
    info = AccountInfo(id=ALARM_ACCOUNT, name="p", tags={"owner": "<!channel> & *bob*"})
    svc = bot(Directory([info]))
    scheduler.run_job("accounts", svc)
    svc.clock.advance(accounts.CACHE_TTL_S)
    post = fire(svc)
    blocks, _ = alert_blocks(post["signal"], post["alert"], controls=True)
    assert "owner: &lt;!channel&gt; &amp; *bob*" in blocks[1]["fields"][0]["text"]


def test_the_cache_is_read_once_per_period_not_once_per_event():
    svc = bot()
    fire(svc, 1)
    reads = svc.alerts.cache_reads
    assert reads == 1  # the index: nothing cached yet
    svc.clock.advance(accounts.CACHE_TTL_S - 1)
    fire(svc, 2)
    assert svc.alerts.cache_reads == reads
    accounts.save_accounts(svc.alerts, [PAYMENTS], now=1)
    svc.alerts.cache_reads = 0
    svc.clock.advance(1)
    fire(svc, 3)
    assert svc.alerts.cache_reads == 2  # the index and its one part
    assert svc.context.account_name(ALARM_ACCOUNT) == "payments-prod"
    assert svc.alerts.cache_reads == 2


@pytest.mark.parametrize(
    ("wanted", "channel"),
    [
        ({"team": "payments"}, "C0PAYMENTS"),
        ({"TEAM": ["platform", "PAYMENTS"]}, "C0PAYMENTS"),  # a list: any; any case
        ({"team": "payments", "owner": "bob"}, "C0DEFAULT"),  # every key must hold
        ({"cost-center": "42"}, "C0DEFAULT"),
    ],
)
def test_routes_match_on_the_account_s_tags(wanted, channel):
    routes = {"routes": [{"match": {"account_tags": wanted}, "channel": "C0PAYMENTS"}]}
    svc = bot(Directory([PAYMENTS]), routes=routes)
    scheduler.run_job("accounts", svc)
    svc.clock.advance(accounts.CACHE_TTL_S)
    assert fire(svc)["ref"].channel == channel
