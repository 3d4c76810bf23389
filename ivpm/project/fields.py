"""Typed access to located YAML nodes; every mismatch is a ConfigError at the offending node."""

from __future__ import annotations

import yaml

from ivpm.errors import ConfigError, Location
from ivpm.project.yamlnodes import Map, Node, Scalar, Seq, describe

Pair = tuple[Scalar, Node]  # a mapping entry: the key node and the value node

_TEXT_KINDS = frozenset({"str", "int", "float", "timestamp"})
_BOOLS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


def expect_map(node: Node, what: str) -> Map:
    """``node`` as a mapping, else an error naming ``what``."""
    if isinstance(node, Map):
        return node
    raise ConfigError(f"{what} must be a mapping, got {describe(node)}", node.loc)


def require(mapping: Map, key: str, what: str) -> Pair:
    """The entry for ``key``; a missing key is an error at the mapping."""
    pair = mapping.get(key)
    if pair is None:
        raise ConfigError(f"{what} is missing the required key '{key}'", mapping.loc)
    return pair


def type_error(pair: Pair, expected: str, hint: str | None = None) -> ConfigError:
    """The error for a value of the wrong type (a missing value points at its key)."""
    key, value = pair
    loc = key.loc if is_null(value) else value.loc
    return ConfigError(f"'{key.text}' must be {expected}, got {describe(value)}", loc, hint=hint)


def get_str(pair: Pair, *, allow_empty: bool = False) -> str:
    """A string value; plain numbers and dates are taken as the text written."""
    value = pair[1]
    if not isinstance(value, Scalar) or value.kind not in _TEXT_KINDS:
        hint = None
        if isinstance(value, Scalar) and value.kind == "bool":
            hint = f"quote it if you mean the text: '{value.text}'"
        raise type_error(pair, "a string", hint)
    if not allow_empty and not value.text.strip():
        raise ConfigError(f"'{pair[0].text}' must not be empty", value.loc)
    return value.text


def get_bool(pair: Pair) -> bool:
    """A boolean value (``true``/``false``)."""
    value = pair[1]
    if isinstance(value, Scalar) and value.kind == "bool":
        result = _BOOLS.get(value.text.lower())
        if result is not None:
            return result
    hint = None
    if isinstance(value, Scalar) and value.text.lower() in _BOOLS:
        hint = "write true or false without quotes"
    raise type_error(pair, "a boolean (true or false)", hint)


def get_int(pair: Pair) -> int:
    """An integer value."""
    value = pair[1]
    if isinstance(value, Scalar) and value.kind == "int":
        try:
            result = yaml.constructor.SafeConstructor().construct_yaml_int(
                yaml.ScalarNode("tag:yaml.org,2002:int", value.text)
            )
        except ValueError:
            pass
        else:
            if isinstance(result, int):
                return result
    raise type_error(pair, "an integer")


def get_list(pair: Pair) -> tuple[Node, ...]:
    """A list value; an empty value (null) counts as an empty list."""
    value = pair[1]
    if isinstance(value, Seq):
        return value.items
    if is_null(value):
        return ()
    raise type_error(pair, "a list")


def get_str_list(pair: Pair) -> tuple[tuple[str, Location], ...]:
    """A string or a list of strings, each with its location."""
    value = pair[1]
    if isinstance(value, Seq):
        result = []
        for item in value.items:
            if is_null(item):
                raise ConfigError(f"'{pair[0].text}' has an empty list item", item.loc)
            result.append((get_str((pair[0], item)), item.loc))
        return tuple(result)
    if isinstance(value, Scalar) and value.kind in _TEXT_KINDS:
        return ((get_str(pair), value.loc),)
    raise type_error(pair, "a string or a list of strings")


def is_null(node: Node) -> bool:
    """True for an empty value (``key:`` with nothing after it, or ``null``)."""
    return isinstance(node, Scalar) and node.kind == "null"


def get_map(pair: Pair) -> Map:
    """A mapping value."""
    if isinstance(pair[1], Map):
        return pair[1]
    raise type_error(pair, "a mapping")
