"""Settings: the one place that reads environment variables.

Every environment variable the bot reads is a field here; docs/configuration.md is
generated from this class (`make docs`), and a test holds the two together. Durations
are written `45s`, `15m`, `1h`, `7d`; lists are comma-separated.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.sources.registry import DEFAULT_INGEST_FUNCTION
from bot.timeutil import parse_duration as parse_duration  # read by the settings


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


DEFAULT_CURSOR_SECRET = "change-me"
DEFAULT_STORE_TIMEOUT_S = 5  # STORE_TIMEOUT's default, for stores opened without Settings
# Lines with ERROR, newest first, with @log so that a line from a many-group query keeps
# its group, and a limit of 200, since up to 50 groups share one query.
DEFAULT_QUERY = (
    "fields @timestamp, @message, @log | filter @message like /ERROR/ "
    "| sort @timestamp desc | limit 200"
)

Duration = Annotated[int, BeforeValidator(parse_duration)]
CommaList = Annotated[list[str], NoDecode, BeforeValidator(_split_list)]


class Settings(BaseSettings):
    """All configuration, read once from the environment (and an optional .env file)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Service
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds")
    port: int = Field(default=3000, ge=1, le=65535, description="Port the HTTP server binds")
    data_dir: Path = Field(
        default=Path("./var"),
        description="Folder of the SQLite database (`monitoring.sqlite3`), with STORE=sqlite",
    )
    store: Literal["sqlite", "dynamodb"] = Field(
        default="sqlite",
        description="Where events, alerts and agents are kept: `sqlite` (embedded) or `dynamodb`",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level"
    )
    store_timeout: Duration = Field(
        default=DEFAULT_STORE_TIMEOUT_S,
        description=(
            "The deadline of one store call: SQLite waits at most this long for a lock, "
            "DynamoDB for an answer (two tries of half of it each); past it the request "
            "answers 503 with Retry-After"
        ),
    )
    health_probe_timeout: float = Field(
        default=1.5,
        gt=0,
        le=30,
        description=(
            "Seconds /healthz waits for its store probes (a write among them) and Slack's "
            'auth.test before it answers "failing": it answers within this, however stuck '
            "the store or Slack is"
        ),
    )
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description=(
            "`auto`: text when stderr is a terminal, else JSON; `json`: one JSON object per "
            "line (powertools' format), with `event_id` and `alert_id` on lines about an "
            "event or alert; `text`: plain lines"
        ),
    )

    # AWS
    aws_dynamodb_table: str = Field(
        default="monitoring-local",
        description="DynamoDB table name, with STORE=dynamodb (and for `init-db`)",
    )
    aws_endpoint: str | None = Field(
        default=None,
        description=(
            "DynamoDB endpoint, e.g. DynamoDB Local; other AWS clients use boto3's own "
            "`AWS_ENDPOINT_URL_<SERVICE>` variables"
        ),
    )
    aws_region: str = Field(default="us-east-1", description="Region of the bot's own AWS clients")
    aws_dynamodb_ttl: Duration = Field(
        default=604800, description="How long an event is kept after it is received (`expired_at`)"
    )
    event_bus_name: str = Field(
        default="default",
        description="EventBridge bus the error-log sweep publishes its findings to",
    )
    log_groups: CommaList = Field(
        default_factory=list, description="Log groups the hourly error-log sweep queries"
    )
    send_queue_url: str | None = Field(
        default=None,
        description=(
            "SQS FIFO send queue (AWS): the ingest function nudges the notify function for each "
            "channel with Slack work due"
        ),
    )
    ingest_dlq_url: str | None = Field(
        default=None,
        description=(
            "The ingest dead-letter queue (SQS URL) that `replay-dlq` replays when given no "
            "--queue-url"
        ),
    )
    query_string: str = Field(
        default=DEFAULT_QUERY,
        description=(
            "Logs Insights query of the error-log sweep; without `@log`, groups are queried one "
            "at a time"
        ),
    )
    log_query_timeout: Duration = Field(
        default=15,
        description="How long the sweep waits for one Logs Insights query before stopping it",
    )

    # Slack
    slack_bot_token: str | None = Field(
        default=None,
        description="Slack bot token (`xoxb-…`); unset, alerts are printed on the console",
    )
    slack_bot_token_ssm_param: str | None = Field(
        default=None,
        description=(
            "Name of an SSM SecureString holding the bot token, read once per cold start (Lambda)"
        ),
    )
    slack_signing_secret: str | None = Field(
        default=None,
        description="Slack request signing secret; unset, POST /slack/events answers 503",
    )
    slack_signing_secret_ssm_param: str | None = Field(
        default=None, description="Name of an SSM SecureString holding the signing secret (Lambda)"
    )
    slack_app_token: str | None = Field(
        default=None,
        description="App-level token (`xapp-…`); set, `serve` connects to Slack over Socket Mode",
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/", description="Base URL of every Slack Web API call"
    )
    slack_alerts_channel: str | None = Field(
        default=None, description="Channel id (`C…`) alerts go to when no route names another"
    )
    slack_report_channel: str | None = Field(
        default=None, description="Channel id of the daily report (unset: SLACK_ALERTS_CHANNEL)"
    )
    slack_responders: CommaList = Field(
        default_factory=list,
        description=(
            "User or usergroup ids who may acknowledge, resolve and silence (empty: everyone)"
        ),
    )

    # Access
    ingest_token: str | None = Field(
        default=None, description="Bearer token POST /ingest requires (unset: open, with a warning)"
    )
    api_token: str | None = Field(
        default=None, description="Bearer token the REST API requires (unset: open)"
    )
    cors_allow_origin: str = Field(default="*", description="CORS origin the REST API allows")
    ingest_max_events: int = Field(
        default=1000,
        ge=1,
        description=(
            "Events POST /ingest takes in one body; more is 413, nothing stored (the CLI and the "
            "Lambda triggers take any number)"
        ),
    )
    request_read_timeout: Duration = Field(
        default=10,
        description=(
            "How long the service waits for a request's whole body (/ingest, /slack/events, the "
            "REST API); a client still sending after that is answered 408"
        ),
    )

    # Behaviour
    account_names: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description=(
            "JSON object of account id → name, shown on messages and matched by routes and /events"
        ),
    )
    cursor_secret: str = Field(
        default=DEFAULT_CURSOR_SECRET,
        description="HMAC key that signs pagination cursors; set your own",
    )
    organizations_role_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$",
        description=(
            "Role (ARN) of the organisation's management or delegated administrator account "
            "that the hourly accounts job assumes to read account names and tags (unset: the "
            "bot's own credentials)"
        ),
    )
    agent_ecs_cluster: str | None = Field(
        default=None,
        description=(
            "ECS cluster of the monitoring agents (with AGENT_ECS_FAMILY: agents need a running "
            "task)"
        ),
    )
    agent_ecs_family: str | None = Field(
        default=None, description="Task family of the monitoring agents"
    )
    agent_stack_pattern: str = Field(
        default="monitoring-agent*",
        description="CloudFormation stack names (a glob) whose status changes update an agent",
    )
    heartbeat_url: str | None = Field(
        default=None,
        description=(
            "URL the long-running service GETs every HEARTBEAT_EVERY once its store answers (a "
            "dead man's switch)"
        ),
    )
    heartbeat_every: Duration = Field(
        default=60,
        ge=1,
        description=(
            "How often the long-running service beats; on AWS the heartbeat function runs every "
            "minute"
        ),
    )
    ingest_function: str = Field(
        default=DEFAULT_INGEST_FUNCTION,
        description=(
            "The bot's own ingest Lambda (a glob): its failure records are refused by ingest and "
            "left to `replay-dlq`"
        ),
    )
    reopen_window: Duration = Field(
        default=3600,
        description="An alert that fires again within this of resolving reopens its root message",
    )
    storm_threshold: int = Field(
        default=20,
        ge=1,
        description="New alerts per minute in one channel above which the channel is in a storm",
    )
    escalate_after: Duration = Field(
        default=900,
        description=(
            "An unacknowledged CRITICAL or HIGH alert gets a reminder after this, and a second "
            "after twice this, unless its route gives an escalation ladder"
        ),
    )
    routes_file: Path | None = Field(
        default=None,
        description=(
            "YAML file of routing and noise rules (unset: everything to SLACK_ALERTS_CHANNEL)"
        ),
    )
    agent_stale_after: Duration = Field(
        default=86400, description="An agent not heard from for this long is stale"
    )
    daily_report_cron: str = Field(
        default="0 1 * * *",
        description="When the daily report runs: a five-field crontab line, in UTC",
    )
    templates_dir: Path | None = Field(
        default=None, description="Folder of Jinja2 templates that override the bundled ones"
    )

    # Enrichment: what an alert learns after its first post (docs/alerts.md)
    enrich_graph: bool = Field(
        default=True,
        description="Post the graph of a CloudWatch alarm's metrics in its thread",
    )
    enrich_logs: bool = Field(
        default=True,
        description="Post the top error lines of an alarm's log groups in its thread",
    )
    enrich_changes: bool = Field(
        default=True,
        description="Show on an alert the changes in its account and region just before it",
    )
    enrich_runbook: bool = Field(
        default=True,
        description=(
            "Offer as an alert's Runbook button the link its alarm's `runbook` or `playbook` "
            "tag holds (ListTagsForResource), when its route and description give none"
        ),
    )
    enrich_log_max_bytes: int = Field(
        default=1_000_000_000,
        ge=1,
        description=(
            "A log query is stopped once it has scanned this many bytes (Logs Insights "
            "bills by bytes scanned)"
        ),
    )
    enrich_log_timeout: Duration = Field(
        default=20, description="How long an alert's log query may run before it is stopped"
    )
    enrich_read_role: str | None = Field(
        default=None,
        pattern=r"^[\w+=,.@-]{1,64}$",
        description=(
            "Name of the read role the enrichments assume in a member account "
            "(`arn:aws:iam::<account>:role/<name>`, deploy/member-account-read.yml); unset, "
            "alerts of other accounts get only the changes before them (the bot's own store)"
        ),
    )
    enrich_queue_url: str | None = Field(
        default=None,
        description=(
            "SQS queue (AWS) of alerts to enrich, read by the enrich function; unset, the "
            "service enriches them itself"
        ),
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("account_names", mode="before")
    @classmethod
    def _parse_account_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                value = json.loads(value)
            except json.JSONDecodeError as err:
                raise ValueError(f"ACCOUNT_NAMES must be a JSON object: {err.msg}") from err
        if not isinstance(value, dict):
            raise ValueError('ACCOUNT_NAMES must be a JSON object, like {"123456789012": "prod"}')
        return {str(k): str(v) for k, v in value.items()}

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "monitoring.sqlite3"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use (a Lambda reads them once per cold start)."""
    return Settings()
