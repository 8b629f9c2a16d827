"""The table's schema, defined once: CreateTable parameters derived from the pynamodb models.

`table_definition` is what `python app.py init-db` creates, and what serverless.yml's
table resource is to be held against (`schema_of` compares either shape); `create_table`
creates it idempotently, with TTL on `TTL_ATTRIBUTE`. Only init-db and tests import this
module (it loads boto3), never a Lambda that handles events.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from adapters.dynamodb.models import (
    BILLING_MODE,
    ITEM_KINDS,
    TTL_ATTRIBUTE,
    TableConfig,
    TableItem,
)
from adapters.dynamodb.stores import TABLE_FORM_STATE
from bot.models import State

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = [
    "TTL_ATTRIBUTE",
    "TableSetupError",
    "create_table",
    "schema_of",
    "table_definition",
]

log = logging.getLogger(__name__)

ACTIVE_TIMEOUT_S = 300.0  # a new table with five GSIs is usually ACTIVE within a minute on AWS


class TableSetupError(RuntimeError):
    """The table could not be created or does not fit the adapter; the message says why."""


def table_definition(table_name: str) -> dict[str, Any]:
    """The CreateTable parameters of the table, from the models' keys and indexes."""
    schema = TableItem._get_schema()  # pynamodb's own derivation of what its models need
    for kind in ITEM_KINDS:  # every item kind must fit the one table, TTL included
        if kind._get_schema() != schema:
            raise AssertionError(f"{kind.__name__} does not share the table's key schema")
        ttl = kind.get_attributes().get("expired_at")
        if ttl is not None and ttl.attr_name != TTL_ATTRIBUTE:
            raise AssertionError(f"{kind.__name__}.expired_at is not the TTL attribute")
    return {
        "TableName": table_name,
        "AttributeDefinitions": [dict(a) for a in schema["attribute_definitions"]],
        "KeySchema": [dict(k) for k in schema["key_schema"]],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index["index_name"],
                "KeySchema": [dict(k) for k in index["key_schema"]],
                "Projection": dict(index["projection"]),
            }
            for index in schema["global_secondary_indexes"]
        ],
        "BillingMode": BILLING_MODE,
    }


def _keys(key_schema: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in key_schema]


