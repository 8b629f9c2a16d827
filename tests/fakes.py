"""Test doubles shared by the suites: a clock that only moves when told to."""

from __future__ import annotations

import time
from typing import Any


class FakeClock:
    """A Clock for tests: time stands still until `advance` is called."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


class SteeredClock:
    """A Clock for a service or a Lambda a test starts before it knows which clock it
    wants: the system's until `use` gives it another (a FakeClock, a clock ahead)."""

    def __init__(self) -> None:
        self._clock: Any = None

    def use(self, clock: Any) -> None:
        self._clock = clock

    def now(self) -> float:
        return time.time() if self._clock is None else float(self._clock.now())


class FakeChat:
    """An in-memory Chat: records what would be shown, and fails on demand.

    `fail_next(n, applied=False)` makes the next n posts raise ChatUnavailableError;
    with `applied`, the message is kept first, as when Slack took it but the answer
    was lost. `fail_updates` and `fail_texts` do the same for edits and replies.
    `fail_auth(err)` makes every check_auth raise `err` until `fail_auth(None)`.
    """

    def __init__(self) -> None:
        from bot.models import MessageRef

        self._ref = MessageRef
        self.posts: list[dict] = []
        self.updates: list[dict] = []
        self.texts: list[dict] = []
        self.ephemerals: list[dict] = []
        self.storms: list[dict] = []
        self.reminders: list[dict] = []
        self.silence_notes: list[dict] = []
        self.escalations: list[dict] = []  # ladder steps' lines in alerts' threads
        self.directs: list[dict] = []  # direct messages to people on call
        self.directs_fail = 0  # how many of the next direct messages fail
        self.directs_refused = False  # every direct message refused (no im:write)
        self.directs_lost = 0  # how many of the next direct messages go, their answer lost
        self.usergroups: dict[str, list[str]] = {}  # a group not here fails to read
        self.storm_updates: list[dict] = []
        self.reports: list[dict] = []  # daily report summaries and their thread replies
        self.findings: list[dict] = []  # alerts' error lines, replies in their threads
        self.uploads: list[dict] = []  # files shared in threads (alerts' graphs)
        self.channels: dict[str, str] = {}  # incident channels made: id → name
        self.invites: list[dict] = []
        self.pins: list = []
        self.archived: list[str] = []
        self.homes: list = []  # Home tabs published (bot.models.home.Home)
        self._failures: list[bool] = []
        self._report_failures: list[bool] = []
        self._update_failures = 0
        self._text_failures: list[bool] = []
        self._ts = 0
        self.auth_checks = 0
        self._auth_error: Exception | None = None

    def check_auth(self) -> None:
        self.auth_checks += 1
        if self._auth_error is not None:
            raise self._auth_error

    def fail_auth(self, error: Exception | None) -> None:
        """check_auth raises `error` from now on (a ChatError, as Slack's would); None heals."""
        self._auth_error = error

    def fail_next(self, times: int = 1, *, applied: bool = False) -> None:
        self._failures.extend([applied] * times)

    def _next_ref(self, channel: str):
        self._ts += 1
        return self._ref(channel=channel, ts=f"{self._ts}.000100")

    def post_alert(self, channel, signal, alert, *, message_id, controls, thread_ts=None):
        from bot.errors import ChatUnavailableError

        ref = self._next_ref(channel)
        post = {"ref": ref, "id": message_id, "signal": signal, "alert": alert,
                "controls": controls, "thread_ts": thread_ts}  # fmt: skip
        if self._failures:
            if self._failures.pop(0):
                self.posts.append(post)
            raise ChatUnavailableError("fake: no answer")
        self.posts.append(post)
        return ref

    def post_storm(self, channel, storm, digest, *, message_id):
        ref = self._next_ref(channel)
        self.storms.append({"ref": ref, "id": message_id, "storm": storm, "digest": digest})
        return ref

    def update_storm(self, ref, storm, digest) -> None:
        self.storm_updates.append({"ref": ref, "storm": storm, "digest": digest})

    def fail_reports(self, times: int = 1, *, applied: bool = False) -> None:
        """The next `times` report posts raise ChatUnavailableError; with `applied`, the
        message is kept first (Slack took it, the answer was lost)."""
        self._report_failures.extend([applied] * times)

    def _report_post(self, channel, message_id, thread_ts, **content):
        from bot.errors import ChatUnavailableError

        ref = self._next_ref(channel)
        post = {"ref": ref, "id": message_id, "thread_ts": thread_ts, **content}
        if self._report_failures:
            if self._report_failures.pop(0):
                self.reports.append(post)
            raise ChatUnavailableError("fake: no answer")
        self.reports.append(post)
        return ref

    def post_report(self, channel, report, *, message_id):
        return self._report_post(channel, message_id, None, report=report)

    def post_report_part(self, ref, part, *, message_id):
        return self._report_post(ref.channel, message_id, ref.ts, part=part)

    def post_reminder(self, ref, alert, waited):
        self.reminders.append({"ref": ref, "alert": alert, "waited": waited})
        return self.post_text(ref.channel, f"reminder after {waited}s", thread_ts=ref.ts)

    def post_silence_note(self, ref, note):
        from blocks.silences import note_text

        posted = self.post_text(ref.channel, note_text(note), thread_ts=ref.ts)
        self.silence_notes.append({"ref": ref, "note": note})  # only once Slack took it
        return posted

    def post_escalation(self, ref, alert, notify, users, waited):
        line = self.post_text(ref.channel, f"{notify} {' '.join(users)}", thread_ts=ref.ts)
        self.escalations.append({"ref": ref, "alert": alert, "notify": notify,
                                 "users": list(users), "waited": waited})  # fmt: skip
        return line

    def post_direct(self, user, ref, alert, waited, *, message_id, since):
        from bot.errors import ChatRejectedError, ChatUnavailableError

        if self.directs_refused:
            raise ChatRejectedError("fake: missing_scope")
        if self.directs_fail:
            self.directs_fail -= 1
            raise ChatUnavailableError("fake: no DM")
        sent = [m for m in self.directs if m["user"] == user and m["id"] == message_id]
        if sent:  # as Slack's adapter finds it in the DM's history
            return sent[0]["dm"]
        dm = self._next_ref(f"D-{user}")
        self.directs.append({"user": user, "ref": ref, "alert": alert, "waited": waited,
                             "id": message_id, "since": since, "dm": dm})  # fmt: skip
        if self.directs_lost:
            self.directs_lost -= 1
            raise ChatUnavailableError("fake: the DM went, its answer was lost")
        return dm

    def usergroup_members(self, group):
        return frozenset(self.usergroups[group])

    def fail_updates(self, times: int = 1) -> None:
        """The next `times` chat.update calls (update_alert) raise ChatUnavailableError."""
        self._update_failures += times

    def fail_texts(self, times: int = 1, *, applied: bool = False) -> None:
        """The next `times` post_text calls raise ChatUnavailableError; with `applied`,
        the text is kept first (Slack took it, the answer was lost)."""
        self._text_failures.extend([applied] * times)

    def update_alert(self, ref, signal, alert) -> None:
        from bot.errors import ChatUnavailableError

        if self._update_failures:
            self._update_failures -= 1
            raise ChatUnavailableError("fake: update failed")
        self.updates.append({"ref": ref, "alert": alert})

    def post_text(self, channel, text, *, thread_ts=None, message_id=None):
        from bot.errors import ChatUnavailableError

        ref = self._next_ref(channel)
        text = {"ref": ref, "id": message_id, "channel": channel, "text": text,
                "thread_ts": thread_ts}  # fmt: skip
        if self._text_failures:
            if self._text_failures.pop(0):
                self.texts.append(text)
            raise ChatUnavailableError("fake: reply failed")
        self.texts.append(text)
        return ref

    def post_log_findings(self, ref, findings, *, message_id):
        reply = self._next_ref(ref.channel)
        self.findings.append({"ref": reply, "id": message_id, "thread_ts": ref.ts,
                              "findings": findings})  # fmt: skip
        return reply

    def upload_file(self, ref, filename, content, *, title, alt_text) -> None:
        self.uploads.append({"ref": ref, "filename": filename, "content": content,
                             "title": title, "alt_text": alt_text})  # fmt: skip

    def publish_home(self, home) -> None:
        self.homes.append(home)

    def post_ephemeral(self, channel, user, text) -> None:
        self.ephemerals.append({"channel": channel, "user": user, "text": text})

    def create_channel(self, name):
        from bot.errors import NameTakenError

        if name in self.channels.values():
            raise NameTakenError(f"fake: name_taken ({name})")
        channel = f"C0INC{len(self.channels) + 1:04d}"
        self.channels[channel] = name
        return channel

    def invite(self, channel, users) -> None:
        self.invites.append({"channel": channel, "users": list(users)})

    def pin(self, ref) -> None:
        self.pins.append(ref)

    def permalink(self, ref) -> str:
        return f"https://slack.example/archives/{ref.channel}/p{ref.ts.replace('.', '')}"

    def archive(self, channel) -> None:
        self.archived.append(channel)

    def find_alert_message(self, channel, message_id, oldest, thread_ts=None):
        posted = [*self.posts, *self.reports, *self.texts, *self.findings]
        return next(
            (p["ref"] for p in posted if p["id"] == message_id and p["id"] is not None), None
        )
