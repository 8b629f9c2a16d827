"""The LogQuery port on CloudWatch Logs Insights (botocore `logs`): start a query, poll its
results until it completes, and stop it when it takes too long or scans too much.

The hourly sweep gives it one client (the bot's own account and region); the enrichments
give it `client_for`, to query an alarm's logs where the alarm lives."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from adapters.aws_errors import aws_errors
from adapters.aws_session import ClientFor
from bot.errors import MonitoringException, RequestTimeoutError, UnprocessedError

log = logging.getLogger(__name__)

_FAILED = frozenset({"Failed", "Cancelled", "Timeout", "Unknown"})


class InsightsLogQuery:
    """Synchronous Insights queries, polled every `delay` seconds for up to `timeout`
    (a query's `timeout_s` overrides it), on `client` or on `client_for`'s clients."""

    def __init__(
        self,
        client: Any = None,
        *,
        client_for: ClientFor | None = None,
        timeout: float = 15.0,
        delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if (client is None) == (client_for is None):
            raise TypeError("InsightsLogQuery takes a client or a client_for, one of them")
        self._client = client
        self._client_for = client_for
        self._timeout = timeout
        self._delay = delay
        self._clock = clock
        self._sleep = sleep

    def query(
        self,
        log_groups: list[str],
        query: str,
        start: int,
        end: int,
        *,
        max_bytes: int | None = None,
        timeout_s: float | None = None,
        account: str | None = None,
        region: str | None = None,
    ) -> list[dict[str, str]]:
        where = ", ".join(log_groups)
        timeout = self._timeout if timeout_s is None else timeout_s
        with aws_errors(f"Logs Insights could not query {where}"):
            client = self._client_of(account, region)
            started = client.start_query(
                logGroupNames=log_groups, startTime=start, endTime=end, queryString=query
            )
        query_id = started["queryId"]
        deadline = self._clock() + timeout
        while True:
            try:
                with aws_errors(f"Logs Insights query {query_id}"):
                    answer = client.get_query_results(queryId=query_id)
            except MonitoringException:
                self._stop(client, query_id)  # not left scanning while nobody waits
                raise
            status = answer.get("status", "Unknown")
            if status == "Complete":
                return [_row(fields) for fields in answer.get("results", [])]
            if status in _FAILED:
                raise UnprocessedError(f"Logs Insights query {query_id} over {where}: {status}")
            scanned = answer.get("statistics", {}).get("bytesScanned", 0)
            if max_bytes is not None and scanned > max_bytes:
                self._stop(client, query_id)
                raise RequestTimeoutError(
                    f"Logs Insights query over {where} scanned {scanned:.0f} bytes, past its "
                    f"byte limit of {max_bytes}"
                )
            if self._clock() >= deadline:
                self._stop(client, query_id)
                raise RequestTimeoutError(
                    f"Logs Insights query over {where} did not finish in {timeout:g}s"
                )
            self._sleep(self._delay)

    def _client_of(self, account: str | None, region: str | None) -> Any:
        """The sweep's one client, or the client that reads `account` in `region`."""
        if self._client_for is None:
            return self._client
        return self._client_for("logs", account, region)

    def _stop(self, client: Any, query_id: str) -> None:
        """Stop a query we stopped waiting for, so that it spends no more of the account's
        concurrent query quota (nor scans more); failing to stop it only costs that."""
        try:
            with aws_errors(f"could not stop Logs Insights query {query_id}"):
                client.stop_query(queryId=query_id)
        except MonitoringException as err:
            log.warning("%s", err)


def _row(fields: list[dict[str, str]]) -> dict[str, str]:
    return {f["field"]: f.get("value", "") for f in fields if "field" in f}
