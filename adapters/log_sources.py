"""The LogSources port on CloudWatch Logs and ECS: the log groups behind a metric, read in
the alarm's account and region and cached for an hour (they change with a deployment,
not with every alert)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from adapters.aws_errors import aws_errors, place
from adapters.aws_session import ClientFor, own_client
from adapters.ttl_cache import TtlCache
from bot.errors import NotFoundError

CACHE_S = 3600.0


class AwsLogSources:
    """DescribeMetricFilters for a metric of one's own, DescribeServices and
    DescribeTaskDefinition for an ECS service's awslogs groups."""

    def __init__(
        self,
        client_for: ClientFor = own_client,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 1000,
    ) -> None:
        self._client_for = client_for
        self._cache: TtlCache[list[str]] = TtlCache(CACHE_S, max_entries=max_entries, clock=clock)

    def metric_filter_groups(
        self, namespace: str, metric_name: str, region: str | None, *, account: str | None = None
    ) -> list[str]:
        key = (account, region, "metric-filter", namespace, metric_name)
        return list(
            self._cache.get(
                key, lambda: self._filter_groups(namespace, metric_name, account, region)
            )
        )

    def ecs_service_groups(
        self, cluster: str, service: str, region: str | None, *, account: str | None = None
    ) -> list[str]:
        key = (account, region, "ecs-service", cluster, service)
        return list(
            self._cache.get(key, lambda: self._ecs_groups(cluster, service, account, region))
        )

    def _filter_groups(
        self, namespace: str, metric_name: str, account: str | None, region: str | None
    ) -> list[str]:
        groups: dict[str, None] = {}
        doing = f"DescribeMetricFilters of {namespace}/{metric_name} in {place(account, region)}"
        with aws_errors(doing):
            client = self._client_for("logs", account, region)
            pages = client.get_paginator("describe_metric_filters").paginate(
                metricName=metric_name, metricNamespace=namespace
            )
            for page in pages:
                for found in page.get("metricFilters", []):
                    if found.get("logGroupName"):
                        groups[found["logGroupName"]] = None
        return list(groups)

    def _ecs_groups(
        self, cluster: str, service: str, account: str | None, region: str | None
    ) -> list[str]:
        """[] for a service (or cluster) that is not there: its alarm outlived it."""
        doing = (
            f"the task definition of ECS service {cluster}/{service} in {place(account, region)}"
        )
        try:
            with aws_errors(doing):
                client = self._client_for("ecs", account, region)
                answer = client.describe_services(cluster=cluster, services=[service])
                task_definition = _task_definition(answer.get("services", []))
                if not task_definition:
                    return []
                described = client.describe_task_definition(taskDefinition=task_definition)
        except NotFoundError:
            return []
        containers = described.get("taskDefinition", {}).get("containerDefinitions", [])
        groups: dict[str, None] = {}
        for container in containers:
            config = container.get("logConfiguration") or {}
            group = (config.get("options") or {}).get("awslogs-group")
            if config.get("logDriver") == "awslogs" and group:
                groups[group] = None
        return list(groups)


def _task_definition(services: list[dict[str, Any]]) -> str:
    """The PRIMARY deployment's task definition (what runs, or is rolling out), else the
    service's own; "" when the service is not there (or is INACTIVE, deleted)."""
    service = next((s for s in services if s.get("status") != "INACTIVE"), None)
    if service is None:
        return ""
    deployments = service.get("deployments", [])
    primary: dict[str, Any] = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
    return str(primary.get("taskDefinition") or service.get("taskDefinition") or "")
