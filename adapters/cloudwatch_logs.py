"""The LogQuery port on CloudWatch Logs Insights (boto3 `logs`): start a query, poll its
results until it completes, stop it and give up after a timeout."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.errors import RequestTimeoutError, UnprocessedError

log = logging.getLogger(__name__)

_FAILED = frozenset({"Failed", "Cancelled", "Timeout", "Unknown"})


class InsightsLogQuery:
    """Synchronous Insights queries, polled every `delay` seconds for up to `timeout`."""

    def __init__(
        self,
        client: Any,
        *,
        timeout: float = 15.0,
        delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._delay = delay
        self._clock = clock
        self._sleep = sleep

    def query(
        self, log_groups: list[str], query: str, start: int, end: int
    ) -> list[dict[str, str]]:
        where = ", ".join(log_groups)
        try:
            started = self._client.start_query(
                logGroupNames=log_groups, startTime=start, endTime=end, queryString=query
            )
        except (ClientError, BotoCoreError) as err:
            raise UnprocessedError(f"Logs Insights could not query {where}: {err}") from err
        query_id = started["queryId"]
        deadline = self._clock() + self._timeout
        while True:
            try:
                answer = self._client.get_query_results(queryId=query_id)
            except (ClientError, BotoCoreError) as err:
                raise UnprocessedError(f"Logs Insights query {query_id}: {err}") from err
            status = answer.get("status", "Unknown")
            if status == "Complete":
                return [_row(fields) for fields in answer.get("results", [])]
            if status in _FAILED:
                raise UnprocessedError(f"Logs Insights query {query_id} over {where}: {status}")
            if self._clock() >= deadline:
                self._stop(query_id)
                raise RequestTimeoutError(
                    f"Logs Insights query over {where} did not finish in {self._timeout:g}s"
                )
            self._sleep(self._delay)

    def _stop(self, query_id: str) -> None:
        """Stop a query we stopped waiting for, so that it spends no more of the account's
        concurrent query quota; failing to stop it only costs that."""
        try:
            self._client.stop_query(queryId=query_id)
        except (ClientError, BotoCoreError) as err:
            log.warning("could not stop Logs Insights query %s: %s", query_id, err)


def _row(fields: list[dict[str, str]]) -> dict[str, str]:
    return {f["field"]: f.get("value", "") for f in fields if "field" in f}
