"""The answers of /oncall: who is on call for each rotation and who is next, what a take
did, and the usage. Each is a full ephemeral message for a response_url."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from blocks.slack_text import SECTION_TEXT, escape, fit_message, mrkdwn, route_mention
from bot.oncall import OnCall
from bot.rotations import wall_clock
from bot.timeutil import clock_text

USAGE = (
    "*/oncall* who is on call for each rotation, and who is next\n"
    "*/oncall take [duration]* you on call for your rotations (all of them if you are in "
    "none), for 1h unless you say (at most 7d: 30m, 2h, 1d)"
)


def _message(blocks: list[dict[str, Any]], text: str) -> dict[str, Any]:
    fitted, fallback = fit_message(blocks, text)
    return {"response_type": "ephemeral", "text": fallback, "blocks": fitted}


def _people(users: Sequence[str]) -> str:
    return " ".join(route_mention(user) for user in users) or "nobody"


def shift_line(shift: OnCall) -> str:
    """ "*payments* (routes pay) · on call @alice · next @bob from Mon 8 Dec 09:00 Europe/Paris"."""
    routes = f" (routes {escape(', '.join(shift.routes))})" if shift.routes else " (no route)"
    line = f"*{escape(shift.rotation)}*{routes} · on call {_people(shift.users)}"
    if shift.next_at is not None:
        when = escape(wall_clock(shift.next_at, shift.time_zone))
        line += f" · next {_people(shift.next_users)} from {when}"
    return line


def oncall_list(shifts: list[OnCall]) -> dict[str, Any]:
    """Every rotation with who is on call now and who is next."""
    if not shifts:
        text = "No rotations: add them under `oncall:` in the routes file (ROUTES_FILE)."
        return _message([{"type": "section", "text": mrkdwn(text)}], "No rotations")
    blocks = [{"type": "section", "text": mrkdwn("*On call*")}]
    blocks += [{"type": "section", "text": mrkdwn(shift_line(s), SECTION_TEXT)} for s in shifts]
    return _message(blocks, "On call")


def oncall_taken(rotations: list[str], until: int, now: int) -> dict[str, Any]:
    """What /oncall take did."""
    if not rotations:
        text = "No rotations to take: add them under `oncall:` in the routes file (ROUTES_FILE)."
    else:
        names = ", ".join(f"*{escape(name)}*" for name in rotations)
        text = f"You are on call for {names} until {clock_text(until, now)}."
    return _message([{"type": "section", "text": mrkdwn(text)}], text)


def oncall_usage(problem: str | None = None) -> dict[str, Any]:
    """The usage, after what was wrong, if anything."""
    blocks = []
    if problem:
        blocks.append({"type": "section", "text": mrkdwn(f":warning: {escape(problem)}")})
    blocks.append({"type": "section", "text": mrkdwn(USAGE)})
    return _message(blocks, escape(problem) if problem else "How to use /oncall")


def oncall_note(text: str) -> dict[str, Any]:
    return _message([{"type": "section", "text": mrkdwn(escape(text))}], text)
