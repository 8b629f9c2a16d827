"""The one-line replies an alert's thread gets (a reminder, a silence's note, a step of
its escalation ladder), as MessageView draws them: both chats post them through their
own `post_text`, so the drawing and the threading are written once, here."""

from __future__ import annotations

from collections.abc import Sequence

from blocks.view import MessageView
from bot.models import Alert, MessageRef, Notify, SilenceNote


class ThreadLines:
    """Mixed into a chat that has `_view` and `post_text`."""

    _view: MessageView

    def post_text(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        message_id: str | None = None,
    ) -> MessageRef:
        raise NotImplementedError

    def post_reminder(self, ref: MessageRef, alert: Alert, waited: int) -> MessageRef:
        return self.post_text(ref.channel, self._view.reminder(alert, waited), thread_ts=ref.ts)

    def post_silence_note(self, ref: MessageRef, note: SilenceNote) -> MessageRef:
        return self.post_text(ref.channel, self._view.silence_note(note), thread_ts=ref.ts)

    def post_escalation(
        self, ref: MessageRef, alert: Alert, notify: Notify, users: Sequence[str], waited: int
    ) -> MessageRef:
        text = self._view.escalation(alert, notify, users, waited)
        return self.post_text(ref.channel, text, thread_ts=ref.ts)
