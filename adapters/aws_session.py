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
from typing import Any

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
