"""The Chat port on a terminal: what the bot would post, printed readably.

Used when SLACK_BOT_TOKEN is unset, so that `make run` shows a newcomer each alert at
once, with a Block Kit Builder link that previews the real message.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from adapters.clock import SystemClock
from adapters.thread_lines import ThreadLines
from blocks.view import MessageView
from bot.models import Alert, LogFindings, MessageRef, Signal, StormDigest
from bot.ports import Clock

if TYPE_CHECKING:
    from bot.models import DailyReport, ReportPart
    from bot.models.home import Home

BUILDER_URL = "https://app.slack.com/block-kit-builder/#"


def preview_url(message: dict[str, Any]) -> str:
    """A Block Kit Builder link that renders a message's blocks and attachments."""
    shown = {k: message[k] for k in ("blocks", "attachments") if k in message}
    return BUILDER_URL + quote(json.dumps(shown, separators=(",", ":")), safe="")


class ConsoleChat(ThreadLines):
    """Prints every message; remembers which ids it "posted" for find_alert_message."""

    # A terminal has no rate limit: every alert is shown at once, none waits on Slack's
    # budgets (the services read this flag when they wire delivery).
    budgeted = False

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        templates_dir: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._out = out
        self._view = MessageView(clock or SystemClock(), templates_dir)
        self._ts = itertools.count(1)
        self._posted: dict[tuple[str, str], MessageRef] = {}
        self._lock = threading.Lock()

    def check_auth(self) -> None:
        """Nothing to check: the console needs no token."""

    def _print(self, text: str) -> None:
        out = self._out or sys.stderr  # stdout stays clean for `ingest --json`
        with self._lock:
            print(text, file=out, flush=True)

    def _ref(self, channel: str) -> MessageRef:
        return MessageRef(channel=channel, ts=f"{next(self._ts)}.000000")

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
        text = content["text"]
        ref = self._ref(channel)
        where = f"{channel} (thread {thread_ts})" if thread_ts else channel
        self._print(
            f"── {where} · {signal.severity.value} {signal.state.value} · id {message_id}\n"
            f"{text}\n"
            + "".join(f"  {f.label}: {f.value}\n" for f in signal.fields[:10])
            + (f"  console: {signal.console_url}\n" if signal.console_url else "")
            + f"  preview: {preview_url(content)}"
        )
        self._posted[(channel, message_id)] = ref
        return ref

    def update_alert(self, ref: MessageRef, signal: Signal, alert: Alert) -> None:
        _, text = self._view.render(signal, alert, controls=True)
        self._print(
            f"── {ref.channel} · updated {ref.ts}: {alert.status.value}, "
            f"seen {alert.count}×\n{text}"
        )

    def post_storm(
        self, channel: str, storm: Alert, digest: StormDigest, *, message_id: str
    ) -> MessageRef:
        content = self._view.storm_message(storm, digest)
        ref = self._ref(channel)
        self._print(
            f"── {channel} · STORM · id {message_id}\n{content['text']}\n"
            f"  preview: {preview_url(content)}"
        )
        self._posted[(channel, message_id)] = ref
        return ref

    def update_storm(self, ref: MessageRef, storm: Alert, digest: StormDigest) -> None:
        text = self._view.storm_message(storm, digest)["text"]
        over = " (over)" if storm.resolved_at is not None else ""
        self._print(f"── {ref.channel} · storm updated {ref.ts}{over}\n{text}")

    def post_report(self, channel: str, report: DailyReport, *, message_id: str) -> MessageRef:
        return self._show(channel, self._view.report_message(report), message_id)

    def post_report_part(self, ref: MessageRef, part: ReportPart, *, message_id: str) -> MessageRef:
        content = self._view.report_part_message(part)
        return self._show(ref.channel, content, message_id, thread_ts=ref.ts)

    def post_log_findings(
        self, ref: MessageRef, findings: LogFindings, *, message_id: str
    ) -> MessageRef:
        content = self._view.log_findings_message(findings)
        return self._show(ref.channel, content, message_id, thread_ts=ref.ts)

    def _show(
        self,
        channel: str,
        content: dict[str, Any],
        message_id: str,
        *,
        thread_ts: str | None = None,
    ) -> MessageRef:
        """Print a rendered message's blocks as text, with its Block Kit Builder link."""
        lines = [
            text.get("text", "")
            for block in content["blocks"]
            for text in [block.get("text") or {}, *block.get("fields", [])]
        ]
        ref = self._ref(channel)
        where = f"{channel} (thread {thread_ts})" if thread_ts else channel
        body = "\n".join(line for line in lines if line)
        self._print(f"── {where} · id {message_id}\n{body}\n  preview: {preview_url(content)}")
        self._posted[(channel, message_id)] = ref
        return ref

    def post_direct(
        self, user: str, ref: MessageRef, alert: Alert, waited: int, *, message_id: str, since: int
    ) -> MessageRef:
        return self.post_text(f"DM {user}", self._view.direct(alert, None, waited))

    def usergroup_members(self, group: str) -> frozenset[str]:
        """A terminal knows no usergroups: the group's id stands for its members."""
        return frozenset()

    def post_text(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        message_id: str | None = None,
    ) -> MessageRef:
        self._print(f"── {channel}{f' (thread {thread_ts})' if thread_ts else ''}\n{text}")
        ref = self._ref(channel)
        if message_id:
            self._posted[(channel, message_id)] = ref
        return ref

    def upload_file(
        self, ref: MessageRef, filename: str, content: bytes, *, title: str, alt_text: str
    ) -> None:
        """Say what would be shared: a terminal shows no image, so no bytes are printed."""
        self._print(
            f"── {ref.channel} (thread {ref.ts})\n"
            f"would share {filename} ({len(content):,} bytes): {title}"
        )

    def post_ephemeral(self, channel: str, user: str, text: str) -> None:
        self._print(f"── {channel} (only {user} sees this)\n{text}")

    def permalink(self, ref: MessageRef) -> str:
        """A terminal has no links: the message's place, as Slack's archive link would name it."""
        return f"https://slack.com/archives/{ref.channel}/p{ref.ts.replace('.', '')}"

    def publish_home(self, home: Home) -> None:
        """A terminal has no Home tab: say what it would show."""
        self._print(
            f"── home of {home.user}\n{len(home.open_alerts)} open alerts, "
            f"{len(home.mine)} acknowledged by them, {len(home.silences)} silences, "
            f"{len(home.stale_agents)} stale agents"
        )

    def find_alert_message(
        self, channel: str, message_id: str, oldest: int, thread_ts: str | None = None
    ) -> MessageRef | None:
        return self._posted.get((channel, message_id))

    # Incident channels: the terminal says what Slack would do; the channel is its name.

    def create_channel(self, name: str) -> str:
        self._print(f"── would create channel #{name}")
        return name

    def invite(self, channel: str, users: list[str]) -> None:
        self._print(f"── {channel}: would invite {', '.join(users)}")

    def pin(self, ref: MessageRef) -> None:
        self._print(f"── {ref.channel}: would pin {ref.ts}")

    def archive(self, channel: str) -> None:
        self._print(f"── would archive {channel}")
