"""Console deep links: one place that knows the console's hosts per partition, and a
table from an ARN's service and resource type to the console page that shows it.

Regions and ARNs come from untrusted events. A region becomes part of a host name, so a
link is made only for a real region code; an unknown or missing region gives no link
rather than one invented for some default region. Services whose resources have no
region (IAM, S3) link to the partition's global console.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote as _url_quote
from urllib.parse import urlencode, urlsplit

from bot.regions import REGION_CODE, partition

_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-us-gov": "console.amazonaws-us-gov.com",
    "aws-cn": "console.amazonaws.cn",
}


def quote(text: str, safe: str = "/") -> str:
    """urllib's quote, for untrusted text: a lone surrogate (which UTF-8 cannot encode)
    becomes "?" instead of raising, so that an odd name still gives a link."""
    return _url_quote(text, safe=safe, errors="replace")


def console_url(
    region: str | None,
    path: str,
    fragment: str = "",
    query: Mapping[str, str] | None = None,
) -> str | None:
    """A deep link into the console of the region's partition; None without a region code."""
    if not (region and REGION_CODE.fullmatch(region)):
        return None
    part = partition(region)
    host = _HOSTS[part]
    if part == "aws":
        host = f"{region}.{host}"
    params = {"region": region, **(query or {})}
    encoded = urlencode(params, quote_via=_url_quote, errors="replace")
    url = f"https://{host}/{path.lstrip('/')}?{encoded}"
    return f"{url}#{fragment}" if fragment else url


# Where a link an event carries may lead, for the button that opens it: AWS's consoles,
# and the Prometheus and Grafana workspaces that AWS runs.
_LINK_HOSTS = tuple(_HOSTS.values())
_WORKSPACE_HOST = re.compile(
    r"(aps-workspaces|[a-z0-9-]+\.grafana-workspace)\.[a-z]{2}(-gov)?-[a-z]+-\d\.amazonaws\.com"
)


