"""Log lines for every entry point (the service, the CLI, each Lambda): one handler on the
root logger, so core, adapters, Bolt and uvicorn all write the same way.

JSON is powertools' format, one object per line, with `event_id` and `alert_id` from
`bot.log_context` on every line written while an event or alert is handled: at 3 a.m.
one filter on an alert id gives its whole story, across the ingest, the Slack calls and
the retries. `text` is for a terminal, and `auto` (the default) chooses it when the
stream is one."""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from bot.log_context import FIELDS, ContextFilter

SERVICE_NAME = "aws-monitoring-bot"
QUIET = {"apscheduler": logging.WARNING}  # one line per job run is noise


class TextFormatter(logging.Formatter):
    """Plain lines, ending with the ids the line is about."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [f"{n}={v}" for n in FIELDS if (v := getattr(record, n, None)) is not None]
        return f"{line} [{' '.join(ids)}]" if ids else line


class _JsonFields(logging.Filter):
    """The logger's name as a key (powertools keeps only function:line), and without
    uvicorn's terminal-coloured copy of the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.logger = record.name
        record.__dict__.pop("color_message", None)
        return True


def resolve_format(fmt: Literal["auto", "json", "text"], stream: TextIO) -> str:
    """`auto`: text for a person at a terminal, JSON for a log collector (a pipe, a file,
    Lambda's stderr)."""
    if fmt != "auto":
        return fmt
    try:
        return "text" if stream.isatty() else "json"
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return "json"


def setup_logging(
    level: str, fmt: Literal["auto", "json", "text"] = "auto", stream: TextIO | None = None
) -> logging.Handler:
    """Route every logger through one handler on stderr (stdout stays the CLI's output)."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    if resolve_format(fmt, stream) == "json":
        handler.setFormatter(LambdaPowertoolsFormatter(service=SERVICE_NAME))
        handler.addFilter(_JsonFields())
    else:
        handler.setFormatter(TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    return handler
