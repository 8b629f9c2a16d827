"""An alert's runbook: the link its root offers as a button.

Taken from, in order: the routing rule that sent the alert (`runbook:`), the first https
link in its alarm's description, and what its enrichment found in the alarm's tags
(`enrichment.runbook_url`). The first two need no AWS call, so the first post shows
them. Only https links are offered, and only ones that fit the length the chat allows
(the view says how long).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.models import Alert, Signal
from bot.sources.registry import ALARM

# An https URL that stands whole in a message or a button: no white space, control
# characters, nor the `<`, `>` and `|` of Slack's link syntax.
_HTTPS = re.compile(r"https://[^\s|<>\x00-\x1f\x7f]+", re.IGNORECASE)
# An https link within prose, which also ends at quotes and brackets.
_IN_TEXT = re.compile(r"https://[^\s|<>\"'`\[\]{}\x00-\x1f\x7f]+", re.IGNORECASE)
# What ends a sentence rather than a link ("see https://wiki/run.").
_TRAILING = ".,;:!?"


def https_url(value: object, max_length: int | None = None) -> str | None:
    """`value` when it is an https URL with a host, of at most `max_length` characters;
    else None."""
    if not isinstance(value, str) or not _HTTPS.fullmatch(value):
        return None
    if max_length is not None and len(value) > max_length:
        return None
    try:
        host = urlsplit(value).hostname
    except ValueError:  # an unclosed IPv6 bracket, a bad port
        return None
    return value if host else None


def first_https_link(text: str, max_length: int | None = None) -> str | None:
    """The first https link written in `text` (an http one is passed over), without the
    punctuation that ends its sentence or a closing parenthesis it did not open."""
    for match in _IN_TEXT.finditer(text):
        url = https_url(_trimmed(match.group()), max_length)
        if url is not None:
            return url
    return None


def _trimmed(url: str) -> str:
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))):
        url = url[:-1]
    return url


def runbook_url(signal: Signal, alert: Alert | None, max_length: int) -> str | None:
    """The runbook to offer: the route's, else the alarm description's first https link,
    else the enrichment's; each only when it is an https URL of at most `max_length`
    characters."""
    route = alert.runbook if alert is not None else None
    found = alert.enrichment.runbook_url if alert is not None else None
    described = first_https_link(signal.description, max_length) if signal.family == ALARM else None
    candidates = (https_url(route, max_length), described, https_url(found, max_length))
    return next((url for url in candidates if url is not None), None)


RUNBOOK_TAGS = ("runbook", "playbook")


def tagged_runbook(tags: dict[str, str], max_length: int | None = None) -> str | None:
    """The https URL of an alarm's `runbook` tag, else of its `playbook` tag (keys in any
    case), of at most `max_length` characters; None when neither holds one."""
    by_key = {key.lower(): value for key, value in tags.items()}
    found = (https_url(by_key.get(key, "").strip(), max_length) for key in RUNBOOK_TAGS)
    return next((url for url in found if url is not None), None)
