"""The Jinja2 templates that write each family's message text.

Templates are text, structure is Python: a family's template (`<family>.jinja`) defines
Jinja2 blocks, one per part of the view (at least `summary`), and blocks/alert.py puts
what they render into Block Kit. Operators override a family by putting a file of the same
name in TEMPLATES_DIR; the bundled one stays reachable as `bundled/<family>.jinja`, so an
override can `{% extends "bundled/alarm.jinja" %}` and replace a single block.

Every `{{ … }}` is mrkdwn-escaped on its way out (values are untrusted), in operators'
templates too. A template marks text as already-safe mrkdwn with the `mrkdwn` filter
(Jinja's `safe` does the same). Names a template gets wrong render as "", never an error,
and a template that fails is logged and replaced by the bundled one, so that a typo in
an override never stops an alert.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.utils import concat

from blocks.slack_text import escape, link

log = logging.getLogger(__name__)

BUNDLED_DIR = Path(__file__).parent / "templates"
BUNDLED_PREFIX = "bundled"
GENERIC = "generic"
SUFFIX = ".jinja"
# A family name is a file name: anything else (a path, a dot) gets the generic template.
_FAMILY_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class Mrkdwn(str):
    """Text that is already mrkdwn: the output escaper leaves it as it is."""

    __slots__ = ()

    def __html__(self) -> str:
        return self


def trusted(value: Any) -> Mrkdwn:
    """The `mrkdwn` filter: the template vouches for this text."""
    return value if isinstance(value, Mrkdwn) else Mrkdwn(value)


def escaped(value: Any) -> Mrkdwn:
    """Every output, and Jinja's `e`/`escape` filters: mrkdwn-escaped unless already safe.

    Jinja itself HTML-escapes in two places this cannot intercept (constants folded at
    compile time, and `~` joins with a macro's output). HTML escaping differs from mrkdwn's
    only in quotes, which mrkdwn shows as they are, so those come back here.
    """
    if isinstance(value, Mrkdwn):
        return value
    if hasattr(value, "__html__"):
        html = str(value.__html__())  # a plain str: Markup.replace would escape its args
        return Mrkdwn(html.replace("&#34;", '"').replace("&#39;", "'"))
    if value is None or isinstance(value, jinja2.Undefined):
        return Mrkdwn("")
    return Mrkdwn(escape(value))


def _link(url: Any, label: Any = None) -> Mrkdwn:
    """The `link` filter: `{{ url | link("label") }}` → a safe `<url|label>`."""
    return Mrkdwn(link(url, url if label is None else label))


@lru_cache(maxsize=8)
def environment(templates_dir: str | None = None) -> jinja2.Environment:
    """One environment per templates directory: overrides first, then the bundled ones."""
    bundled = jinja2.FileSystemLoader(BUNDLED_DIR)
    loaders: list[jinja2.BaseLoader] = [bundled]
    if templates_dir:
        loaders.insert(0, jinja2.FileSystemLoader(templates_dir))
    loaders.append(jinja2.PrefixLoader({BUNDLED_PREFIX: bundled}))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # Jinja escapes for HTML; `finalize` escapes for mrkdwn first and marks the result
        # safe, so Jinja's own escaping (kept on for macros and blocks) never adds to it.
        autoescape=True,
        finalize=escaped,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(mrkdwn=trusted, e=escaped, escape=escaped, link=_link)
    return env


def render(
    family: str,
    part: str,
    context: Mapping[str, Any],
    *,
    templates_dir: str | Path | None = None,
) -> str:
    """The mrkdwn of one part (a Jinja2 block) of a family's template, stripped.

    The override is tried first, then the bundled template of the family (then generic's):
    the first one that defines the part and renders wins. "" when none does.
    """
    env = environment(str(templates_dir) if templates_dir else None)
    for name in _candidates(family, overridden=bool(templates_dir)):
        try:
            template = env.get_template(name)
        except jinja2.TemplateNotFound:
            continue
        except jinja2.TemplateError:
            log.warning("template %s does not compile; using the bundled one", name, exc_info=True)
            continue
        if part not in template.blocks:
            continue
        try:
            return _render_block(template, part, context).strip()
        except Exception:  # an operator's template may fail in any way; the alert must not
            log.warning("template %s failed on part %s", name, part, exc_info=True)
    return ""


def _candidates(family: str, *, overridden: bool) -> list[str]:
    if not _FAMILY_NAME.fullmatch(family):
        family = GENERIC
    names = [f"{family}{SUFFIX}"] if overridden else []
    names.append(f"{BUNDLED_PREFIX}/{family}{SUFFIX}")
    if family != GENERIC:
        names.append(f"{BUNDLED_PREFIX}/{GENERIC}{SUFFIX}")
    return names


def _render_block(template: jinja2.Template, part: str, context: Mapping[str, Any]) -> str:
    """One block of a template. The template's top level runs first, so that the macros
    and `set`s it defines are there for the block."""
    ctx = template.new_context(dict(context))
    concat(template.root_render_func(ctx))
    return str(concat(template.blocks[part](ctx)))