def aws_link(value: object) -> str | None:
    """A link an event carries (an anomaly's details, an alert's source), kept only when
    it is https to an AWS console or workspace host and nothing else: no credentials, no
    port, no spaces or backslashes. Anyone who can publish an event could otherwise put
    a link to their own site behind the bot's button."""
    if not isinstance(value, str) or any(c.isspace() or c == "\\" for c in value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or parts.username is not None or port is not None:
        return None
    console = any(host == known or host.endswith(f".{known}") for known in _LINK_HOSTS)
    return value if console or _WORKSPACE_HOST.fullmatch(host) else None


def global_console_url(arn_partition: str, path: str, fragment: str = "") -> str | None:
    """A link into a global service's console (IAM, S3) of an ARN's partition."""
    host = _HOSTS.get(arn_partition)
    if host is None:
        return None
    url = f"https://{host}/{path.lstrip('/')}"
    return f"{url}#{fragment}" if fragment else url


@dataclass(frozen=True)
class Arn:
    """An ARN's parts. `kind` and `name` split the resource at its first '/' or ':'."""

    text: str
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def kind(self) -> str:
        return _split_resource(self.resource)[0]

    @property
    def name(self) -> str:
        return _split_resource(self.resource)[1]

    @property
    def last(self) -> str:
        """The resource's last '/'- or ':'-separated part (a task id, a function name)."""
        return self.resource.replace(":", "/").rstrip("/").rsplit("/", 1)[-1]


def _split_resource(resource: str) -> tuple[str, str]:
    found = [at for at in (resource.find("/"), resource.find(":")) if at > 0]
    if not found:
        return "", resource
    at = min(found)
    return resource[:at], resource[at + 1 :]


def parse_arn(value: object) -> Arn | None:
    """The parts of an ARN, or None when the value is not one."""
    if not isinstance(value, str):
        return None
    parts = value.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[2] or not parts[5]:
        return None
    return Arn(value, parts[1], parts[2], parts[3], parts[4], parts[5])


def _q(value: str) -> str:
    return quote(value, safe="")


Link = Callable[[Arn], str | None]


def _regional(path: str | Callable[[Arn], str], fragment: Callable[[Arn], str] | str = "") -> Link:
    def link(arn: Arn) -> str | None:
        shown = path(arn) if callable(path) else path
        frag = fragment(arn) if callable(fragment) else fragment
        return console_url(arn.region, shown, frag)

    return link


def _ec2(arn: Arn) -> str | None:
    fragments = {
        "instance": f"InstanceDetails:instanceId={_q(arn.name)}",
        "volume": f"VolumeDetails:volumeId={_q(arn.name)}",
        "security-group": f"SecurityGroup:groupId={_q(arn.name)}",
        "image": f"ImageDetails:imageId={_q(arn.name)}",
        "snapshot": f"SnapshotDetails:snapshotId={_q(arn.name)}",
        "network-interface": f"NetworkInterface:networkInterfaceId={_q(arn.name)}",
    }
    fragment = fragments.get(arn.kind)
    if fragment is None and arn.kind in ("vpc", "subnet"):
        return console_url(
            arn.region, "vpcconsole/home", f"{arn.kind.title()}Details:{arn.kind}Id={_q(arn.name)}"
        )
    return console_url(arn.region, "ec2/home", fragment or "Home:")


def _ecs(arn: Arn) -> str | None:
    parts = arn.name.split("/")
    if arn.kind == "cluster":
        path = f"ecs/v2/clusters/{_q(parts[0])}"
    elif arn.kind == "service" and len(parts) >= 2:
        path = f"ecs/v2/clusters/{_q(parts[0])}/services/{_q(parts[1])}"
    elif arn.kind == "task" and len(parts) >= 2:
        path = f"ecs/v2/clusters/{_q(parts[0])}/tasks/{_q(parts[1])}"
    elif arn.kind == "task-definition":
        family, _, revision = arn.name.partition(":")
        path = f"ecs/v2/task-definitions/{_q(family)}/{_q(revision or '1')}"
    else:
        path = "ecs/v2/clusters"
    return console_url(arn.region, path)


def _rds(arn: Arn) -> str | None:
    fragments = {
        "db": f"database:id={_q(arn.name)};is-cluster=false",
        "cluster": f"database:id={_q(arn.name)};is-cluster=true",
        "snapshot": f"db-snapshot:id={_q(arn.name)}",
        "cluster-snapshot": f"db-cluster-snapshot:id={_q(arn.name)}",
        "pg": f"parameter-groups-detail:ids={_q(arn.name)}",
        "db-proxy": "proxies:",
    }
    return console_url(arn.region, "rds/home", fragments.get(arn.kind, "databases:"))


def _codebuild(arn: Arn) -> str | None:
    if arn.kind == "build":
        project = arn.name.split(":", 1)[0]
        path = f"codesuite/codebuild/projects/{_q(project)}/build/{_q(arn.name)}"
    else:
        path = f"codesuite/codebuild/projects/{_q(arn.name)}"
    return console_url(arn.region, path)


def _codedeploy(arn: Arn) -> str | None:
    app, _, group = arn.name.partition("/")
    path = f"codesuite/codedeploy/applications/{_q(app)}"
    if arn.kind == "deploymentgroup" and group:
        path += f"/deployment-groups/{_q(group)}"
    return console_url(arn.region, path)


def _sqs(arn: Arn) -> str | None:
    queue_url = f"https://sqs.{arn.region}.amazonaws.com/{arn.account}/{arn.resource}"
    return console_url(arn.region, "sqs/v3/home", f"/queues/{_q(queue_url)}")


def _autoscaling(arn: Arn) -> str | None:
    name = (
        arn.resource.rsplit("autoScalingGroupName/", 1)[-1]
        if "autoScalingGroupName/" in arn.resource
        else ""
    )
    fragment = f"AutoScalingGroupDetails:id={_q(name)}" if name else "AutoScalingGroups:"
    return console_url(arn.region, "ec2/home", fragment)


def _logs(arn: Arn) -> str | None:
    group = arn.name[:-2] if arn.name.endswith(":*") else arn.name
    return log_group_url(arn.region, group)


def log_group_url(region: str | None, group: str) -> str | None:
    """The console's fragment router wants the group name quoted twice."""
    return console_url(region, "cloudwatch/home", f"logsV2:log-groups/log-group/{_q(_q(group))}")


def _iam(arn: Arn) -> str | None:
    pages = {"role": "roles", "user": "users", "group": "groups"}
    if arn.kind in pages:
        name = arn.name.rsplit("/", 1)[-1]
        return global_console_url(arn.partition, "iam/home", f"/{pages[arn.kind]}/{_q(name)}")
    if arn.kind == "policy":
        return global_console_url(arn.partition, "iam/home", f"/policies/{_q(arn.text)}")
    return global_console_url(arn.partition, "iam/home")


def _s3(arn: Arn) -> str | None:
    bucket, _, key = arn.resource.partition("/")
    path = f"s3/buckets/{_q(bucket)}"
    if key:
        path = f"s3/object/{_q(bucket)}?prefix={_q(key)}"
    return global_console_url(arn.partition, path)


def _api_id(arn: Arn) -> str:
    """ "/restapis/a1b2c3/stages/prod" → "a1b2c3"."""
    parts = arn.resource.strip("/").split("/")
    return parts[1] if len(parts) >= 2 else ""


# service → its link; each reads the resource kinds that service's ARNs have.
_SERVICES: dict[str, Link] = {
    "lambda": _regional(
        lambda a: "lambda/home", lambda a: f"/functions/{_q(a.name.split(':')[0])}"
    ),
    "ec2": _ec2,
    "ecs": _ecs,
    "rds": _rds,
    "states": _regional(
        "states/home",
        lambda a: (
            f"/v2/executions/details/{_q(a.text)}"
            if a.kind == "execution"
            else f"/statemachines/view/{_q(a.text)}"
        ),
    ),
    "cloudformation": _regional(
        "cloudformation/home", lambda a: f"/stacks/stackinfo?stackId={_q(a.text)}"
    ),
    "codepipeline": _regional(
        lambda a: f"codesuite/codepipeline/pipelines/{_q(a.resource.split('/')[0])}/view"
    ),
    "codebuild": _codebuild,
    "codedeploy": _codedeploy,
    "sqs": _sqs,
    "sns": _regional("sns/v3/home", lambda a: f"/topic/{_q(a.text)}"),
    "dynamodb": _regional("dynamodbv2/home", lambda a: f"table?name={_q(a.name.split('/')[0])}"),
    "s3": _s3,
    "iam": _iam,
    "cloudwatch": _regional("cloudwatch/home", lambda a: f"alarmsV2:alarm/{_q(a.name)}"),
    "logs": _logs,
    "autoscaling": _autoscaling,
    "ecr": _regional(lambda a: f"ecr/repositories/private/{_q(a.account)}/{_q(a.name)}"),
    "elasticloadbalancing": _regional(
        "ec2/home",
        lambda a: (
            f"LoadBalancer:loadBalancerArn={_q(a.text)}"
            if a.kind == "loadbalancer"
            else f"TargetGroup:targetGroupArn={_q(a.text)}"
        ),
    ),
    "apigateway": _regional(lambda a: f"apigateway/main/apis/{_q(_api_id(a))}/resources"),
    "glue": _regional(
        "gluestudio/home",
        lambda a: f"/editor/job/{_q(a.name)}/details" if a.kind == "job" else "/jobs",
    ),
    "batch": _regional(
        "batch/home", lambda a: f"jobs/detail/{_q(a.name)}" if a.kind == "job" else "jobs"
    ),
    "kms": _regional("kms/home", lambda a: f"/kms/keys/{_q(a.name)}"),
    "secretsmanager": _regional("secretsmanager/secret", lambda a: ""),
    "guardduty": _regional(
        "guardduty/home",
        lambda a: f"/findings?fId={_q(a.last)}" if "/finding/" in a.resource else "/findings",
    ),
    "securityhub": _regional("securityhub/home", "/findings"),
    "ssm": _regional(
        lambda a: (
            f"systems-manager/automation/execution/{_q(a.name)}"
            if a.kind == "automation-execution"
            else "systems-manager/home"
        )
    ),
    "backup": _regional(
        "backup/home",
        lambda a: f"/backupvaults/details/{_q(a.name)}" if a.kind == "backup-vault" else "/jobs",
    ),
    "eks": _regional("eks/home", lambda a: f"/clusters/{_q(a.name.split('/')[0])}"),
    "kinesis": _regional("kinesis/home", lambda a: f"/streams/details/{_q(a.name)}"),
    "events": _regional("events/home", lambda a: f"/rules/{_q(a.name.split('/')[-1])}"),
    "acm": _regional("acm/home", lambda a: f"/certificates/{_q(a.name)}"),
    "redshift": _regional("redshiftv2/home", lambda a: f"cluster-details?cluster={_q(a.name)}"),
    "elasticache": _regional("elasticache/home", lambda a: f"/redis/{_q(a.name)}"),
    "inspector2": _regional("inspector/v2/home", "/findings"),
    "macie2": _regional("macie/home", "/findings"),
    "access-analyzer": _regional("access-analyzer/home", "/findings"),
    "config": _regional(
        "config/home",
        lambda a: (
            f"/rules/details?configRuleName={_q(a.name)}" if a.kind == "config-rule" else "/rules"
        ),
    ),
    "dms": _regional("dms/v2/home", "tasks"),
}

SERVICES = frozenset(_SERVICES)


def arn_console_url(arn: object) -> str | None:
    """The console page of the resource an ARN names; None for an unknown service, or a
    regional resource without a region code."""
    parsed = parse_arn(arn)
    if parsed is None:
        return None
    link = _SERVICES.get(parsed.service)
    return link(parsed) if link else None
