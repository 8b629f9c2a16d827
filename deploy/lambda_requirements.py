"""The Lambda package's Python requirements: pyproject.toml's [project].dependencies, pinned.

pyproject.toml is the one source of truth; serverless-python-requirements reads a
requirements file, so `deploy/requirements-lambda.txt` is generated from it:

    python deploy/lambda_requirements.py          # rewrite the file
    python deploy/lambda_requirements.py --check  # exit 1 if it is out of date

tests/deploy checks it too, so a dependency bumped in pyproject.toml alone fails the suite.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
REQUIREMENTS = ROOT / "deploy" / "requirements-lambda.txt"
HEADER = (
    "# Generated from pyproject.toml's [project].dependencies by deploy/lambda_requirements.py;\n"
    "# do not edit. serverless-python-requirements installs these for python3.11 x86_64.\n"
)


def dependencies() -> list[str]:
    with PYPROJECT.open("rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def render() -> str:
    return HEADER + "".join(f"{requirement}\n" for requirement in dependencies())


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if REQUIREMENTS.read_text(encoding="utf-8") != text:
            print(f"{REQUIREMENTS} is out of date: run python deploy/lambda_requirements.py")
            return 1
        return 0
    REQUIREMENTS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
