"""A local fake of CloudWatch Logs' Insights queries and DescribeMetricFilters: moto
completes every query at once, ignores its clauses and reports no statistics, so a
query that runs long or scans too much cannot be shown on it.

A query runs as the fake is told (`answer_queries`): Running for so many polls, scanning
so many bytes a poll, then Complete with its rows; StopQuery cancels it. StartQuery checks
its log groups (one way of naming them, 1 to 50 of them, all existing), its window and its
query string as Logs does; DescribeMetricFilters wants metricName and metricNamespace
together, and pages its answer.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from tests.fakes_aws.json_service import AwsError, Call, Handler, JsonServiceFake

MAX_GROUPS = 50
MAX_QUERY_CHARS = 10_000
MAX_PAGE = 50
GROUP_PARAMS = ("logGroupName", "logGroupNames", "logGroupIdentifiers")


@dataclass(frozen=True)
class Script:
    """How each query started from now on runs."""

    rows: tuple[dict[str, str], ...] = ()
    running_polls: int = 0
    bytes_per_poll: float = 0.0


@dataclass
class Query:
    id: str
    groups: list[str]
    start: int
    end: int
    query_string: str
    script: Script
    polls: int = 0
    status: str = "Running"


class FakeLogs(JsonServiceFake):
    """`queries` holds every query started, by id."""

    model_name = "logs"
    denied = ("AccessDeniedException", 400)

    def __init__(self) -> None:
        super().__init__()
        self.queries: dict[str, Query] = {}
        self.page_size = MAX_PAGE
        self._script = Script()
        self._missing: set[str] = set()
        self._filters: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def clear(self) -> None:
        self.queries.clear()
        self.page_size = MAX_PAGE
        self._script = Script()
        self._missing.clear()
        self._filters.clear()

    # --- what a test sets ------------------------------------------------------------------

    def answer_queries(
        self, rows: list[dict[str, str]], *, running_polls: int = 0, bytes_per_poll: float = 0.0
    ) -> None:
        """Queries started from now on are Running for `running_polls` polls (scanning
        `bytes_per_poll` more bytes each), then Complete with `rows`."""
        with self._lock:
            self._script = Script(tuple(rows), running_polls, bytes_per_poll)

    def missing_groups(self, *groups: str) -> None:
        """Log groups that are not there: a query over one answers ResourceNotFound."""
        with self._lock:
            self._missing.update(groups)

    def metric_filter(
        self, group: str, namespace: str, metric_name: str, name: str | None = None
    ) -> None:
        with self._lock:
            self._filters.append(
                {
                    "filterName": name or f"{metric_name}-{len(self._filters)}",
                    "filterPattern": "ERROR",
                    "metricTransformations": [
                        {
                            "metricName": metric_name,
                            "metricNamespace": namespace,
                            "metricValue": "1",
                        }
                    ],
                    "creationTime": 1_700_000_000_000,
                    "logGroupName": group,
                }
            )

    def stopped(self) -> list[str]:
        """The ids StopQuery was called for, in order."""
        return [call.params["queryId"] for call in self.calls_of("StopQuery")]

    # --- the operations ------------------------------------------------------------------

    def operations(self) -> dict[str, Handler]:
        return {
            "StartQuery": self._start_query,
            "GetQueryResults": self._get_query_results,
            "StopQuery": self._stop_query,
            "DescribeMetricFilters": self._describe_metric_filters,
        }

    def _start_query(self, call: Call) -> dict[str, Any]:
        params = call.params
        named = [name for name in GROUP_PARAMS if name in params]
        if len(named) != 1:
            raise AwsError("InvalidParameterException", f"name the log groups one way: {named}")
        groups = params[named[0]]
        groups = [groups] if isinstance(groups, str) else groups
        if not groups or len(groups) > MAX_GROUPS:
            raise AwsError(
                "InvalidParameterException", f"1 to {MAX_GROUPS} log groups, not {len(groups)}"
            )
        start, end = params["startTime"], params["endTime"]
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            raise AwsError("InvalidParameterException", "startTime must be before endTime")
        text = params["queryString"]
        if not text.strip() or len(text) > MAX_QUERY_CHARS:
            raise AwsError("MalformedQueryException", "queryString must be 1 to 10000 chars")
        missing = [g for g in groups if g.rpartition(":log-group:")[2] in self._missing]
        if missing:
            raise AwsError("ResourceNotFoundException", f"Log group '{missing[0]}' does not exist")
        query_id = f"q-{next(self._ids)}"
        self.queries[query_id] = Query(query_id, list(groups), start, end, text, self._script)
        return {"queryId": query_id}

    def _query(self, call: Call) -> Query:
        query = self.queries.get(call.params["queryId"])
        if query is None:
            raise AwsError("ResourceNotFoundException", "no such query")
        return query

    def _get_query_results(self, call: Call) -> dict[str, Any]:
        query = self._query(call)
        if query.status == "Running":
            query.polls += 1
            if query.polls > query.script.running_polls:
                query.status = "Complete"
        scanned = query.script.bytes_per_poll * query.polls
        answer: dict[str, Any] = {
            "status": query.status,
            "statistics": {"recordsMatched": 0.0, "recordsScanned": 0.0, "bytesScanned": scanned},
            "results": [],
        }
        if query.status == "Complete":
            rows = query.script.rows
            answer["results"] = [[{"field": k, "value": v} for k, v in row.items()] for row in rows]
            answer["statistics"]["recordsMatched"] = float(len(rows))
        return answer

    def _stop_query(self, call: Call) -> dict[str, Any]:
        query = self._query(call)
        if query.status != "Running":
            return {"success": False}
        query.status = "Cancelled"
        return {"success": True}

    def _describe_metric_filters(self, call: Call) -> dict[str, Any]:
        params = call.params
        if ("metricName" in params) != ("metricNamespace" in params):
            raise AwsError(
                "InvalidParameterException",
                "metricName and metricNamespace must be specified together",
            )
        if "filterNamePrefix" in params and "logGroupName" not in params:
            raise AwsError("InvalidParameterException", "filterNamePrefix needs logGroupName")
        limit = params.get("limit", MAX_PAGE)
        if not 1 <= limit <= MAX_PAGE:
            raise AwsError("InvalidParameterException", f"limit must be 1 to {MAX_PAGE}")
        found = [f for f in self._filters if _matches(f, params)]
        token = params.get("nextToken", "0")
        if not token.isdigit() or int(token) > len(found):
            raise AwsError("InvalidParameterException", f"bad nextToken {token!r}")
        first = int(token)
        last = first + min(limit, self.page_size)
        answer: dict[str, Any] = {"metricFilters": found[first:last]}
        if last < len(found):
            answer["nextToken"] = str(last)
        return answer


def _matches(metric_filter: dict[str, Any], params: dict[str, Any]) -> bool:
    if params.get("logGroupName", metric_filter["logGroupName"]) != metric_filter["logGroupName"]:
        return False
    if not metric_filter["filterName"].startswith(params.get("filterNamePrefix", "")):
        return False
    if "metricName" not in params:
        return True
    return any(
        t["metricName"] == params["metricName"]
        and t["metricNamespace"] == params["metricNamespace"]
        for t in metric_filter["metricTransformations"]
    )
