"""Slack's Web API calls, counted: every call of a WebClient goes through `api_call`, so
one subclass counts them all, by method and result; the rate-limit retry handler counts
each HTTP 429, including the ones it retries."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse

from bot import metrics
from bot.metrics import Metrics

UNREACHABLE = "unreachable"  # no answer from Slack (a dropped connection, a timeout)


class CountedWebClient(WebClient):
    """A WebClient that counts its calls into `metrics`: result "ok", Slack's error code
    ("ratelimited" once the retries are spent), or "unreachable"."""

    def __init__(self, *args: Any, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as err:
            code = err.response.get("error") if isinstance(err.response.data, dict) else None
            self._count(api_method, str(code or f"http_{err.response.status_code}"))
            raise
        except Exception:
            self._count(api_method, UNREACHABLE)
            raise
        self._count(api_method, "ok")
        assert isinstance(response, SlackResponse)
        return response

    def _count(self, method: str, result: str) -> None:
        self.metrics.inc(metrics.SLACK_CALLS, method=method, result=result)


class CountedRateLimitHandler(RateLimitErrorRetryHandler):
    """Slack's 429s counted by method, whether they are retried or not."""

    def __init__(self, metrics: Metrics, max_retry_count: int = 1) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.metrics = metrics

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None and response.status_code == 429:
            method = request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            self.metrics.inc(metrics.SLACK_RATE_LIMITED, method=method)
        return super().can_retry(state=state, request=request, response=response, error=error)
