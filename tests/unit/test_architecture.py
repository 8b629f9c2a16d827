"""The dependency rule: the core imports no Slack, AWS or HTTP library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = (
    "slack_sdk",
    "slack_bolt",
    "boto3",
    "botocore",
    "pynamodb",
    "fastapi",
    "starlette",
    "httpx",
    "requests",
    "uvicorn",
    "mangum",
    "aws_lambda_powertools",
    "adapters",
    "handlers",
    "blocks",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path", sorted((ROOT / "bot").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_core_imports_nothing_from_outside(path):
    bad = {name for name in imported_modules(path) if name.split(".")[0] in FORBIDDEN_IN_CORE}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_rule_catches_a_violation(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("import boto3\nfrom slack_sdk import WebClient\n")
    assert imported_modules(sample) == {"boto3", "slack_sdk"}
