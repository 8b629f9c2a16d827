"""One botocore session per process (adapters/aws_session.py): pynamodb's DynamoDB
connection and every other AWS client are made from it, so that a cold start loads
botocore's endpoint data and lists its service models once."""

from __future__ import annotations

from adapters import aws_session
from adapters.dynamodb.models import TableConfig, bind


def test_the_session_is_made_once() -> None:
    assert aws_session.session() is aws_session.session()


def test_pynamodb_makes_its_client_from_the_process_session() -> None:
    models = bind(TableConfig(table="one-session", endpoint="http://127.0.0.1:1"))
    assert models.event._get_connection().connection.session is aws_session.session()
    assert models.alert._get_connection().connection.session is aws_session.session()


def test_clients_are_made_in_the_region_asked() -> None:
    client = aws_session.client("sqs", "eu-west-1")
    assert client.meta.service_model.service_name == "sqs"
    assert client.meta.region_name == "eu-west-1"
