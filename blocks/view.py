"""How a chat draws messages: every Chat adapter renders alerts and storm summaries
through one `MessageView`, so that they all look the same and keep the same limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blocks.alert import alert_blocks, alert_color
from blocks.storm import storm_blocks, storm_color
from bot.models import Alert, Signal, StormDigest
from bot.ports import Clock, SystemClock


def coloured(blocks: list[dict[str, Any]], text: str, color: str) -> dict[str, Any]:
    """chat.postMessage / chat.update content: the header on top, and the rest in an
    attachment whose colour bar says the state (Block Kit itself has no colour)."""
    return {
        "text": text,
        "blocks": blocks[:1],
        "attachments": [{"color": color, "fallback": text, "blocks": blocks[1:]}],
    }


@dataclass(frozen=True)
class MessageView:
    """Template overrides, and the clock that says whether a silence still holds."""

    templates_dir: str | Path | None = None
    clock: Clock = field(default_factory=SystemClock)

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
        return coloured(blocks, text, alert_color(signal, alert))

    def storm_message(self, storm: Alert, digest: StormDigest) -> dict[str, Any]:
        blocks, text = storm_blocks(storm, digest, now=int(self.clock.now()))
        return coloured(blocks, text, storm_color(digest))
