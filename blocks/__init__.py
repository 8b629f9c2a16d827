"""Block Kit views: alerts and notifications, with escaping and Slack's limits in one
module (blocks.slack_text). Imports only the core (`bot`) and Jinja2, never slack_sdk.

The public names load on first use, so that a Lambda that only needs `slack_text` does
not pay for Jinja2 on a cold start.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "alert_blocks": "blocks.alert",
    "fallback_text": "blocks.alert",
    "SILENCE_OPTIONS": "blocks.alert",
    "escape": "blocks.slack_text",
    "truncate": "blocks.slack_text",
    "fit_message": "blocks.slack_text",
    "link": "blocks.slack_text",
    "mrkdwn": "blocks.slack_text",
    "plain": "blocks.slack_text",
    "render": "blocks.templates",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'blocks' has no attribute {name!r}")
    return getattr(import_module(module), name)
