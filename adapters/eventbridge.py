"""The EventPublisher port on EventBridge PutEvents (boto3 `events`)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.errors import UnprocessedError


class EventBridgePublisher:
    """One PutEvents call per batch; the per-entry answers go back to the use case, which
    sends the refused entries again."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def put_events(self, entries: list[dict[str, Any]]) -> list[str | None]:
        try:
            answer = self._client.put_events(Entries=entries)
        except (ClientError, BotoCoreError) as err:
            raise UnprocessedError(f"EventBridge PutEvents failed: {err}") from err
        results = answer.get("Entries", [])
        if len(results) != len(entries):  # never expected; treat every entry as refused
            return ["MissingResult"] * len(entries)
        return [None if r.get("EventId") else (r.get("ErrorCode") or "Refused") for r in results]
