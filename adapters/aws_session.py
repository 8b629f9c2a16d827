"""The one botocore session of a process, from which every AWS client is made:
pynamodb's DynamoDB connection and the SSM, SQS, CloudWatch, Logs, EventBridge and ECS
clients alike.

A session reads botocore's endpoint data and lists its service models once; a second one
(boto3's default session beside pynamodb's own) does both again, on a Lambda's cold
start. Clients come from botocore directly, as boto3's would (boto3 adds nothing to
them but its import time); AWS_ENDPOINT_URL_<SERVICE> still points one elsewhere.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any, Protocol

import botocore.session


class SharedSession(botocore.session.Session):
    """A session that threads share: botocore's clients are thread-safe, its sessions are
    not, so making a client takes a lock."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def create_client(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return super().create_client(*args, **kwargs)


@lru_cache(maxsize=1)
def session() -> SharedSession:
    """The process's session, made on first use."""
    return SharedSession()


def client(service: str, region: str | None = None) -> Any:
    """A client of `service` in `region` (None: the environment's, AWS_DEFAULT_REGION)."""
    return session().create_client(service, region_name=region)


class ClientFor(Protocol):
    """A client of `service` that reads `account` in `region` (None: the bot's own): the
    enrichments read an alarm where it lives, through a read role in a member account."""

    def __call__(self, service: str, account: str | None, region: str | None) -> Any: ...


def own_client(service: str, account: str | None, region: str | None) -> Any:
    """A ClientFor that reads only the bot's own account (`account` is not used)."""
    return client(service, region)
