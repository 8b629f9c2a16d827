"""Reading CloudFormation templates in tests: YAML with the short intrinsic tags, and the
IAM statements and values of a template, with intrinsics rendered as comparable strings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

NO_VALUE = {"Ref": "AWS::NoValue"}


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads `!Ref X` as {"Ref": "X"} and `!Sub s` as {"Fn::Sub": s}."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        loaded: dict[str, Any] = yaml.load(f, Loader=_CfnLoader)  # a SafeLoader
    return loaded


def render(value: Any) -> Any:
    """An intrinsic as a string to compare: GetAtt X.Arn is "<X.Arn>", Ref X is "<X>", a
    Sub its template, a Join its joined parts; lists and plain values are kept."""
    if isinstance(value, list):
        return [render(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if "Fn::Sub" in value:  # ${X.Arn} and ${X} as above; ${AWS::Region} and the like kept
        sub = value["Fn::Sub"]
        return re.sub(r"\$\{(?!AWS::)([\w.]+)\}", r"<\1>", sub if isinstance(sub, str) else sub[0])
    if "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(str(render(p)) for p in parts)
    return {k: render(v) for k, v in value.items()}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def branches(value: Any) -> Iterator[Any]:
    """What a value may be once conditions are decided: both sides of an Fn::If (bar
    AWS::NoValue), recursively."""
    if isinstance(value, dict) and "Fn::If" in value:
        _, yes, no = value["Fn::If"]
        for side in (yes, no):
            if side != NO_VALUE:
                yield from branches(side)
    else:
        yield value


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement a role's inline policies may hold (either side of each Fn::If)."""
    found: list[dict[str, Any]] = []
    for policy in role["Properties"].get("Policies", []):
        for statement in as_list(policy["PolicyDocument"]["Statement"]):
            found.extend(branches(statement))
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    return as_list(statement["Action"])


def resources(statement: dict[str, Any]) -> list[Any]:
    return [render(r) for r in as_list(statement["Resource"])]
