"""docs/configuration.md, rendered from `bot.config.Settings`.

    python -m tools.config_docs           # rewrite docs/configuration.md (`make docs`)
    python -m tools.config_docs --check   # exit 1 when the file is not what it renders

Every field gives one row: its environment variable, type, default and description (the
field's `Field(description=...)`, which every field must have).
"""

from __future__ import annotations

import argparse
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from bot.config import Settings, parse_duration

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "configuration.md"

HEADER = """\
# Configuration

<!-- Generated from bot/config.py by `make docs` (python -m tools.config_docs); do not edit. -->

Every setting is an environment variable, or a line `NAME=value` in a `.env` file in the
working directory; all are read in one place, `bot/config.py`. Names are not
case-sensitive. Durations are written `45s`, `15m`, `1h`, `7d` (or plain seconds); lists are
comma-separated; channels are Slack channel ids (`C…`). A bad value stops the bot at start
with a message that names the variable (exit 2 from `python app.py`).

On AWS, `serverless.yml` sets these from its `params:` (see [deploying.md](deploying.md)).

| variable | type | default | description |
|---|---|---|---|
"""


def env_name(name: str, field: FieldInfo) -> str:
    """The environment variable pydantic-settings reads for a field."""
    alias = field.validation_alias or field.alias
    if isinstance(alias, str):
        return alias.upper()
    prefix = str(Settings.model_config.get("env_prefix") or "")
    return f"{prefix}{name}".upper()


def _validator_funcs(field: FieldInfo) -> set[Any]:
    return {getattr(meta, "func", None) for meta in field.metadata}


def is_duration(field: FieldInfo) -> bool:
    return parse_duration in _validator_funcs(field)


def type_text(field: FieldInfo) -> str:
    annotation = field.annotation
    if is_duration(field):
        return "duration"
    optional = False
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0] if len(args) == 1 else annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        text = " \\| ".join(f"`{value}`" for value in typing.get_args(annotation))
    elif origin is list:
        text = "list"
    elif origin is dict:
        text = "JSON object"
    elif annotation is Path:
        text = "path"
    elif annotation is int:
        text = "integer"
    elif annotation is str:
        text = "string"
    else:
        text = getattr(annotation, "__name__", str(annotation))
    return f"{text}, optional" if optional else text


def _duration_text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def default_text(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        if isinstance(value, list) and not value:
            return "empty"
    else:
        value = field.default
    if value is PydanticUndefined:
        return "required"
    if value is None:
        return "unset"
    if is_duration(field):
        return f"`{_duration_text(int(value))}`"
    return f"`{value}`"


def _cell(text: str) -> str:
    """Table-cell text: a pipe, even inside a code span, would end the cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    rows = []
    for name, field in Settings.model_fields.items():
        if not field.description:
            raise ValueError(f"Settings.{name} has no Field(description=...)")
        rows.append(
            f"| `{env_name(name, field)}` | {type_text(field)} | {_cell(default_text(field))} "
            f"| {_cell(field.description)} |"
        )
    return HEADER + "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    check = args.parse_args(argv).check
    text = render()
    if check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
