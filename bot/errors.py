"""The exception hierarchy, each error with the HTTP status the driving side answers."""

from __future__ import annotations


class MonitoringException(Exception):  # noqa: N818 (a public name, kept as it is)
    """Base of every error the bot raises on purpose."""

    status_code = 500


class ValidationError(MonitoringException):
    """Input that can never be processed as given (HTTP 400)."""

    status_code = 400


class TooManyEventsError(MonitoringException):
    """A body holding more events than a caller takes at once (HTTP 413): refused whole,
    before any of it is read, so that its size cannot buy the sender our time."""

    status_code = 413


class InvalidCursorError(ValidationError):
    """A pagination cursor that is malformed, or was not signed by us."""


class NotFoundError(MonitoringException):
    """Resource not found (HTTP 404)."""

    status_code = 404


class ConflictError(MonitoringException):
    """Resource conflict (HTTP 409): a duplicate create."""

    status_code = 409


class StaleVersionError(ConflictError):
    """An optimistic write lost the race: the stored version moved on."""


class AlreadyAppliedError(ConflictError):
    """An occurrence was applied to this alert before: the write that would apply it
    again was refused, and the alert left as it was."""


class UnprocessedError(MonitoringException):
    """Unprocessable entity: a store answered, but could not do the work."""

    status_code = 422


class InternalServerError(MonitoringException):
    """An unexpected failure behind a port."""

    status_code = 500


class RequestTimeoutError(MonitoringException):
    """A polled operation (a Logs Insights query) did not finish in time (HTTP 408)."""

    status_code = 408


class AccessDeniedError(MonitoringException):
    """An optional API we may not call, or that is not there: AWS's AccessDenied or
    UnknownOperation, Slack's missing_scope. What needed it goes without (HTTP 403)."""

    status_code = 403


class ChatError(MonitoringException):
    """Slack (or the chat in use) did not do what was asked."""

    status_code = 502


class ChatUnavailableError(ChatError):
    """No clear answer: Slack was down, rate-limited us past our retries, or the connection
    dropped. A post's outcome is unknown: look for it before posting again.

    `retry_after` is Slack's Retry-After, in seconds, when it said one (a 429)."""

    status_code = 503

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChatRejectedError(ChatError):
    """Slack refused the request (channel_not_found, invalid_blocks…): sending the same
    request again can never succeed."""


class NameTakenError(ChatRejectedError):
    """A channel could not be made under that name: one has it already (Slack's
    `name_taken`, archived channels included). Another name may work."""
