"""README.md and docs/*.md held to the code: every path, `make` target, `python app.py`
subcommand and environment variable they name exists; every relative link resolves (its
anchor too); the README stays short; docs/configuration.md is what `make docs` renders."""

from __future__ import annotations

import argparse
import io
import re
import tokenize
from functools import cache
from pathlib import Path

import pytest

import app
from bot.config import Settings
from tools import config_docs

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 200

# Environment variables the docs may name that are not Settings fields: the bot does not
# read them, boto3 does (its per-service endpoint overrides, which point the Logs,
# CloudWatch, ECS and EventBridge clients at a local stand-in; Logs' is named for its
# service id, "CloudWatch Logs"); and powertools does (its switch for embedded metrics).
ALLOWED_ENV = frozenset(
    {
        "POWERTOOLS_METRICS_DISABLED",
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
        "AWS_ENDPOINT_URL_CLOUDWATCH",
        "AWS_ENDPOINT_URL_ECS",
        "AWS_ENDPOINT_URL_EVENTS",
    }
)
# Made by `make install` / `make run`, not kept in the repository.
GENERATED_DIRS = (".venv/", "var/", "node_modules/")

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
PATH_EXT = (".py", ".md", ".yml", ".yaml", ".json", ".toml", ".txt", ".jinja")
ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
OPTION_VALUE = re.compile(r"--[\w-]+[ =]\S+")  # `--call-as DELEGATED_ADMIN`: an AWS CLI value
MAKE_IN_SPAN = re.compile(r"^make ([a-z][\w-]*)")
MAKE_IN_CODE = re.compile(r"(?:^|\s)make ([a-z][\w-]*)", re.MULTILINE)
APP_PY = re.compile(r"app\.py ([a-z][\w-]*)(?: ([a-z][\w-]*))?")


def doc_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def code_blocks(text: str) -> list[str]:
    return FENCE.findall(text)


def prose(text: str) -> str:
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading (its text, without the #s)."""
    text = re.sub(r"[^\w\- ]", "", heading.lstrip("#").strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(line) for line in prose(text_of(path)).splitlines() if re.match(r"#{1,6} ", line)}


def named_paths(text: str) -> set[str]:
    """Repository paths in code spans: no spaces, starting lowercase (or a dot), with a
    slash or a file extension; routes, URLs and placeholders are not paths."""
    found = set()
    for span in CODE_SPAN.findall(prose(text)):
        if re.search(r"\s|://|[<>{}?|…*]", span) or not re.match(r"[a-z.]", span):
            continue
        if "/" in span or span.endswith(PATH_EXT):
            found.add(span)
    return found


@cache
def subcommands() -> dict[str, set[str]]:
    """app.py's subcommands, each with its own subcommands (routes → check)."""

    def choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return {}

    return {name: set(choices(sub)) for name, sub in choices(app.parser()).items()}


@cache
def make_targets() -> set[str]:
    makefile = text_of(ROOT / "Makefile")
    return set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.MULTILINE))


@cache
def setting_names() -> set[str]:
    return {config_docs.env_name(name, f) for name, f in Settings.model_fields.items()}


@cache
def make_variables() -> set[str]:
    """The variables the Makefile sets, which `make NAME=value` overrides (TEST_WORKERS)."""
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)\s*[?:]?=", text_of(ROOT / "Makefile"), re.M))


@cache
def spelled_in_code() -> set[str]:
    """UPPER_CASE words the code itself spells: whole string literals (AWS states such as
    "TIMED_OUT", store keys such as "EVENT_DAYS"), module-level constants, and any such
    word of AWS's vocabulary the interpreters of bot/sources/ name, in code or comment."""
    words: set[str] = set()
    for folder in ("bot", "adapters", "blocks", "handlers", "scheduler"):
        for path in (ROOT / folder).rglob("*.py"):
            source = text_of(path)
            if path.is_relative_to(ROOT / "bot" / "sources"):
                words.update(ENV_NAME.findall(source))
            for token in tokenize.generate_tokens(io.StringIO(source).readline):
                if token.type == tokenize.STRING:
                    words.add(token.string.strip("\"'"))
            words.update(re.findall(r"^([A-Z][A-Z0-9_]*)\s*[:=]", source, flags=re.MULTILINE))
    return words


def test_readme_is_short() -> None:
    lines = text_of(ROOT / "README.md").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"


def test_configuration_doc_is_generated() -> None:
    assert text_of(config_docs.TARGET) == config_docs.render(), "run `make docs`"


def test_every_setting_has_a_description() -> None:
    missing = [name for name, f in Settings.model_fields.items() if not f.description]
    assert missing == []


@pytest.mark.parametrize("path", DOCS, ids=doc_id)
def test_relative_links_resolve(path: Path) -> None:
    broken = []
    for target in LINK.findall(prose(text_of(path))):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists() or (
            anchor and linked.suffix == ".md" and anchor not in anchors(linked)
        ):
            broken.append(target)
    assert broken == [], f"{doc_id(path)}: links that do not resolve"


@pytest.mark.parametrize("path", DOCS, ids=doc_id)
def test_named_paths_exist(path: Path) -> None:
    missing = sorted(
        name
        for name in named_paths(text_of(path))
        if not name.startswith(GENERATED_DIRS)
        and not (ROOT / name).exists()
        and not (path.parent / name).exists()
    )
    assert missing == [], f"{doc_id(path)} names paths that do not exist"


@pytest.mark.parametrize("path", DOCS, ids=doc_id)
def test_make_targets_exist(path: Path) -> None:
    text = text_of(path)
    named = {m for span in CODE_SPAN.findall(prose(text)) for m in MAKE_IN_SPAN.findall(span)}
    named |= {m for block in code_blocks(text) for m in MAKE_IN_CODE.findall(block)}
    assert named - make_targets() == set(), f"{doc_id(path)} names unknown make targets"


@pytest.mark.parametrize("path", DOCS, ids=doc_id)
def test_cli_subcommands_exist(path: Path) -> None:
    commands = subcommands()
    unknown = []
    for command, sub in APP_PY.findall(text_of(path)):
        if command not in commands:
            unknown.append(command)
        elif commands[command] and sub not in commands[command]:
            unknown.append(f"{command} {sub}")
    assert unknown == [], f"{doc_id(path)} names unknown app.py subcommands"


def test_readme_cli_table_lists_every_subcommand() -> None:
    section = text_of(ROOT / "README.md").split("## The CLI", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z][\w-]*)", section, flags=re.MULTILINE))
    assert listed == set(subcommands())


@pytest.mark.parametrize("path", DOCS, ids=doc_id)
def test_environment_variables_exist(path: Path) -> None:
    text = OPTION_VALUE.sub("", text_of(path))
    unknown = {
        name
        for name in ENV_NAME.findall(text)
        if name not in setting_names() and name not in ALLOWED_ENV
        if name not in spelled_in_code() and name not in make_variables()
    }
    assert unknown == set(), f"{doc_id(path)} names variables that are not settings"


def test_the_checks_catch_mistakes() -> None:
    text = "See `bot/nowhere.py` and `SLACK_ALERT_CHANNEL`; run `make deploy`."
    assert named_paths(text) == {"bot/nowhere.py"}
    assert "SLACK_ALERT_CHANNEL" not in setting_names() | spelled_in_code()
    assert "deploy" not in make_targets()
    assert "nosuch" not in subcommands()
    assert slug("## Event shapes read") == "event-shapes-read"
