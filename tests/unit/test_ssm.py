"""Slack's secrets read from SSM SecureString parameters at cold start (adapters/ssm.py)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from adapters import aws_session
from adapters.ssm import SecretsError, with_secrets
from bot.config import Settings


@pytest.fixture
def ssm(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("ssm", region_name="eu-west-1")
        client.put_parameter(Name="/bot/token", Value="xoxb-secret", Type="SecureString")
        yield client


def settings(**values) -> Settings:
    return Settings(_env_file=None, aws_region="eu-west-1", **values)


def test_named_parameters_fill_the_unset_secrets(ssm):
    got = with_secrets(settings(slack_bot_token_ssm_param="/bot/token"), ssm)
    assert got.slack_bot_token == "xoxb-secret"
    assert got.slack_signing_secret is None


def test_a_secret_set_directly_wins_and_ssm_is_not_called():
    class Refuses:
        def get_parameter(self, **kwargs):
            raise AssertionError("SSM was called")

    given = settings(slack_bot_token="xoxb-direct", slack_bot_token_ssm_param="/bot/token")
    assert with_secrets(given, Refuses()).slack_bot_token == "xoxb-direct"
    assert with_secrets(settings(), Refuses()) == settings()


def test_a_missing_parameter_is_a_clear_error(ssm):
    with pytest.raises(SecretsError, match="'/bot/missing' for SLACK_SIGNING_SECRET"):
        with_secrets(settings(slack_signing_secret_ssm_param="/bot/missing"), ssm)


@pytest.fixture
def fresh_session():
    """A process session made inside moto's mock would keep moto's hooks for the rest of
    the run: this test's session is its own, and forgotten after it."""
    aws_session.session.cache_clear()
    yield
    aws_session.session.cache_clear()


def test_without_a_client_it_reads_through_the_process_session(ssm, monkeypatch, fresh_session):
    made = []
    real = aws_session.SharedSession.create_client

    def spy(self, *args, **kwargs):
        made.append((self, args[0]))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(aws_session.SharedSession, "create_client", spy)
    got = with_secrets(settings(slack_bot_token_ssm_param="/bot/token"))
    assert got.slack_bot_token == "xoxb-secret"
    assert made == [(aws_session.session(), "ssm")]
