"""Settings: the one place that reads environment variables.

Every environment variable the bot reads is a field here; the README's configuration
table is checked against this class by a test. Durations are written `45s`, `15m`, `1h`, `7d`;
lists are comma-separated.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.sources.registry import DEFAULT_INGEST_FUNCTION

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> int:
    """`45s`, `15m`, `1h`, `7d` (or plain seconds) → seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration is written like 45s, 15m, 1h or 7d")
    if isinstance(value, int | float):
        seconds = int(value)
    else:
        match = _DURATION.match(str(value).lower())
        if not match:
            raise ValueError(f"{value!r} is not a duration; write it like 45s, 15m, 1h or 7d")
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


DEFAULT_CURSOR_SECRET = "change-me"
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
    data_dir: Path = Field(default=Path("./var"), description="Where the SQLite file lives")
    store: Literal["sqlite", "dynamodb"] = Field(default="sqlite", description="Event store")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level"
    )
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="JSON lines (powertools) or plain text; auto: text on a terminal, else JSON",
    )

    # AWS
    aws_dynamodb_table: str = Field(default="monitoring-local", description="DynamoDB table")
    aws_endpoint: str | None = Field(default=None, description="DynamoDB endpoint override")
    aws_region: str = Field(default="us-east-1", description="AWS region of the bot")
    aws_dynamodb_ttl: Duration = Field(default=604800, description="Event retention")
    event_bus_name: str = Field(default="default", description="Bus for log findings")
    log_groups: CommaList = Field(default_factory=list, description="Log groups to sweep")
    send_queue_url: str | None = Field(default=None, description="SQS FIFO send queue")
    ingest_dlq_url: str | None = Field(default=None, description="Ingest dead-letter queue (AWS)")
    query_string: str = Field(default=DEFAULT_QUERY, description="Logs Insights sweep query")
    log_query_timeout: Duration = Field(default=15, description="Sweep query timeout")

    # Slack
    slack_bot_token: str | None = Field(default=None, description="xoxb- bot token")
    slack_bot_token_ssm_param: str | None = Field(default=None, description="SSM name of it")
    slack_signing_secret: str | None = Field(default=None, description="Request signing secret")
    slack_signing_secret_ssm_param: str | None = Field(default=None, description="SSM name")
    slack_app_token: str | None = Field(default=None, description="xapp- token: Socket Mode")
    slack_api_url: str = Field(default="https://slack.com/api/", description="Web API base URL")
    slack_alerts_channel: str | None = Field(default=None, description="Default alert channel")
    slack_report_channel: str | None = Field(default=None, description="Daily report channel")
    slack_responders: CommaList = Field(default_factory=list, description="Who may ack/silence")

    # Access
    ingest_token: str | None = Field(default=None, description="Bearer token for /ingest")
    api_token: str | None = Field(default=None, description="Bearer token for the REST API")
    cors_allow_origin: str = Field(default="*", description="CORS origin of the REST API")

    # Behaviour
    account_names: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, description="Account names"
    )
    cursor_secret: str = Field(default=DEFAULT_CURSOR_SECRET, description="HMAC key for cursors")
    agent_ecs_cluster: str | None = Field(default=None, description="Agents' ECS cluster")
    agent_ecs_family: str | None = Field(default=None, description="Agents' task family")
    agent_stack_pattern: str = Field(default="monitoring-agent*", description="Agent stacks")
    heartbeat_url: str | None = Field(default=None, description="URL the heartbeat pings")
    heartbeat_every: Duration = Field(default=60, ge=1, description="Heartbeat interval")
    ingest_function: str = Field(
        default=DEFAULT_INGEST_FUNCTION,
        description="The bot's ingest Lambda (a glob): its failure records are replay-dlq's",
    )
    reopen_window: Duration = Field(default=3600, description="Flap window")
    storm_threshold: int = Field(default=20, ge=1, description="New alerts/min for storm mode")
    escalate_after: Duration = Field(default=900, description="Reminder delay")
    routes_file: Path | None = Field(default=None, description="Routing rules (YAML)")
    agent_stale_after: Duration = Field(default=86400, description="Quiet agent threshold")
    daily_report_cron: str = Field(default="0 1 * * *", description="Daily report schedule")
    templates_dir: Path | None = Field(default=None, description="Template overrides")

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
