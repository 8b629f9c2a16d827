"""The Chat port on Slack's Web API (slack_sdk WebClient, base URL from SLACK_API_URL).

Retries differ by method, because a retry must never double a message:
- chat.postMessage retries only a 429 (Slack applied nothing). A 5xx or a dropped
  connection leaves the outcome unknown, so it surfaces as ChatUnavailableError and the
  caller looks for the message (its metadata carries the alert id) before posting again.
- every other method is idempotent or harmless to repeat, so it also retries 5xx and
  connection errors.
- a file upload (files_upload_v2: files.getUploadURLExternal, the POST of the bytes to the
  URL it returns, files.completeUploadExternal) goes like chat.postMessage: its last step
  shares the file in the thread, and Slack takes it once only, so a lost answer must
  surface as unknown rather than come back as a refusal of the retry.
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)

from adapters.clock import SystemClock
from adapters.slack_metrics import CountedRateLimitHandler, CountedWebClient
from adapters.slack_usergroups import Usergroups
from adapters.thread_lines import ThreadLines
from blocks.slack_text import FALLBACK_TEXT, SECTION_TEXT, mrkdwn, safe_url, truncate
from blocks.view import MessageView
from bot.errors import (
    AccessDeniedError,
    ChatRejectedError,
    ChatUnavailableError,
    NameTakenError,
)
from bot.metrics import Metrics, NoMetrics
from bot.models import Alert, LogFindings, MessageRef, Signal, StormDigest
from bot.ports import Clock

if TYPE_CHECKING:
    from bot.models import DailyReport, ReportPart
    from bot.models.home import Home, ReportLink

log = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "aws_monitoring_alert"
PROBE_TIMEOUT_S = 5  # auth.test for /healthz: load balancers wait a few seconds at most
HISTORY_PAGES = 5  # pages of 200 messages searched for a post of unknown outcome
# Slack's errors that say "not now" rather than "never".
_TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# Slack's errors that say "the app may not": an optional feature goes without, the caller
# warns once (an upload without files:write).
_DENIED = frozenset(
    {
        "missing_scope",
        "not_allowed_token_type",
        "no_permission",
        "access_denied",
        "team_access_not_granted",
        "ekm_access_denied",
    }
)


class SlackChat(ThreadLines):
    """Chat on Slack, with the retry policy above."""

    def __init__(
        self,
        token: str,
        base_url: str,
        *,
        templates_dir: str | None = None,
        clock: Clock | None = None,
        timeout: int = 10,
        max_retries: int = 3,
        metrics: Metrics | None = None,
    ) -> None:
        counted = metrics or NoMetrics()
        rate = CountedRateLimitHandler(counted, max_retry_count=max_retries)
        self._post_client = CountedWebClient(
            token=token, base_url=base_url, timeout=timeout, retry_handlers=[rate], metrics=counted
        )
        self._client = CountedWebClient(
            metrics=counted,
            token=token,
            base_url=base_url,
            timeout=timeout,
            retry_handlers=[
                rate,
                ServerErrorRetryHandler(max_retry_count=max_retries),
                ConnectionErrorRetryHandler(max_retry_count=max_retries),
            ],
        )
        # /healthz asks through its own client: no retries and a short timeout, so that a
        # load balancer's probe gets an answer before it gives up, not after retries.
        self._probe_client = CountedWebClient(
            token=token,
            base_url=base_url,
            timeout=min(timeout, PROBE_TIMEOUT_S),
            retry_handlers=[CountedRateLimitHandler(counted, max_retry_count=0)],
            metrics=counted,
        )
        self._view = MessageView(clock or SystemClock(), templates_dir)
        self._usergroups = Usergroups()
        self._permalinks: dict[tuple[str, str], str | None] = {}  # the daily reports'

    def check_auth(self) -> None:
        """auth.test: a revoked or wrong token is ChatRejectedError (`invalid_auth`…)."""
        _call(self._probe_client.auth_test)

    def post_alert(
        self,
        channel: str,
        signal: Signal,
        alert: Alert | None,
        *,
        message_id: str,
        controls: bool,
        thread_ts: str | None = None,
    ) -> MessageRef:
        content = self._view.message(signal, alert, controls=controls)
        return self._post(
            channel, content, message_id, fingerprint=signal.fingerprint, thread_ts=thread_ts
        )

    def update_alert(self, ref: MessageRef, signal: Signal, alert: Alert) -> None:
        content = self._view.message(signal, alert, controls=True)
        _call(self._client.chat_update, channel=ref.channel, ts=ref.ts, **content)

    def post_storm(
        self, channel: str, storm: Alert, digest: StormDigest, *, message_id: str
    ) -> MessageRef:
        content = self._view.storm_message(storm, digest)
        return self._post(channel, content, message_id, fingerprint=storm.fingerprint)

    def update_storm(self, ref: MessageRef, storm: Alert, digest: StormDigest) -> None:
        content = self._view.storm_message(storm, digest)
        _call(self._client.chat_update, channel=ref.channel, ts=ref.ts, **content)

    def post_report(self, channel: str, report: DailyReport, *, message_id: str) -> MessageRef:
        return self._post(channel, self._view.report_message(report), message_id)

    def post_report_part(self, ref: MessageRef, part: ReportPart, *, message_id: str) -> MessageRef:
        content = self._view.report_part_message(part)
        return self._post(ref.channel, content, message_id, thread_ts=ref.ts)

    def post_log_findings(
        self, ref: MessageRef, findings: LogFindings, *, message_id: str
    ) -> MessageRef:
        content = self._view.log_findings_message(findings)
        return self._post(ref.channel, content, message_id, thread_ts=ref.ts)

    def _post(
        self,
        channel: str,
        content: dict[str, Any],
        message_id: str | None,
        *,
        fingerprint: str = "",
        thread_ts: str | None = None,
    ) -> MessageRef:
        """chat.postMessage of rendered content, with `message_id` (if any) in its metadata."""
        response = _call(
            self._post_client.chat_postMessage,
            channel=channel,
            **content,
            metadata=_metadata(message_id, fingerprint) if message_id else None,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        return MessageRef(channel=response["channel"], ts=response["ts"])

    def post_direct(
        self, user: str, ref: MessageRef, alert: Alert, waited: int, *, message_id: str, since: int
    ) -> MessageRef:
        """conversations.open (needs im:write) for the DM's channel; unless its history
        (im:history) already holds a message carrying `message_id`, the message, with the
        alert's permalink when Slack gives one."""
        opened = _call(self._client.conversations_open, users=user)
        channel = opened["channel"]["id"]
        sent = self._sent_before(channel, message_id, since)
        if sent is not None:
            return sent
        try:
            permalink: str | None = self.permalink(ref)
        except (ChatRejectedError, ChatUnavailableError):
            permalink = None  # the message without its link is still worth sending
        text = self._view.direct(alert, permalink, waited)
        return self.post_text(channel, text, message_id=message_id)

    def _sent_before(self, channel: str, message_id: str, since: int) -> MessageRef | None:
        """The DM carrying `message_id`, if one went. An app installed without im:history
        cannot look: it sends, as before it could."""
        try:
            return self.find_alert_message(channel, message_id, since)
        except ChatRejectedError as err:
            log.warning("could not read DM %s back (%s); sending without looking", channel, err)
            return None

    def usergroup_members(self, group: str) -> frozenset[str]:
        members: frozenset[str] = _call(self._usergroups.members, client=self._client, group=group)
        return members

    def post_text(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        message_id: str | None = None,
    ) -> MessageRef:
        content = {
            "text": truncate(text, FALLBACK_TEXT),
            "blocks": [{"type": "section", "text": mrkdwn(text, SECTION_TEXT)}],
        }
        return self._post(channel, content, message_id, thread_ts=thread_ts)

    def upload_file(
        self, ref: MessageRef, filename: str, content: bytes, *, title: str, alt_text: str
    ) -> None:
        _call(
            self._post_client.files_upload_v2,
            denied=_DENIED,
            channel=ref.channel,
            thread_ts=ref.ts or None,
            filename=filename,
            content=content,
            title=title,
            alt_txt=alt_text,
        )

    def post_ephemeral(self, channel: str, user: str, text: str) -> None:
        _call(
            self._client.chat_postEphemeral,
            channel=channel,
            user=user,
            text=truncate(text, FALLBACK_TEXT),
        )

    def permalink(self, ref: MessageRef) -> str:
        answered = _call(self._client.chat_getPermalink, channel=ref.channel, message_ts=ref.ts)
        link = safe_url(answered.get("permalink"))
        if link is None:
            raise ChatRejectedError(f"chat.getPermalink gave no usable link for {ref.ts}")
        return link

    def publish_home(self, home: Home) -> None:
        from blocks.home import home_view  # the Home tab's: not on an ingest's path

        view = home_view(home, self._report_url(home.last_report))
        _call(self._client.views_publish, user_id=home.user, view=view)

    def _report_url(self, report: ReportLink | None) -> str | None:
        """The report summary's permalink (chat.getPermalink), read once per process;
        None when Slack gives none (the home then names its channel)."""
        if report is None:
            return None
        key = (report.channel, report.ts)
        if key not in self._permalinks:
            try:
                self._permalinks[key] = self.permalink(MessageRef(channel=key[0], ts=key[1]))
            except ChatRejectedError:  # the message is gone: remembered, not asked again
                self._permalinks[key] = None
        return self._permalinks[key]

    def find_alert_message(
        self, channel: str, message_id: str, oldest: int, thread_ts: str | None = None
    ) -> MessageRef | None:
        # History leaves thread replies out: a threaded post is looked for in its thread.
        method = (
            self._client.conversations_replies if thread_ts else self._client.conversations_history
        )
        cursor = None
        for _ in range(HISTORY_PAGES):
            response = _call(
                method,
                channel=channel,
                ts=thread_ts,
                oldest=str(oldest),
                include_all_metadata=True,
                limit=200,
                cursor=cursor,
            )
            for message in response.get("messages", []):
                if _carries(message, message_id):
                    return MessageRef(channel=channel, ts=message["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    def create_channel(self, name: str) -> str:
        # Like a post, a create is not repeated after a lost answer: the retry would meet
        # the channel the first one made, as name_taken.
        try:
            response = _call(self._post_client.conversations_create, name=name, is_private=False)
        except ChatRejectedError as err:
            if _error_of(err) == "name_taken":
                raise NameTakenError(f"Slack conversations_create: name_taken ({name})") from err
            raise
        return str(response["channel"]["id"])

    def invite(self, channel: str, users: list[str]) -> None:
        """One call for them all; when Slack refuses it for one of them (already in the
        channel, not found), each is invited alone, and those refused are logged."""
        batches = [users] if len(users) > 1 else []
        for batch in [*batches, *([user] for user in users)]:
            try:
                _call(self._client.conversations_invite, channel=channel, users=",".join(batch))
            except ChatRejectedError as err:
                if _error_of(err) not in _PER_USER:
                    raise
                log.info("%s not invited to %s: %s", batch, channel, _error_of(err))
                continue
            if batch is users:
                return

    def pin(self, ref: MessageRef) -> None:
        try:
            _call(self._client.pins_add, channel=ref.channel, timestamp=ref.ts)
        except ChatRejectedError as err:
            if _error_of(err) != "already_pinned":
                raise

    def archive(self, channel: str) -> None:
        try:
            _call(self._client.conversations_archive, channel=channel)
        except ChatRejectedError as err:
            if _error_of(err) != "already_archived":
                raise


# conversations.invite's refusals that concern one user, not the call.
_PER_USER = frozenset({"already_in_channel", "user_not_found", "cant_invite_self"})


def _error_of(err: ChatRejectedError) -> str:
    """Slack's error code behind a refusal (its cause), or "" when it has none."""
    cause = err.__cause__
    if isinstance(cause, SlackApiError) and cause.response is not None:
        return str(cause.response.get("error", ""))
    return ""


def _metadata(message_id: str, fingerprint: str) -> dict[str, Any]:
    """What every message carries, so that a post whose answer was lost can be found."""
    return {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {"alert_id": message_id, "fingerprint": fingerprint},
    }


def _carries(message: dict[str, Any], message_id: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == METADATA_EVENT_TYPE and payload.get("alert_id") == (
        message_id
    )


def _seconds(value: Any) -> float | None:
    """A Retry-After header's seconds; None when absent or not a number."""
    try:
        return max(float(value), 0.0) if value is not None else None
    except (TypeError, ValueError):
        return None


def _text_of(err: urllib.error.HTTPError) -> str:
    """The start of an HTTP error's body (why Slack's file service refused), else its reason."""
    try:
        return err.read(200).decode("utf-8", "replace").strip() or str(err.reason)
    except (OSError, http.client.HTTPException):
        return str(err.reason)


def _call(method: Any, /, *, denied: frozenset[str] = frozenset(), **params: Any) -> Any:
    """One Web API call, its failures turned into the port's two kinds of ChatError, or
    AccessDeniedError for an error in `denied` (what the app may not do)."""
    name = getattr(method, "__name__", "slack call")
    try:
        return method(**{k: v for k, v in params.items() if v is not None})
    except SlackApiError as err:
        error = str(err.response.get("error", "")) if err.response is not None else ""
        status = err.response.status_code if err.response is not None else 0
        if error in denied:
            needed = err.response.get("needed") if err.response is not None else None
            log.debug("slack %s not allowed: %s %s", name, error, needed or "")
            raise AccessDeniedError(
                f"Slack {name}: {error}" + (f" (needs {needed})" if needed else "")
            ) from err
        if status == 429 or status >= 500 or error in _TRANSIENT:
            log.warning("slack %s unavailable (%s %s)", name, status, error)
            headers = (err.response.headers or {}) if err.response is not None else {}
            after = {str(k).lower(): v for k, v in headers.items()}.get("retry-after")
            raise ChatUnavailableError(
                f"Slack {name}: {error or status}", retry_after=_seconds(after)
            ) from err
        log.error("slack %s refused: %s", name, error)
        raise ChatRejectedError(f"Slack {name}: {error}") from err
    except urllib.error.HTTPError as err:  # an upload URL's answer (slack_sdk reads the API's)
        if err.code == 429 or err.code >= 500:
            log.warning("slack %s unavailable (%s)", name, err.code)
            after = _seconds(err.headers.get("Retry-After")) if err.headers else None
            raise ChatUnavailableError(f"Slack {name}: upload {err.code}", after) from err
        detail = _text_of(err)
        log.error("slack %s refused: upload %s %s", name, err.code, detail)
        raise ChatRejectedError(f"Slack {name}: upload {err.code} {detail}") from err
    except SlackRequestError as err:  # an upload answered other than 200, or bad arguments
        log.error("slack %s refused: %s", name, err)
        raise ChatRejectedError(f"Slack {name}: {err}") from err
    except (OSError, http.client.HTTPException) as err:  # URLError, resets, timeouts, cut bodies
        log.warning("slack %s: no answer (%s)", name, err)
        raise ChatUnavailableError(f"Slack {name}: no answer ({err})") from err


__all__ = ["METADATA_EVENT_TYPE", "SlackChat"]
