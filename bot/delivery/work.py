"""What flows between the stages: the work a record is due, and how each Slack call went."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot import budget
from bot.errors import ChatRejectedError, ChatUnavailableError
from bot.lifecycle import Work, backoff
from bot.models import Alert, MessageRef, StormDigest, Told

LOOKBACK_S = 300  # how far before a record's first post attempt to search the channel

Answer = TypeVar("Answer")


@dataclass(frozen=True)
class Due:
    """One record's Slack work, reserved by the write that planned it (the claim).

    `look_first`: an earlier attempt may have posted it already, so the channel is
    searched before posting. For a storm's summary, `digest` is what it shows, and
    `members_told` what its thread will have been told once its reply is sent.
    """

    record: Alert
    work: Work
    look_first: bool = False
    digest: StormDigest | None = None
    members_told: dict[str, Told] | None = None


@dataclass(frozen=True)
class Call:
    """How one Slack call went: done; unpaid (the budget said wait); failed (Slack said
    no for now, perhaps with Retry-After); or refused (Slack will never take it)."""

    done: bool
    budget_key: str = ""
    failed: bool = False
    refused: bool = False
    wait: float | None = None  # seconds until it may be tried again, when known
    error: str = ""

    def wait_for(self, attempts: int) -> float:
        return self.wait if self.wait is not None else backoff(attempts)


@dataclass(frozen=True)
class Outcome:
    """A due record's calls after `send`. `ref` is where its post is: posted now, or
    found in the channel (`found`), posted by an earlier attempt."""

    post: Call | None = None
    ref: MessageRef | None = None
    found: bool = False
    edit: Call | None = None
    reply: Call | None = None

    def calls(self) -> list[Call]:
        return [call for call in (self.post, self.edit, self.reply) if call is not None]


@dataclass(frozen=True)
class Payment:
    """The budget's answer for each call a due record needs: 0.0 paid, else the wait."""

    post: float | None = None
    edit: float | None = None
    reply: float | None = None


def calls_of(work: Work) -> list[str]:
    """The Slack calls a piece of work makes, by name."""
    wanted = (("post", work.post), ("edit", work.edit), ("reply", work.reply is not None))
    return [call for call, wanted_now in wanted if wanted_now]


def rate_of(call: str) -> budget.Rate:
    """The budget's rate a call pays at."""
    return budget.UPDATE if call == "edit" else budget.POST


def budget_key(due: Due, call: str) -> str:
    """The budget a call of a due record pays from: posts and replies per channel (a
    reply's copy in the incident channel from that channel's), edits per workspace."""
    if call == "edit":
        return budget.UPDATE_KEY
    if call == "incident":
        return budget.post_key(incident_channel(due.record) or "")
    channel = due.record.message.channel if due.record.message else due.record.channel
    return budget.post_key(channel or "")


def incident_channel(record: Alert) -> str | None:
    """The live incident channel an alert's thread replies are also told in, if any."""
    ref = record.incident
    return ref.channel if record.kind == "alert" and ref is not None and ref.live else None


def attempt(call: Callable[[], Answer], key: str) -> Answer | Call:
    """Make one Slack call: its answer, or how it failed."""
    try:
        return call()
    except ChatRejectedError as err:
        return Call(done=False, budget_key=key, refused=True, error=str(err))
    except ChatUnavailableError as err:
        retry_after = getattr(err, "retry_after", None)
        return Call(done=False, budget_key=key, failed=True, wait=retry_after, error=str(err))