def schema_of(table: Mapping[str, Any]) -> dict[str, Any]:
    """The comparable part of a table: CreateTable parameters, a DescribeTable `Table`, or a
    CloudFormation `AWS::DynamoDB::Table` `Properties` all give the same dict when they
    describe the same keys, indexes and billing mode."""
    attributes = [
        {"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
        for a in table.get("AttributeDefinitions", [])
    ]
    indexes = [
        {
            "IndexName": index["IndexName"],
            "KeySchema": _keys(index["KeySchema"]),
            "ProjectionType": index["Projection"]["ProjectionType"],
        }
        for index in table.get("GlobalSecondaryIndexes", [])
    ]
    billing = table.get("BillingMode") or table.get("BillingModeSummary", {}).get("BillingMode")
    return {
        "AttributeDefinitions": sorted(attributes, key=lambda a: a["AttributeName"]),
        "KeySchema": _keys(table.get("KeySchema", [])),
        "GlobalSecondaryIndexes": sorted(indexes, key=lambda index: index["IndexName"]),
        "BillingMode": billing or "PROVISIONED",
    }


def create_table(
    settings: Settings | None = None,
    *,
    table: str | None = None,
    endpoint: str | None = None,
    region: str | None = None,
) -> bool:
    """Create the table unless it exists, wait until it is ACTIVE, and enable TTL.

    True if this call created it, False if it existed. Safe to run again (init-db at every
    deploy): an existing table is checked against the definition and gets TTL if it lacks
    it, and the indexes a later version added. TableSetupError, with the reason, for
    anything that stops that.
    """
    config = TableConfig.of(settings, table=table, endpoint=endpoint, region=region)
    where = f"DynamoDB table {config.table!r} at {config.endpoint or 'AWS ' + config.region}"
    client = boto3.client("dynamodb", endpoint_url=config.endpoint, region_name=config.region)
    try:
        created = _create(client, config.table)
        description = _wait_active(client, config.table)
        if created:
            _mark_new_keys(client, config.table)
        if not created and _add_missing_indexes(client, description, config.table):
            description = _wait_active(client, config.table)
        if not created:
            _check_fits(description, config.table)
        _enable_ttl(client, config.table)
    except (ClientError, BotoCoreError) as err:
        raise TableSetupError(f"could not set up the {where}: {err}") from err
    log.info("%s %s", where, "created" if created else "already exists")
    return created


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _create(client: Any, table_name: str) -> bool:
    try:
        client.create_table(**table_definition(table_name))
    except ClientError as err:
        if _error_code(err) == "ResourceInUseException":  # it exists (or is being created)
            return False
        raise
    return True


def _wait_active(client: Any, table_name: str) -> dict[str, Any]:
    """Its DescribeTable `Table` once the table and every index are ACTIVE."""
    deadline = time.monotonic() + ACTIVE_TIMEOUT_S
    delay = 0.05  # moto and DynamoDB Local answer ACTIVE at once; AWS takes seconds
    while True:
        description: dict[str, Any] = client.describe_table(TableName=table_name)["Table"]
        statuses = [description.get("TableStatus")] + [
            index.get("IndexStatus") for index in description.get("GlobalSecondaryIndexes", [])
        ]
        if all(status == "ACTIVE" for status in statuses):
            return description
        if time.monotonic() > deadline:
            raise TableSetupError(f"table {table_name!r} is not ACTIVE after a while: {statuses}")
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def _mark_new_keys(client: Any, table_name: str) -> None:
    """A new table holds alerts under this version's keys only: the store, told so, never
    looks up an older form."""
    state = State(key=TABLE_FORM_STATE, version=1, data={"older_forms": False})
    client.put_item(
        TableName=table_name,
        Item={
            "pk": {"S": f"STATE#{state.key}"},
            "sk": {"S": "STATE"},
            "version": {"N": str(state.version)},
            "body": {"S": state.model_dump_json()},
        },
    )


def _add_missing_indexes(client: Any, description: Mapping[str, Any], table_name: str) -> bool:
    """A table made by an earlier version lacks the indexes added since: add them, one per
    UpdateTable as DynamoDB requires. True if any was added."""
    want = table_definition(table_name)
    have = {index["IndexName"] for index in description.get("GlobalSecondaryIndexes", [])}
    missing = [i for i in want["GlobalSecondaryIndexes"] if i["IndexName"] not in have]
    kept = [i for i in want["GlobalSecondaryIndexes"] if i["IndexName"] in have]
    older = schema_of({**want, "GlobalSecondaryIndexes": kept})
    found = schema_of(description)
    if not missing or (older["KeySchema"], older["GlobalSecondaryIndexes"]) != (
        found["KeySchema"],
        found["GlobalSecondaryIndexes"],
    ):
        return False  # nothing to add, or not an earlier form of this table: refused after
    for index in missing:
        client.update_table(
            TableName=table_name,
            AttributeDefinitions=want["AttributeDefinitions"],  # every key's, old and new
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        log.warning("table %s: added index %s", table_name, index["IndexName"])
        _wait_active(client, table_name)
    return bool(missing)


def _check_fits(description: Mapping[str, Any], table_name: str) -> None:
    """An existing table must have the adapter's keys and indexes; billing is the owner's."""
    have, want = schema_of(description), schema_of(table_definition(table_name))
    have.pop("BillingMode")
    want.pop("BillingMode")
    if have != want:
        raise TableSetupError(
            f"table {table_name!r} exists with other keys or indexes than the adapter needs;"
            f" expected {want}, found {have}. Use another AWS_DYNAMODB_TABLE or recreate it."
        )


def _enable_ttl(client: Any, table_name: str) -> None:
    """TTL on `TTL_ATTRIBUTE`. Tolerates only "already enabled" and an emulator that lacks
    the TTL API (reads check expiry anyway); TTL on another attribute is an error."""
    try:
        current = client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
        if (
            current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
            and current.get("AttributeName") == TTL_ATTRIBUTE
        ):
            return
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
    except ClientError as err:
        message = str(err.response.get("Error", {}).get("Message", ""))
        if _error_code(err) == "ValidationException" and "already enabled" in message.lower():
            return  # another init-db got there between our describe and update
        if _error_code(err) in ("UnknownOperationException", "NotImplementedException"):
            log.warning("this DynamoDB has no TTL API; expired items stay until deleted")
            return
        raise
