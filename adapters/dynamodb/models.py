"""The pynamodb models of the one table, and their binding to a concrete table.

Every item kind shares the table's keys: `pk`/`sk`, and sparse global secondary
indexes, `gsi1` to `gsi5` (an item that leaves an index's key unset is not in it).
`TableItem` declares those keys once; `schema.table_definition` derives CreateTable from
it, so the models and the created table cannot drift apart.

pynamodb reads a model's table, endpoint and region from its class `Meta`. The classes
here have none: `bind` makes subclasses with a `Meta` for one table, so that one process
(the tests, a benchmark) can use several tables or endpoints side by side.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from adapters import aws_session
from bot.config import DEFAULT_STORE_TIMEOUT_S

if TYPE_CHECKING:
    import botocore.session

    from bot.config import Settings

TTL_ATTRIBUTE = "expired_at"  # epoch seconds; DynamoDB's TTL deletes the item some time after
BILLING_MODE = "PAY_PER_REQUEST"
DEFAULT_TIMEOUT_S = float(DEFAULT_STORE_TIMEOUT_S)
CALL_ATTEMPTS = 2  # a throttled or dropped request is tried once more, within the deadline

_M = TypeVar("_M", bound=Model)


class Gsi1(GlobalSecondaryIndex[Any]):
    """Events by UTC day then time; alerts by fingerprint and channel then first_seen."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex[Any]):
    """Alerts by status then last_seen; silences by expiry."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex[Any]):
    """Pending alert records by next attempt: only while pending (the key is unset after)."""

    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Gsi4(GlobalSecondaryIndex[Any]):
    """A storm's members by id: only alerts folded into a storm carry its key."""

    class Meta:
        index_name = "gsi4"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class Gsi5(GlobalSecondaryIndex[Any]):
    """Change events by account and region, then time: only changes carry its key."""

    class Meta:
        index_name = "gsi5"
        projection = AllProjection()

    gsi5pk = UnicodeAttribute(hash_key=True)
    gsi5sk = UnicodeAttribute(range_key=True)


class TableItem(Model):
    """The table's key schema, shared by every item kind. Never bound or stored itself."""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    gsi5pk = UnicodeAttribute(null=True)
    gsi5sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi3 = Gsi3()
    gsi4 = Gsi4()
    gsi5 = Gsi5()


class EventItem(TableItem):
    """pk EVENT#<id>, sk EVENT; in gsi1 under its UTC day of published_at; a change
    (bot/changes.py) also in gsi5 under CHANGES#<account>#<region>.

    source, account and the times are attributes beside the JSON `body` because the
    listing filters on them server-side. So is the summary (`EventSummary.dumps`), so that
    the daily report reads it alone (a projection), not the body; items stored before it
    was kept have none, and are read whole.
    """

    source = UnicodeAttribute()
    account = UnicodeAttribute()
    published_at = NumberAttribute()
    expired_at = NumberAttribute(attr_name=TTL_ATTRIBUTE)
    body = UnicodeAttribute()
    summary = UnicodeAttribute(null=True)


class EventDayItem(TableItem):
    """pk EVENT_DAYS, sk <YYYY-MM-DD>: a day that holds (or held) events.

    `expired_at` is the latest expiry of the day's events, so that TTL removes the bucket
    once the day's events are all gone, and a listing skips days that are all expired.
    """

    expired_at = NumberAttribute(attr_name=TTL_ATTRIBUTE)


class AgentItem(TableItem):
    """pk AGENT, sk <account id>: agents are few and list sorted by id, in one partition."""

    body = UnicodeAttribute()


class AlertItem(TableItem):
    """pk ALERT#<id>, sk ALERT; gsi1 by fingerprint and channel (records of kind "alert"
    only), gsi2 by status, gsi3 PENDING by the outbox's next_attempt_at while it is
    pending, gsi4 by the storm it was folded into.

    `version` is an attribute so that a write can be conditional on it.
    """

    version = NumberAttribute()
    body = UnicodeAttribute()


class AppliedItem(TableItem):
    """pk ALERT#<id>, sk APPLIED#<occurrence>: one occurrence applied to the alert, in no
    index.

    Written in one transaction with the alert's write, on `attribute_not_exists`, so that
    an occurrence is applied once however often it comes. It shares the alert's
    partition, so it is deleted with the alert's items; alert items carry no expiry, and
    so neither does it.
    """


class SilenceItem(TableItem):
    """pk SILENCE#<id>, sk SILENCE; gsi2 SILENCES by expiry; TTL removes it after."""

    expired_at = NumberAttribute(attr_name=TTL_ATTRIBUTE)
    body = UnicodeAttribute()


