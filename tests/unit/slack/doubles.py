"""Doubles for calling a Slack listener directly: Bolt's `ack` and `respond`, a WebClient
that answers the few methods listeners call, and the payloads Slack sends."""

from __future__ import annotations

import itertools
import json
from typing import Any

from bot.config import Settings
from bot.cursors import CursorCodec
from bot.models import Alert
from bot.services import Services
from tests.factories import alarm
from tests.factories.services import memory_services

CHANNEL = "C0ALERTS"
_ids = itertools.count(1)
USER = "U0ALICE"


class Recorder:
    """Bolt's `ack` or `respond`: keeps each call's arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append((args, kwargs))

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """What `respond` was given: one message body a call."""
        return [args[0] for args, _ in self.calls]

    def text(self) -> str:
        """Every body sent, as JSON, for asserting on what a person reads."""
        return json.dumps(self.bodies)


class FakeWebClient:
    """The Web API methods listeners call, answered as Slack would and recorded.
    `usergroups` maps a group to its members; a group it does not hold fails to read."""

    def __init__(self, usergroups: dict[str, list[str]] | None = None) -> None:
        self.usergroups = usergroups or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.permalinks_fail = False

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def views_open(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("views.open", params))
        return {"ok": True, "view": params["view"]}

    def chat_getPermalink(self, **params: Any) -> dict[str, Any]:  # noqa: N802 (Slack's name)
        self.calls.append(("chat.getPermalink", params))
        if self.permalinks_fail:
            raise RuntimeError("fake: no permalink")
        return {"ok": True, "permalink": f"https://slack.example/{params['message_ts']}"}

    def usergroups_users_list(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("usergroups.users.list", params))
        return {"ok": True, "users": self.usergroups[params["usergroup"]]}


def services(**settings: Any) -> Services:
    """Services on in-memory stores, a FakeChat and a FakeClock; the stores sign their
    cursors with CURSOR_SECRET, as the configured stores do."""
    config = Settings(_env_file=None, slack_alerts_channel=CHANNEL, **settings)
    codec = CursorCodec(config.cursor_secret)
    return memory_services(config, cursors=codec)


def fire(svc: Services, name: str = "CpuHigh", *, event_id: str | None = None) -> Alert:
    """An alarm that fired a minute ago, ingested (stored, then posted); its alert."""
    event_id = event_id or f"evt-{next(_ids):04d}"
    envelope = {
        "id": event_id,
        "source": "aws.cloudwatch",
        "detail-type": "CloudWatch Alarm State Change",
        "account": "123456789012",
        "region": "us-east-1",
        "time": int(svc.clock.now()) - 60,
        "detail": alarm.state_change(name=name),
    }
    svc.ingest(envelope)
    return next(a for a in svc.alerts.list_alerts() if a.signal and a.signal.event_id == event_id)


def ref(alert: Alert) -> str:
    """What the alert's buttons carry: its id and the version the message shows."""
    return f"{alert.id}:{alert.version}"


def clicked(user: str = USER) -> dict[str, Any]:
    """A block_actions body from the alerts channel, as far as listeners read it."""
    return {"user": {"id": user}, "channel": {"id": CHANNEL}, "trigger_id": "t-1"}


def button(action_id: str, value: str) -> dict[str, Any]:
    return {"action_id": action_id, "type": "button", "value": value}


def notes(text: str, user: str = USER) -> list[dict[str, str]]:
    """The FakeChat's ephemerals when `user` was told `text` in the alerts channel."""
    return [{"channel": CHANNEL, "user": user, "text": text}]
