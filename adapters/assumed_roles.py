"""Clients that act through an assumed role (STS AssumeRole): the organisation's
management account for its accounts' names, and a member account's read role for the
enrichments of its alarms.

The credentials are assumed on a client's first call and again before they expire
(botocore's DeferredRefreshableCredentials), so that a long-running process, or a warm
Lambda, never signs with expired ones. The clients come from the process's one session
(adapters/aws_session.py); STS honours AWS_ENDPOINT_URL_STS as every client does its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.credentials import DeferredRefreshableCredentials

from adapters import aws_session
from bot.errors import AccessDeniedError

log = logging.getLogger(__name__)

SESSION_NAME = "aws-monitoring-bot"
DURATION_S = 3600


def assumed_credentials(role_arn: str, region: str | None = None) -> DeferredRefreshableCredentials:
    """Credentials of `role_arn`, assumed on first use and again before they expire."""
    sts = aws_session.client("sts", region)

    def assume() -> dict[str, str]:
        answer = sts.assume_role(
            RoleArn=role_arn, RoleSessionName=SESSION_NAME, DurationSeconds=DURATION_S
        )["Credentials"]
        return {
            "access_key": answer["AccessKeyId"],
            "secret_key": answer["SecretAccessKey"],
            "token": answer["SessionToken"],
            "expiry_time": answer["Expiration"].isoformat(),
        }

    return DeferredRefreshableCredentials(refresh_using=assume, method="assume-role")


def client_with(credentials: Any, service: str, region: str | None = None) -> Any:
    """A client of the shared session that signs with `credentials`.

    botocore takes a credentials object from a session only, and a second session would
    load botocore's data again: the client is made with placeholder keys, then given the
    refreshable credentials its request signer reads on every request."""
    client = aws_session.session().create_client(
        service,
        region_name=region,
        aws_access_key_id="placeholder",
        aws_secret_access_key="placeholder",  # replaced below, never sent
    )
    client._request_signer._credentials = credentials
    return client


def assumed_client(service: str, role_arn: str, region: str | None = None) -> Any:
    """A client of `service` in `region` that acts as `role_arn`."""
    return client_with(assumed_credentials(role_arn, region), service, region)


def role_arn(account: str, role_name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:role/{role_name}"


class MemberReads:
    """The enrichments' clients (a ClientFor) and which accounts they may read: the bot's
    own account with its own credentials; another account through its read role
    (ENRICH_READ_ROLE, a role name), when one is set, else not at all.

    The bot's own account is found by STS GetCallerIdentity once per process, on the
    first enrichment that asks: never by an ingest. While STS cannot say, nothing is read
    (an alarm read with the wrong account's credentials would draw an empty graph), and
    it is asked again after UNKNOWN_FOR_S, with one warning each time it fails. At most
    MAX_CLIENTS clients are kept, the oldest made dropped first."""

    UNKNOWN_FOR_S = 300.0
    MAX_CLIENTS = 256

    def __init__(
        self,
        read_role: str | None,
        region: str | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._role, self._region, self._clock = read_role, region, clock
        self._own: tuple[str, str] | None = None  # (account, partition)
        self._unknown_until = 0.0
        self._credentials: dict[str, DeferredRefreshableCredentials] = {}
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        self._lock = threading.Lock()

    def own_account(self) -> str | None:
        """The bot's own account id; None while STS cannot say."""
        identity = self._identity()
        return identity[0] if identity else None

    def _identity(self) -> tuple[str, str] | None:
        with self._lock:
            if self._own is None and self._clock() >= self._unknown_until:
                try:
                    arn = aws_session.client("sts", self._region).get_caller_identity()["Arn"]
                except Exception as err:  # any failure of STS is the same here
                    self._unknown_until = self._clock() + self.UNKNOWN_FOR_S
                    log.warning(
                        "the bot's own account is unknown (GetCallerIdentity: %s): alarms are "
                        "not enriched from AWS for %.0f s",
                        err,
                        self.UNKNOWN_FOR_S,
                    )
                    return None
                fields = arn.split(":")  # arn:<partition>:sts::<account>:…
                self._own = (fields[4], fields[1])
            return self._own

    def readable(self, account: str) -> bool:
        """True for the bot's own account, and for any other when a read role is set
        (without asking STS); without one, False for all while the bot's own account is
        unknown."""
        if self._role or not account:
            return True
        identity = self._identity()
        return identity is not None and account == identity[0]

    def client(self, service: str, account: str | None, region: str | None) -> Any:
        """A client reading `account` in `region` (None: the bot's own), made once;
        AccessDeniedError for another account when no read role is set, or while the
        bot's own account is unknown."""
        if not account:
            return self._made(("", service, region), lambda: aws_session.client(service, region))
        identity = self._identity()
        if identity is None:
            raise AccessDeniedError(f"account {account}: the bot's own account is unknown")
        own, partition = identity
        if account == own:
            return self._made(("", service, region), lambda: aws_session.client(service, region))
        role = self._role
        if not role:
            raise AccessDeniedError(f"account {account} has no read role (ENRICH_READ_ROLE)")

        def assumed() -> Any:
            if account not in self._credentials:
                arn = role_arn(account, role, partition)
                self._credentials[account] = assumed_credentials(arn, self._region)
            return client_with(self._credentials[account], service, region)

        return self._made((account, service, region), assumed)

    def _made(self, key: tuple[str, str, str | None], make: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._clients:
                while len(self._clients) >= self.MAX_CLIENTS:
                    del self._clients[next(iter(self._clients))]
                self._clients[key] = make()
            return self._clients[key]
