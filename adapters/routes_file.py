"""The routes file (ROUTES_FILE): YAML in, `Routes` out, and errors that name the line.

Read once at start; a bad file stops the bot with every problem listed, each at its line,
so that nobody learns of a typo from an alert that went nowhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from blocks.slack_text import URL
from bot.routing import UNKNOWN_ROTATION, Routes, parse_routes, rotation_problems_in

Path_ = tuple[str | int, ...]


class RoutesFileError(ValueError):
    """The routes file cannot be used; the message says where and why."""


def load_routes(path: str | Path) -> Routes:
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise RoutesFileError(f"{where}: cannot read the routes file: {err}") from err
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise RoutesFileError(f"{where}: {line}not YAML: {problem}") from err
    if data is not None and not isinstance(data, dict):
        raise RoutesFileError(f"{where}: line 1: the file must be a mapping with `routes:`")
    lines = _lines(node, ()) if node is not None else {}
    try:
        routes = parse_routes(data)
    except ValidationError as err:
        errors = _without_union_misses(list(err.errors()))
        if not any(e["type"] == UNKNOWN_ROTATION for e in errors):  # skipped: add them
            errors += [{"loc": loc, "msg": msg, "type": UNKNOWN_ROTATION}
                       for loc, msg in rotation_problems_in(data)]  # fmt: skip
        problems = [_problem(where, e, lines) for e in errors]
        raise RoutesFileError("\n".join(problems)) from err
    _check_fits_slack(where, routes, lines)
    return routes


def _check_fits_slack(where: str, routes: Routes, lines: dict[Path_, int]) -> None:
    """A runbook link longer than Slack takes in a button would never be shown."""
    problems = [
        f"{where}: line {lines.get(('routes', i, 'runbook'), 1)}: routes.{i}.runbook: "
        f"longer than the {URL} characters Slack takes in a link"
        for i, rule in enumerate(routes.routes)
        if rule.runbook is not None and len(rule.runbook) > URL
    ]
    if problems:
        raise RoutesFileError("\n".join(problems))


def _without_union_misses(errors: list[Any]) -> list[Any]:
    """An item that may be one of several kinds (an inhibit rule's `equal`: a label, or a
    pair) is tried as each, and each kind's errors are listed under its tag. Where one
    kind's own errors are listed, the others' "not of my type" says nothing: those go,
    and the kind's tag leaves the place shown."""

    def loc(error: Any) -> Path_:
        return tuple(error["loc"])

    def tried_as_another(error: Any) -> bool:
        at = loc(error)
        parent, tag = at[:-1], at[-1:]
        return str(error["type"]).endswith("_type") and any(
            loc(e)[: len(parent)] == parent and loc(e)[len(parent) : len(at)] not in ((), tag)
            for e in errors
        )

    unions = {loc(e)[:-1] for e in errors if tried_as_another(e)}
    kept = []
    for error in (e for e in errors if not tried_as_another(e)):
        at = loc(error)
        item = next((u for u in unions if at[: len(u)] == u and len(at) > len(u)), None)
        kept.append({**error, "loc": at[: len(item)] + at[len(item) + 1 :]} if item else error)
    return kept


def _problem(where: str, error: Any, lines: dict[Path_, int]) -> str:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
    line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), 1)
    field = ".".join(str(p) for p in loc) or "file"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        message = "unknown key (a typo?)"
    return f"{where}: line {line}: {field}: {message}"


def _lines(node: yaml.Node, at: Path_) -> dict[Path_, int]:
    """The line (1-based) of every mapping key and sequence item, by its path."""
    found = {at: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*at, str(key.value))
            found[path] = key.start_mark.line + 1
            found.update({p: n for p, n in _lines(value, path).items() if p != path})
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found.update(_lines(item, (*at, i)))
    return found
