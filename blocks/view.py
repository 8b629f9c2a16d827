"""How a chat draws messages: every Chat adapter renders alerts and storm summaries
through one `MessageView`, so that they all look the same and keep the same limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blocks.alert import alert_blocks, alert_color
from blocks.silences import note_text
from blocks.slack_text import (
    FALLBACK_TEXT,
    escape,
    link,
    mrkdwn,
    one_line,
    route_mention,
    truncate,
)
from blocks.storm import storm_blocks, storm_color
from bot.models import Alert, LogFindings, Notify, Signal, SilenceNote, StormDigest
from bot.ports import Clock
from bot.timeutil import duration_text

if TYPE_CHECKING:
    from bot.models import DailyReport, ReportPart


def coloured(
    blocks: list[dict[str, Any]], text: str, color: str, ping: str | None = None
) -> dict[str, Any]:
    """chat.postMessage / chat.update content: the header on top (with the route's
    mention, which must ping), and the rest in an attachment whose colour bar says the
    state (Block Kit itself has no colour)."""
    top = blocks[:1]
    if ping:
        top.append({"type": "section", "text": mrkdwn(ping)})
    return {
        # The notification, which pings: cut again, the ping comes on top of a fitted text.
        "text": truncate(f"{ping} {text}", FALLBACK_TEXT) if ping else text,
        "blocks": top,
        "attachments": [{"color": color, "fallback": text, "blocks": blocks[1:]}],
    }


@dataclass(frozen=True)
class MessageView:
    """Template overrides, and the clock that says whether a silence still holds."""

    clock: Clock
    templates_dir: str | Path | None = None

    def render(
        self, signal: Signal, alert: Alert | None, *, controls: bool
    ) -> tuple[list[dict[str, Any]], str]:
        return alert_blocks(
            signal,
            alert,
            controls=controls,
            templates_dir=self.templates_dir,
            now=int(self.clock.now()),
        )

    def message(self, signal: Signal, alert: Alert | None, *, controls: bool) -> dict[str, Any]:
        """An alert or notification: green once resolved, the severity's colour while firing."""
        blocks, text = self.render(signal, alert, controls=controls)
        ping = None
        if alert is not None and alert.mention and not alert.held:  # held: pings no one
            ping = route_mention(alert.mention)
        return coloured(blocks, text, alert_color(signal, alert), ping)

    def reminder(self, alert: Alert, waited: int) -> str:
        """A reminder reply: how long the alert has gone unacknowledged, and whom it pings."""
        ping = f" {route_mention(alert.mention)}" if alert.mention else ""
        return f":alarm_clock: Still unacknowledged after {duration_text(waited)}.{ping}"

    def silence_note(self, note: SilenceNote) -> str:
        """A line in an alert's thread about a silence: made, ending soon, ended."""
        return note_text(note)

    def escalation(self, alert: Alert, notify: Notify, users: Sequence[str], waited: int) -> str:
        """A step of an alert's ladder, a reply in its thread: whom it pinged, or DMed."""
        after = duration_text(waited)
        who = " ".join(route_mention(user) for user in users)
        if notify == "here":
            return f":rotating_light: <!here> Still unacknowledged after {after}."
        if notify == "dm":
            told = f"DMed {who}" if who else "Nobody was DMed (nobody on call, or Slack refused)"
            return f":incoming_envelope: {told}: unacknowledged after {after}."
        if not who and alert.mention:
            who = f"nobody is on call; {route_mention(alert.mention)}"
        return f":alarm_clock: Still unacknowledged after {after}. On call: {who or 'nobody'}."

    def direct(self, alert: Alert, permalink: str | None, waited: int) -> str:
        """A direct message to someone on call: the alert, how long it waited, a link."""
        title = escape(truncate(one_line(alert.title) or alert.id, 200))
        where = link(permalink, "Open the alert") if permalink else "See the alerts channel."
        return (
            f":rotating_light: You are on call: *{title}* has gone unacknowledged for "
            f"{duration_text(waited)}. {where}"
        )

    def storm_message(self, storm: Alert, digest: StormDigest) -> dict[str, Any]:
        blocks, text = storm_blocks(storm, digest, now=int(self.clock.now()))
        return coloured(blocks, text, storm_color(digest))

    def report_message(self, report: DailyReport) -> dict[str, Any]:
        """A daily report's summary: plain blocks, no colour (it is not an alert). The
        report's views are imported by the first report, never by an alert's cold start."""
        from blocks.report import report_blocks

        blocks, text = report_blocks(report, now=int(self.clock.now()))
        return {"text": text, "blocks": blocks}

    def report_part_message(self, part: ReportPart) -> dict[str, Any]:
        from blocks.report import part_blocks

        blocks, text = part_blocks(part)
        return {"text": text, "blocks": blocks}

    def log_findings_message(self, findings: LogFindings) -> dict[str, Any]:
        """An alert's error lines, a reply in its thread."""
        from blocks.enrichment import log_findings_blocks

        blocks, text = log_findings_blocks(findings)
        return {"text": text, "blocks": blocks}
