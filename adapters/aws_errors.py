"""What a failed AWS call means to the bot, in one place for every adapter that reads
AWS: a call we may not make (or that is not there, or made with no credentials) is
AccessDeniedError, so that what needed it goes without; a missing resource is
NotFoundError; anything else (throttling, a 5xx, a connection that failed, a request AWS
refused) is UnprocessedError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)

from bot.errors import AccessDeniedError, MonitoringException, NotFoundError, UnprocessedError

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnknownOperationException",
        "InvalidAction",
        "AWSOrganizationsNotInUseException",  # Organizations where there is no organisation
    }
)


def place(account: str | None, region: str | None) -> str:
    """ "account 123456789012 in eu-west-1", for messages."""
    return f"account {account or '(own)'} in {region or '(default region)'}"


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def is_denied(err: ClientError) -> bool:
    """AWS's "you may not": a denied code, or a message saying "not authorized"."""
    message = str(err.response.get("Error", {}).get("Message", ""))
    return error_code(err) in DENIED_CODES or "not authorized" in message.lower()


def is_not_found(err: ClientError) -> bool:
    """ResourceNotFoundException and its kin (ECS's ClusterNotFoundException, ...)."""
    code = error_code(err)
    return code.startswith("ResourceNotFound") or code.endswith(("NotFound", "NotFoundException"))


def bot_error(err: ClientError | BotoCoreError, doing: str) -> MonitoringException:
    """The bot's error for `err`, its message saying what was being done."""
    message = f"{doing}: {err}"
    if isinstance(err, NoCredentialsError | PartialCredentialsError):
        return AccessDeniedError(message)  # a bot run without AWS credentials reads nothing
    if isinstance(err, ClientError):
        if is_denied(err):
            return AccessDeniedError(message)
        if is_not_found(err):
            return NotFoundError(message)
    return UnprocessedError(message)


@contextmanager
def aws_errors(doing: str) -> Iterator[None]:
    """Raise botocore's errors in the block as the bot's (bot_error)."""
    try:
        yield
    except (ClientError, BotoCoreError) as err:
        raise bot_error(err, doing) from err
