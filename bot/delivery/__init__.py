"""From stored events to Slack: one root message per alert for its whole life.

Persist before notify: ingest stores the event first; `intake` turns each new event's
signals into alert records, written with the event (one transaction where the store has
them), and `send_due` sends their work once that is committed (`notify` does both). A
record is written, pending, before its post; a post that fails leaves it pending for
`flush`, which claims it, looks for its message in case an earlier attempt reached
Slack, and only then posts again, with backoff. Later events of an alert (repeats,
recovery, a reopening within the reopen window) change its record, and
`bot.lifecycle.plan` decides, in the same conditional write, which root edit and thread
reply may go now and which wait for the coalescing window.

The stages, in order, one module each: `intake` and `due` (plan, with `storms` and
`inhibits` for the alerts gathered into a summary or held in a parent's thread),
`look`, `pay`, `send`, `record`; `pipeline` composes them.
"""

from bot.delivery.context import Delivery
from bot.delivery.due import OPEN_LIMIT
from bot.delivery.intake import EventWork, find_anywhere, intake, record_id
from bot.delivery.pipeline import (
    flush,
    notify,
    refresh_silences,
    release_held,
    send_due,
    touch_storm,
)
from bot.delivery.redraw import redraw
from bot.delivery.saves import save, save_planned
from bot.delivery.send import thread_reply_id
from bot.delivery.storms import members_of

__all__ = [
    "OPEN_LIMIT",
    "Delivery",
    "EventWork",
    "find_anywhere",
    "flush",
    "intake",
    "members_of",
    "notify",
    "record_id",
    "redraw",
    "refresh_silences",
    "release_held",
    "save",
    "save_planned",
    "send_due",
    "thread_reply_id",
    "touch_storm",
]