class StateItem(TableItem):
    """pk STATE#<key>, sk STATE: shared delivery state, in no index (read by key only).

    `version` is an attribute, as an alert's, so that a write can be conditional on it.
    """

    version = NumberAttribute()
    body = UnicodeAttribute()


ITEM_KINDS: tuple[type[TableItem], ...] = (
    EventItem,
    EventDayItem,
    AgentItem,
    AlertItem,
    AppliedItem,
    SilenceItem,
    StateItem,
)


@dataclass(frozen=True)
class TableConfig:
    """Where the table is: its name, the endpoint (None is AWS itself) and the region."""

    table: str
    endpoint: str | None = None
    region: str = "us-east-1"
    timeout_s: float = DEFAULT_TIMEOUT_S  # one call's deadline (STORE_TIMEOUT)

    @classmethod
    def of(
        cls,
        settings: Settings | None = None,
        *,
        table: str | None = None,
        endpoint: str | None = None,
        region: str | None = None,
    ) -> TableConfig:
        """From Settings (AWS_DYNAMODB_TABLE, AWS_ENDPOINT, AWS_REGION), explicit args winning."""
        if settings is not None:
            table = table or settings.aws_dynamodb_table
            endpoint = endpoint or settings.aws_endpoint
            region = region or settings.aws_region
        if not table:
            raise ValueError("a DynamoDB table name is required (AWS_DYNAMODB_TABLE)")
        timeout_s = DEFAULT_TIMEOUT_S if settings is None else float(settings.store_timeout)
        return cls(
            table=table,
            endpoint=endpoint or None,
            region=region or "us-east-1",
            timeout_s=timeout_s,
        )


@dataclass(frozen=True)
class BoundModels:
    """The item models bound to one table."""

    event: type[EventItem]
    day: type[EventDayItem]
    agent: type[AgentItem]
    alert: type[AlertItem]
    applied: type[AppliedItem]
    silence: type[SilenceItem]
    state: type[StateItem]


def _bound(kind: type[_M], config: TableConfig) -> type[_M]:
    meta = type(
        "Meta",
        (),
        {
            "table_name": config.table,
            "host": config.endpoint,
            "region": config.region,
            "billing_mode": BILLING_MODE,
        },
    )
    return type(kind.__name__, (kind,), {"Meta": meta, "__module__": __name__})


class _SharedSessionConnection(Connection):
    """A pynamodb Connection whose client comes from the process's one botocore session
    (pynamodb would make a session of its own)."""

    @property
    def session(self) -> botocore.session.Session:
        return aws_session.session()


@lru_cache(maxsize=16)
def _endpoint_connection(endpoint: str | None, region: str, timeout_s: float) -> Connection:
    """One pynamodb Connection (one botocore client, made on first use) per endpoint and
    deadline: CALL_ATTEMPTS tries of a share of `timeout_s` each, so that a DynamoDB that
    accepts connections and never answers fails a call within about the deadline (plus
    botocore's backoff between the tries, under a second), not minutes."""
    share = timeout_s / CALL_ATTEMPTS
    return _SharedSessionConnection(
        region=region,
        host=endpoint,
        connect_timeout_seconds=share,
        read_timeout_seconds=share,
        max_retry_attempts=CALL_ATTEMPTS - 1,
    )


@lru_cache(maxsize=64)
def bind(config: TableConfig) -> BoundModels:
    """The item models of `config`'s table, made once per table and endpoint.

    pynamodb gives every model class a connection of its own, each with its own botocore
    client, and a client costs tens of milliseconds to build: seven of them would weigh on
    a Lambda's cold start. The bound classes share one table connection instead, over one
    client per endpoint (valid since they share the table's one key schema).
    """
    models = BoundModels(
        event=_bound(EventItem, config),
        day=_bound(EventDayItem, config),
        agent=_bound(AgentItem, config),
        alert=_bound(AlertItem, config),
        applied=_bound(AppliedItem, config),
        silence=_bound(SilenceItem, config),
        state=_bound(StateItem, config),
    )
    table = models.event._get_connection()  # builds the table's key metadata; no request
    shared = _endpoint_connection(config.endpoint, config.region, config.timeout_s)
    with suppress(ValueError):  # bound before (and evicted from the cache): same schema
        shared.add_meta_table(table.get_meta_table())
    table.connection = shared
    for kind in (
        models.day,
        models.agent,
        models.alert,
        models.applied,
        models.silence,
        models.state,
    ):
        kind._connection = table
    return models
