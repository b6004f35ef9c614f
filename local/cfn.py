"""Reading a CloudFormation/SAM template: YAML with short-form intrinsic tags, and a small intrinsic resolver.

The local gateway only needs values it can know without AWS (parameters, pseudo parameters, conditions,
string functions). Anything that names a deployed resource (!GetAtt, !ImportValue, !Ref of a resource)
resolves to UNRESOLVED, and callers treat such a value as absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SHORT_TAGS = (
    "Ref", "GetAtt", "Sub", "If", "Equals", "Join", "Select", "Split", "FindInMap", "Not", "And", "Or",
    "Condition", "ImportValue", "Base64", "Cidr", "GetAZs", "Transform", "Length", "ToJsonString",
)  # fmt: skip


class _Sentinel:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


UNRESOLVED: Any = _Sentinel("UNRESOLVED")
NO_VALUE: Any = _Sentinel("AWS::NoValue")  # !Ref AWS::NoValue: the property is dropped

PSEUDO_PARAMETERS = {
    "AWS::Region": "local",
    "AWS::AccountId": "000000000000",
    "AWS::Partition": "aws",
    "AWS::StackName": "local",
    "AWS::StackId": "arn:aws:cloudformation:local:000000000000:stack/local/local",
    "AWS::URLSuffix": "amazonaws.com",
}


class TemplateLoader(yaml.SafeLoader):
    """SafeLoader that reads `!Ref X` as {"Ref": "X"} and `!GetAtt A.B` as {"Fn::GetAtt": ["A", "B"]}."""


def _construct_short_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


TemplateLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: Path) -> dict[str, Any]:
    with Path(path).open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=TemplateLoader)  # a SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a CloudFormation template")
    return document


@dataclass
class Resolver:
    """Resolves intrinsic functions against parameter values (defaults, overridden by `overrides`)."""

    template: dict[str, Any]
    overrides: dict[str, str]

    def parameter(self, name: str) -> Any:
        if name in self.overrides:
            return self.overrides[name]
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        spec = (self.template.get("Parameters") or {}).get(name)
        if isinstance(spec, dict) and "Default" in spec:
            default = spec["Default"]
            return default if not isinstance(default, list) else ",".join(map(str, default))
        return UNRESOLVED  # a resource, or a parameter without a default

    def condition(self, name: str) -> bool:
        expression = (self.template.get("Conditions") or {}).get(name)
        return bool(self.resolve(expression)) if expression is not None else False

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            handler = _INTRINSICS.get(key)
            if handler is not None:
                try:
                    return handler(self, argument)
                except (TypeError, ValueError, IndexError, KeyError):
                    return UNRESOLVED
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}


def _sub(resolver: Resolver, argument: Any) -> Any:
    text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
    variables = {name: resolver.resolve(item) for name, item in variables.items()}
    unresolved = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unresolved
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"  # ${!Literal} is an escaped placeholder
        value = variables[name] if name in variables else resolver.parameter(name)
        if value is UNRESOLVED or isinstance(value, (dict, list)):
            unresolved = True
            return ""
        return str(value)

    result = re.sub(r"\$\{([^}]+)\}", replace, text)
    return UNRESOLVED if unresolved else result


def _join(resolver: Resolver, argument: Any) -> Any:
    separator, items = argument[0], resolver.resolve(argument[1])
    if items is UNRESOLVED or any(item is UNRESOLVED for item in items):
        return UNRESOLVED
    return separator.join(str(item) for item in items)


def _select(resolver: Resolver, argument: Any) -> Any:
    items = resolver.resolve(argument[1])
    return UNRESOLVED if items is UNRESOLVED else items[int(resolver.resolve(argument[0]))]


def _split(resolver: Resolver, argument: Any) -> Any:
    text = resolver.resolve(argument[1])
    return UNRESOLVED if not isinstance(text, str) else text.split(argument[0])


def _if(resolver: Resolver, argument: Any) -> Any:
    name, when_true, when_false = argument
    return resolver.resolve(when_true if resolver.condition(name) else when_false)


def _equals(resolver: Resolver, argument: Any) -> Any:
    left, right = (resolver.resolve(item) for item in argument)
    return left is not UNRESOLVED and str(left) == str(right)


def _find_in_map(resolver: Resolver, argument: Any) -> Any:
    name, first, second = (resolver.resolve(item) for item in argument)
    return (resolver.template.get("Mappings") or {})[name][first][second]


_INTRINSICS: dict[str, Any] = {
    "Ref": lambda resolver, name: resolver.parameter(name),
    "Condition": lambda resolver, name: resolver.condition(name),
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": lambda resolver, argument: not resolver.resolve(argument[0]),
    "Fn::And": lambda resolver, argument: all(resolver.resolve(item) for item in argument),
    "Fn::Or": lambda resolver, argument: any(resolver.resolve(item) for item in argument),
    "Fn::FindInMap": _find_in_map,
    "Fn::GetAtt": lambda resolver, argument: UNRESOLVED,
    "Fn::ImportValue": lambda resolver, argument: UNRESOLVED,
    "Fn::GetAZs": lambda resolver, argument: ["local-a", "local-b"],
    "Fn::Base64": lambda resolver, argument: UNRESOLVED,
    "Fn::Cidr": lambda resolver, argument: UNRESOLVED,
}


def ref_target(value: Any) -> str | None:
    """The logical id a !Ref or !GetAtt points at (e.g. AuthorizerFunction for !GetAtt AuthorizerFunction.Arn)."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
            return attribute[0]
    return None
