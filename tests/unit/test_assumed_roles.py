"""Clients through assumed roles (adapters/assumed_roles.py) and the organisation's
accounts (adapters/organizations.py), on moto's STS and Organizations."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from adapters import aws_session
from adapters.assumed_roles import MemberReads, assumed_client
from adapters.factory import open_account_directory, open_alarm_reads
from adapters.organizations import OrganizationsDirectory
from bot.config import Settings
from bot.errors import AccessDeniedError, UnprocessedError
from tests.fakes import FakeClock

OWN = "123456789012"  # moto's account: the bot's own
MEMBER = "222222222222"
ROLE = "aws-monitoring-bot-read"


@pytest.fixture
def aws(monkeypatch):
    """moto's AWS, with a process session of this test's own: one made inside the mock
    would keep moto's hooks for the rest of the run."""
    for key, value in {"AWS_ACCESS_KEY_ID": "own", "AWS_SECRET_ACCESS_KEY": "own"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws_session.session.cache_clear()
    with mock_aws():
        yield
    aws_session.session.cache_clear()


def identity(client) -> str:
    return client.get_caller_identity()["Arn"]


# --- MemberReads ----------------------------------------------------------------------------


def test_the_own_account_is_read_with_the_own_credentials(aws):
    reads = MemberReads(None, "us-east-1")
    client = reads.client("sts", OWN, "eu-west-1")
    assert client.meta.region_name == "eu-west-1"
    assert identity(client) == f"arn:aws:sts::{OWN}:user/moto"
    assert reads.client("sts", OWN, "eu-west-1") is client  # made once
    assert reads.client("sts", None, "eu-west-1") is client  # None: the bot's own
    assert reads.readable(OWN)


def test_another_account_without_a_read_role_is_not_readable(aws):
    reads = MemberReads(None, "us-east-1")
    assert not reads.readable(MEMBER)
    with pytest.raises(AccessDeniedError, match="ENRICH_READ_ROLE"):
        reads.client("cloudwatch", MEMBER, "eu-west-1")


def test_with_a_read_role_another_account_is_read_through_it(aws):
    reads = MemberReads(ROLE, "us-east-1")
    assert reads.readable(MEMBER)
    client = reads.client("sts", MEMBER, "eu-west-1")
    assert identity(client) == (
        f"arn:aws:sts::{MEMBER}:assumed-role/{ROLE}/aws-monitoring-bot"
    )  # AssumeRole asked for arn:aws:iam::222222222222:role/aws-monitoring-bot-read
    assert reads.client("sts", MEMBER, "eu-west-1") is client
    other_region = reads.client("sts", MEMBER, "us-west-2")
    assert other_region is not client and identity(other_region) == identity(client)
    assert identity(reads.client("sts", OWN, "eu-west-1")) == f"arn:aws:sts::{OWN}:user/moto"


def test_while_sts_cannot_say_which_account_is_ours_nothing_is_read_for_a_while(
    aws, monkeypatch, caplog
):
    asked = []
    made = aws_session.client

    def unreachable(service, region=None):
        asked.append(service)
        if service == "sts" and len(asked) == 1:
            raise ConnectionError("no route to STS")
        return made(service, region)

    monkeypatch.setattr(aws_session, "client", unreachable)
    clock = FakeClock()
    reads = MemberReads(None, "us-east-1", clock=clock.now)
    assert not reads.readable(OWN) and not reads.readable(MEMBER)
    with pytest.raises(AccessDeniedError, match="own account is unknown"):
        reads.client("cloudwatch", OWN, "eu-west-1")
    assert asked == ["sts"]  # not asked again at once: a stalled STS stalls nothing
    said = [r for r in caplog.records if "own account is unknown" in r.getMessage()]
    assert len(said) == 1
    clock.advance(MemberReads.UNKNOWN_FOR_S)
    assert reads.readable(OWN) and not reads.readable(MEMBER)  # asked again, and answered
    assert asked == ["sts", "sts"]


def test_the_own_account_is_found_lazily_and_once(aws, monkeypatch):
    calls = []
    made = aws_session.client

    def counting(service, region=None):
        calls.append(service)
        return made(service, region)

    monkeypatch.setattr(aws_session, "client", counting)
    reads = open_alarm_reads(Settings(_env_file=None, enrich_read_role=ROLE))
    assert calls == []  # opening (an ingest's cold start) asks nothing
    assert reads.readable(MEMBER) and reads.readable("")
    assert calls == []  # with a read role every account is readable: no question either
    reads = open_alarm_reads(Settings(_env_file=None))
    assert reads.readable(OWN) and not reads.readable(MEMBER)
    assert calls == ["sts"]  # GetCallerIdentity, once per process


def test_an_assumed_client_signs_with_the_role_s_credentials(aws):
    arn = f"arn:aws:iam::{MEMBER}:role/org-read"
    client = assumed_client("sts", arn, "us-east-1")
    assert identity(client) == f"arn:aws:sts::{MEMBER}:assumed-role/org-read/aws-monitoring-bot"
    credentials = client._request_signer._credentials
    assert credentials.refresh_needed() is False  # fresh for the next hour
    assert credentials.access_key != "own"


# --- Organizations ------------------------------------------------------------------------


def organization() -> tuple[object, str]:
    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    made = org.create_account(
        Email="payments@example.com",
        AccountName="payments-prod",
        Tags=[{"Key": "team", "Value": "payments"}, {"Key": "owner", "Value": "alice"}],
    )
    return org, made["CreateAccountStatus"]["AccountId"]


def test_the_directory_lists_the_accounts_with_their_tags(aws):
    org, payments = organization()
    found = {a.id: a for a in OrganizationsDirectory(org).accounts()}
    assert set(found) == {OWN, payments}
    assert found[payments].name == "payments-prod"
    assert found[payments].tags == {"owner": "alice", "team": "payments"}
    assert found[OWN].tags == {}


@pytest.mark.parametrize("code", ["AWSOrganizationsNotInUseException", "AccessDeniedException"])
def test_an_account_that_may_not_read_the_organisation_is_told_so(aws, code):
    org = boto3.client("organizations", region_name="us-east-1")
    with Stubber(org) as stub:  # moto lists nothing where there is no organisation
        stub.add_client_error("list_accounts", service_error_code=code, http_status_code=400)
        with pytest.raises(AccessDeniedError, match=code):
            OrganizationsDirectory(org).accounts()
        stub.assert_no_pending_responses()


def test_other_failures_are_not_taken_for_a_denial(aws):
    org = boto3.client("organizations", region_name="us-east-1")
    with Stubber(org) as stub:
        stub.add_client_error("list_accounts", service_error_code="ServiceException")
        with pytest.raises(UnprocessedError) as raised:
            OrganizationsDirectory(org).accounts()
    assert not isinstance(raised.value, AccessDeniedError)


def test_the_factory_reads_the_organisation_through_its_role_when_one_is_set(aws):
    _, payments = organization()
    role = f"arn:aws:iam::{OWN}:role/org-read"
    directory = open_account_directory(Settings(_env_file=None, organizations_role_arn=role))
    assert identity_of(directory) == f"arn:aws:sts::{OWN}:assumed-role/org-read/aws-monitoring-bot"
    assert payments in {a.id for a in directory.accounts()}
    plain = open_account_directory(Settings(_env_file=None))
    assert identity_of(plain) == f"arn:aws:sts::{OWN}:user/moto"


def identity_of(directory: OrganizationsDirectory) -> str:
    """Who the directory's Organizations client signs as, asked of STS with its keys."""
    frozen = directory._organizations._request_signer._credentials.get_frozen_credentials()
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
        aws_session_token=frozen.token,
    )
    return identity(sts)
