"""How silences and maintenance windows read wherever they are shown: an alert's root,
its thread, /silences. Who made a silence is a mention the bot builds from the stored
user id, never text a person typed; the reason is shown escaped, or as "no reason given"
(a quick silence from the select has none).
"""

from __future__ import annotations

import math

from blocks.slack_text import escape, mention, one_line, truncate
from bot.maintenance import WindowState
from bot.models import Hold, Silence, SilenceNote
from bot.silences import SCOPE_WORDS
from bot.timeutil import clock_text

NO_REASON = "no reason given"
REASON_SHOWN = 300  # characters of a reason on one line (the modal takes 500)
_NAME = 100


def reason_text(reason: str) -> str:
    """The reason, escaped on one line; "no reason given" when there is none."""
    text = one_line(reason).strip()
    return escape(truncate(text, REASON_SHOWN)) if text else NO_REASON


def hold_line(hold: Hold, now: int | None) -> str:
    """ "Silenced by @alice until 14:05 UTC · this resource · deploying", or
    "In maintenance window patching until 01:00 UTC": an alert root's status line."""
    until = clock_text(hold.until, now)
    if hold.window is not None:
        return f"In maintenance window {window_name(hold.window)} until {until}"
    what = SCOPE_WORDS[hold.scope] if hold.scope else "silenced"
    by = f" by {mention(hold.by)}" if hold.by else ""
    return f"Silenced{by} until {until} · {what} · {reason_text(hold.reason)}"


def note_text(note: SilenceNote) -> str:
    """A thread's line about a silence: who made it, until when, why; or that it ends in
    a few minutes, or has ended."""
    silence = note.silence
    by, reason = mention(silence.created_by), reason_text(silence.reason)
    if note.kind == "made":
        until = clock_text(silence.expires_at, note.at)
        return f":no_bell: {by} silenced {SCOPE_WORDS[silence.scope]} until {until}: {reason}"
    if note.kind == "ending":
        minutes = max(math.ceil((silence.expires_at - note.at) / 60), 1)
        unit = "minute" if minutes == 1 else "minutes"
        return f":hourglass_flowing_sand: Silence by {by} ends in {minutes} {unit}: {reason}"
    return f":bell: Silence by {by} has ended: {reason}"


def window_name(name: str) -> str:
    return f"*{escape(truncate(one_line(name), _NAME))}*"


def silence_text(silence: Silence, now: int) -> str:
    """ "*this alert* `fp` / by @who · until 14:05 UTC · why": a silence on two lines."""
    what = SCOPE_WORDS.get(silence.scope, silence.scope)
    return (
        f"*{what}* `{escape(truncate(silence.matcher, 200))}`\n"
        f"by {mention(silence.created_by)} · until {clock_text(silence.expires_at, now)}"
        f" · {reason_text(silence.reason)}"
    )


def window_text(state: WindowState, now: int) -> str:
    """ "*patching* `0 23 * * *` Europe/Berlin, for 2h / on until 01:00 UTC · next start
    2024-05-03 23:00 UTC": a maintenance window on two lines."""
    window = state.window
    head = (
        f"{window_name(window.name)} `{escape(window.cron)}` {escape(window.time_zone)}, "
        f"for {escape(window.duration)}"
    )
    on = f"on until {clock_text(state.until, now)}" if state.until is not None else "off"
    start = clock_text(state.next_start, now) if state.next_start is not None else "never"
    return f"{head}\n{on} · next start {start}"
