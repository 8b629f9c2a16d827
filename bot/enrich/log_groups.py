"""Which log groups hold the lines behind an alarm, derived from what it watches:

- a Lambda function's Errors or Throttles: /aws/lambda/<function>;
- an ECS service's metric: the awslogs groups of its task definition;
- an API Gateway stage's 5xx: its execution logs, API-Gateway-Execution-Logs_<api id>/<stage>;
- a metric that a metric filter publishes (a namespace of one's own): the filter's group.

A routes-file rule may name the groups instead (`log_groups`), which wins.
"""

from __future__ import annotations

from bot.enrich.alarm import AlarmFacts
from bot.ports import LogSources
from bot.sources.alarm_queries import MetricQuery

MAX_GROUPS = 10  # what one Logs Insights query may read (by name)
LAMBDA_METRICS = frozenset({"Errors", "Throttles"})
API_GATEWAY_METRICS = frozenset({"5XXError", "5xx", "4XXError", "4xx"})


def _dimension(query: MetricQuery, name: str) -> str:
    return next((value for key, value in query.dimensions if key == name), "")


def _groups_of(query: MetricQuery, sources: LogSources | None, alarm: AlarmFacts) -> list[str]:
    if query.namespace == "AWS/Lambda" and query.name in LAMBDA_METRICS:
        function = _dimension(query, "FunctionName")
        return [f"/aws/lambda/{function}"] if function else []
    if query.namespace == "AWS/ApiGateway" and query.name in API_GATEWAY_METRICS:
        api, stage = _dimension(query, "ApiId"), _dimension(query, "Stage")
        return [f"API-Gateway-Execution-Logs_{api}/{stage}"] if api and stage else []
    if sources is None:
        return []
    if query.namespace == "AWS/ECS":
        cluster, service = _dimension(query, "ClusterName"), _dimension(query, "ServiceName")
        if not (cluster and service):
            return []
        return sources.ecs_service_groups(cluster, service, alarm.region, account=alarm.account)
    if query.namespace and not query.namespace.startswith("AWS/"):
        return sources.metric_filter_groups(
            query.namespace, query.name, alarm.region, account=alarm.account
        )
    return []


def derive(alarm: AlarmFacts, sources: LogSources | None) -> list[str]:
    """The groups behind an alarm's metrics, in the order its metrics name them."""
    groups: dict[str, None] = {}
    for query in alarm.metrics:
        groups.update(dict.fromkeys(_groups_of(query, sources, alarm)))
    return list(groups)[:MAX_GROUPS]
