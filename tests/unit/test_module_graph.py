"""The core's module graph: no import cycle among bot/ modules, and alert delivery's
stages never reach back into an earlier stage (each hands its result on; the pipeline
composes them)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Alert delivery's stages in order. A stage imports only the shared modules and the
# modules of its own stage; only the pipeline (and the package's index) import them all.
STAGES = (
    {"intake", "due", "claims", "storms", "inhibits"},  # plan what is due, and claim it
    {"look"},
    {"pay"},
    {"send"},
    {"record"},
)
SHARED = {"context", "work", "saves"}
COMPOSERS = {"pipeline", "__init__", "redraw"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, *, package: str) -> set[str]:
    """Every bot module `path` imports, at any depth in the file: a lazy import is a
    dependency too. `from bot import x` names the module bot.x when there is one."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "bot" or name.startswith("bot.")}


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in (ROOT / "bot").rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges[name] = {m for m in imports_of(path, package=package) if m in paths and m != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def package_edges(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's own __init__ importing its modules is how a package presents them, not
    a cycle: the edges from a package to its own submodules are left out."""
    return {
        name: {t for t in targets if not t.startswith(f"{name}.")}
        for name, targets in edges.items()
    }


def test_no_import_cycle_among_bot_modules() -> None:
    assert cycles(package_edges(graph())) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]


def stage_of(module: str) -> int | None:
    return next((rank for rank, names in enumerate(STAGES) if module in names), None)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "bot" / "delivery").glob("*.py")), ids=lambda p: p.name
)
def test_each_delivery_module_is_a_stage_shared_or_a_composer(path: Path) -> None:
    name = path.stem
    assert stage_of(name) is not None or name in SHARED | COMPOSERS, name


def test_no_stage_reaches_another_stage() -> None:
    edges = graph()
    reaching = []
    for rank, names in enumerate(STAGES):
        for name in names:
            for target in edges[f"bot.delivery.{name}"]:
                other = target.removeprefix("bot.delivery.")
                if target.startswith("bot.delivery.") and stage_of(other) not in (None, rank):
                    reaching.append(f"{name} → {other}")
    for name in SHARED:
        for target in edges[f"bot.delivery.{name}"]:
            if stage_of(target.removeprefix("bot.delivery.")) is not None:
                reaching.append(f"{name} (shared) → {target}")
    assert reaching == []


def test_the_stage_check_reads_relative_and_lazy_imports(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    from bot.delivery import pay\nfrom . import send\n")
    assert imports_of(sample, package="bot.delivery") == {
        "bot.delivery",
        "bot.delivery.pay",
        "bot.delivery.send",
    }
